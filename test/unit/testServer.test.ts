// How the time-skipping tier finds its test server: the explicit path, the cache, else one Maven
// build; and a machine without Java or Maven fails naming what to install. Fake `java` and `mvn`
// executables stand in for the real ones, so this runs in milliseconds and never downloads.
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveTestServer, TEST_SERVER_VERSION, testServerDir } from '../../scripts/testServer.ts';

const quiet = () => {};
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'npp-test-server-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function executable(path: string, lines: string[]): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, ['#!/bin/sh', 'PATH=/usr/bin:/bin', ...lines, ''].join('\n'));
  chmodSync(path, 0o755);
  return path;
}

/** A `java` and an `mvn` in `bin` that log their arguments; `mvn` drops the server's jar where it is told. */
function fakeTools(options: { java?: boolean; mvn?: 'works' | 'fails' } = {}) {
  const bin = join(root, 'bin');
  const log = join(root, 'calls.log');
  mkdirSync(bin, { recursive: true });
  if (options.java ?? true) executable(join(bin, 'java'), [`echo "java $*" >> '${log}'`]);
  if (options.mvn === 'fails') {
    executable(join(bin, 'mvn'), [
      `echo "mvn $*" >> '${log}'`,
      '[ "$1" = -v ] && exit 0',
      'echo "Could not resolve dependencies"',
      'exit 1',
    ]);
  } else if (options.mvn === 'works') {
    executable(join(bin, 'mvn'), [
      `echo "mvn $*" >> '${log}'`,
      'for arg in "$@"; do case "$arg" in -DoutputDirectory=*) out=$(echo "$arg" | cut -d= -f2-);; esac; done',
      `[ -n "$out" ] && mkdir -p "$out" && touch "$out/temporal-test-server-${TEST_SERVER_VERSION}.jar"`,
      'exit 0',
    ]);
  }
  return {
    env: { PATH: bin, NPP_TEMPORAL_CACHE: join(root, 'cache') },
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
  };
}

const isExecutable = (path: string) => {
  accessSync(path, constants.X_OK);
  return true;
};

describe('resolveTestServer', () => {
  it('builds once with Maven into the cache: a wrapper that runs the server’s main class on the fetched jars', async () => {
    const tools = fakeTools({ mvn: 'works' });
    const path = await resolveTestServer(tools.env, quiet);

    expect(path).toBe(join(root, 'cache', `temporal-test-server-${TEST_SERVER_VERSION}`, 'temporal-test-server'));
    expect(isExecutable(path)).toBe(true);
    const wrapper = readFileSync(path, 'utf8');
    expect(wrapper).toContain('io.temporal.testserver.TestServer "$@"');
    expect(wrapper).toContain('-cp "$here/lib/*"');
    const pom = readFileSync(join(testServerDir(tools.env), 'pom.xml'), 'utf8');
    expect(pom).toContain('<artifactId>temporal-test-server</artifactId>');
    expect(pom).toContain(`<version>${TEST_SERVER_VERSION}</version>`);
    expect(tools.calls().filter((call) => call.includes('dependency:copy-dependencies'))).toHaveLength(1);

    // A second resolve finds the build and runs neither Java nor Maven.
    const before = tools.calls().length;
    expect(await resolveTestServer(tools.env, quiet)).toBe(path);
    expect(tools.calls()).toHaveLength(before);
  });

  it('lets TEMPORAL_TEST_SERVER_PATH win over the cache, and refuses one that is not executable', async () => {
    const tools = fakeTools({ mvn: 'works' });
    const cached = await resolveTestServer(tools.env, quiet);
    const explicit = executable(join(root, 'elsewhere', 'test-server'), ['exit 0']);
    expect(await resolveTestServer({ ...tools.env, TEMPORAL_TEST_SERVER_PATH: explicit }, quiet)).toBe(explicit);
    expect(explicit).not.toBe(cached);
    await expect(
      resolveTestServer({ ...tools.env, TEMPORAL_TEST_SERVER_PATH: join(root, 'missing') }, quiet),
    ).rejects.toThrow(/TEMPORAL_TEST_SERVER_PATH=.*missing is not an executable file/);
  });

  it('fails naming Java when there is none, and Maven when there is none', async () => {
    const noJava = fakeTools({ java: false, mvn: 'works' });
    await expect(resolveTestServer(noJava.env, quiet)).rejects.toThrow(/needs Java \(17 or later\)/);
    rmSync(join(root, 'bin'), { recursive: true });
    const noMaven = fakeTools({ java: true });
    await expect(resolveTestServer(noMaven.env, quiet)).rejects.toThrow(/needs Maven \(mvn\)/);
    expect(existsSync(testServerDir(noMaven.env))).toBe(false);
  });

  it('reports what Maven said when the build fails, and leaves nothing half-built in the cache', async () => {
    const tools = fakeTools({ mvn: 'fails' });
    await expect(resolveTestServer(tools.env, quiet)).rejects.toThrow(
      /copy-dependencies[\s\S]*Could not resolve dependencies/,
    );
    expect(readdirSync(join(root, 'cache'))).toEqual([]);
  });
});
