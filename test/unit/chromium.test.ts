// Where the UI test's browser comes from: each step in order, and a failure that names them all.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChromiumSteps, resolveChromium } from '../../scripts/chromium.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'npp-chromium-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Makes an executable file at `path`, as an install would. */
const install = (path: string) => {
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
};

/** Steps that find nothing and record every command; `onRun` acts as the command would. */
function steps(overrides: Partial<ChromiumSteps> = {}, onRun: (command: string, args: string[]) => void = () => {}) {
  const ran: string[] = [];
  const chosen: Partial<ChromiumSteps> = {
    env: {},
    systemPaths: [join(dir, 'chromium'), join(dir, 'chromium-browser')],
    canUseApt: false,
    run: async (command, args, env) => {
      ran.push(
        [env.DEBIAN_FRONTEND ? `DEBIAN_FRONTEND=${env.DEBIAN_FRONTEND}` : '', command, ...args].join(' ').trim(),
      );
      onRun(command, args);
    },
    playwrightPath: () => join(dir, 'ms-playwright', 'chrome'),
    log: () => {},
    ...overrides,
  };
  return { chosen, ran };
}

describe('resolveChromium', () => {
  it('takes CHROMIUM_PATH first, and refuses one that is not executable', async () => {
    const path = join(dir, 'my-chrome');
    install(path);
    const { chosen, ran } = steps({ env: { CHROMIUM_PATH: path } });
    expect(await resolveChromium(chosen)).toBe(path);
    expect(ran).toEqual([]);
    const missing = steps({ env: { CHROMIUM_PATH: join(dir, 'nope') } });
    await expect(resolveChromium(missing.chosen)).rejects.toThrow(/^CHROMIUM_PATH=.*nope is not an executable file$/);
  });

  it('takes the first executable system path without installing anything', async () => {
    const { chosen, ran } = steps();
    install(join(dir, 'chromium-browser'));
    expect(await resolveChromium(chosen)).toBe(join(dir, 'chromium-browser'));
    expect(ran).toEqual([]);
  });

  it("installs Debian's chromium as root, before Playwright's download", async () => {
    const { chosen, ran } = steps({ canUseApt: true }, (command, args) => {
      if (command === 'apt-get' && args[0] === 'install') install(join(dir, 'chromium'));
    });
    expect(await resolveChromium(chosen)).toBe(join(dir, 'chromium'));
    expect(ran).toEqual([
      'DEBIAN_FRONTEND=noninteractive apt-get update -qq',
      'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium',
    ]);
  });

  it("falls back to Playwright's download when apt-get fails", async () => {
    const downloaded = join(dir, 'chrome');
    const { chosen, ran } = steps(
      {
        canUseApt: true,
        playwrightPath: () => downloaded,
      },
      (command, args) => {
        if (command === 'apt-get') throw new Error('E: Unable to locate package chromium');
        if (args.includes('install')) install(downloaded);
      },
    );
    expect(await resolveChromium(chosen)).toBe(downloaded);
    expect(ran.at(-1)).toMatch(/playwright-core\/cli\.js install chromium$/);
  });

  it('fails naming every step tried and what fixes it', async () => {
    const { chosen } = steps({}, () => {
      throw new Error('getaddrinfo ENOTFOUND cdn.playwright.dev');
    });
    const failure = resolveChromium(chosen);
    await expect(failure).rejects.toThrow(/^no Chromium for the UI test: none of .*chromium-browser is executable/);
    await expect(failure).rejects.toThrow(/apt-get was not tried \(it needs root and apt-get\)/);
    await expect(failure).rejects.toThrow(/Playwright's download failed: getaddrinfo ENOTFOUND/);
    await expect(failure).rejects.toThrow(/set CHROMIUM_PATH to its executable\.$/);
  });
});
