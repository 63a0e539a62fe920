// Finds a Chromium for the Temporal UI test, or installs one, the way the Temporal CLI is found: an
// explicit variable, then the system's usual places, then Debian's package (as root), then
// Playwright's own download (for machines that reach its CDN). Only then it fails, naming the steps.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { isExecutable } from '../src/cacheDir.ts';

/** Where distributions put Chromium (or Chrome, which Playwright drives the same way). */
export const SYSTEM_CHROMIUM_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
];

/** An install takes a few minutes on a slow mirror; beyond this it is stuck. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;

export type ChromiumLog = (message: string) => void;
const defaultLog: ChromiumLog = (message) => process.stderr.write(`[chromium] ${message}\n`);

/** What resolveChromium may do; tests narrow it. */
export interface ChromiumSteps {
  env: NodeJS.ProcessEnv;
  systemPaths: readonly string[];
  /** Whether apt-get may install packages (running as root with apt-get on PATH). */
  canUseApt: boolean;
  /** Runs a command to its end; rejects when it fails or times out. */
  run: (command: string, args: string[], env: NodeJS.ProcessEnv) => Promise<void>;
  /** Where Playwright's own download puts its Chromium. */
  playwrightPath: () => string;
  log: ChromiumLog;
}

const runFile = promisify(execFile);

function defaultSteps(): ChromiumSteps {
  return {
    env: process.env,
    systemPaths: SYSTEM_CHROMIUM_PATHS,
    canUseApt: process.getuid?.() === 0 && existsSync('/usr/bin/apt-get'),
    run: async (command, args, env) => {
      await runFile(command, args, { env, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
    },
    playwrightPath: () => chromium.executablePath(),
    log: defaultLog,
  };
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

/**
 * The path of a Chromium executable: CHROMIUM_PATH when set (it must be executable), else the first
 * system path that is, else one installed by apt-get (as root), else by Playwright's download.
 * Fails with every step tried and what would fix it.
 */
export async function resolveChromium(overrides: Partial<ChromiumSteps> = {}): Promise<string> {
  const steps = { ...defaultSteps(), ...overrides };
  const explicit = steps.env.CHROMIUM_PATH?.trim();
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    throw new Error(`CHROMIUM_PATH=${explicit} is not an executable file`);
  }
  const found = () => steps.systemPaths.find(isExecutable);
  const onSystem = found();
  if (onSystem) return onSystem;

  const tried: string[] = [`none of ${steps.systemPaths.join(', ')} is executable`];
  if (steps.canUseApt) {
    steps.log('installing the Debian package chromium with apt-get (first time only)');
    const env = { ...steps.env, DEBIAN_FRONTEND: 'noninteractive' };
    try {
      await steps.run('apt-get', ['update', '-qq'], env);
      await steps.run('apt-get', ['install', '-y', '-qq', 'chromium'], env);
      const installed = found();
      if (installed) return installed;
      tried.push('apt-get installed chromium, but at none of those paths');
    } catch (error) {
      tried.push(`apt-get install chromium failed: ${firstLine(error)}`);
    }
  } else {
    tried.push('apt-get was not tried (it needs root and apt-get)');
  }

  steps.log("downloading Playwright's Chromium (first time only)");
  try {
    // The package's bin, beside its package.json (its exports do not list cli.js).
    const cli = join(dirname(createRequire(import.meta.url).resolve('playwright-core/package.json')), 'cli.js');
    await steps.run(process.execPath, [cli, 'install', 'chromium'], steps.env);
    const downloaded = steps.playwrightPath();
    if (isExecutable(downloaded)) return downloaded;
    tried.push(`Playwright's download left no executable at ${downloaded}`);
  } catch (error) {
    tried.push(`Playwright's download failed: ${firstLine(error)}`);
  }
  throw new Error(
    `no Chromium for the UI test: ${tried.join('; ')}. Install one (as root: apt-get install -y chromium) ` +
      'or set CHROMIUM_PATH to its executable.',
  );
}
