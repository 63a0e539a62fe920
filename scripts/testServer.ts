// Finds, or builds once from Maven Central, Temporal's time-skipping test server (the Java one of
// io.temporal:temporal-test-server). The SDK's own download comes from a host this project's machines
// cannot reach; Maven Central they can, and Java 17 and Maven are on them.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, isExecutable } from '../src/cacheDir.ts';

/** The release of io.temporal:temporal-test-server that gets built; its jar's Main-Class is MAIN_CLASS. */
export const TEST_SERVER_VERSION = '1.38.0';
/** Takes `<port> [--enable-time-skipping]`; the SDK passes the port and unlocks time skipping itself. */
const MAIN_CLASS = 'io.temporal.testserver.TestServer';
const WRAPPER = 'temporal-test-server';
/** The server logs through SLF4J 1.7 (its slf4j-api); without a binding every start prints a warning. */
const SLF4J_VERSION = '1.7.36';

export type TestServerLog = (message: string) => void;
const defaultLog: TestServerLog = (message) => process.stderr.write(`[test-server] ${message}\n`);

const run = promisify(execFile);

/** Where the build goes: its own folder per version, so a version bump never reuses old jars. */
export function testServerDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), `temporal-test-server-${TEST_SERVER_VERSION}`);
}

/** A pom whose only purpose is to let `dependency:copy-dependencies` fetch the server and what it needs. */
function pom(): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>npp-temporal</groupId>
  <artifactId>temporal-test-server-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>${TEST_SERVER_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>${SLF4J_VERSION}</version>
    </dependency>
  </dependencies>
</project>
`;
}

/** Fails with the step that is missing, so whoever reads the error knows what to install. */
async function requireTool(command: string, args: string[], env: NodeJS.ProcessEnv, missing: string): Promise<void> {
  try {
    await run(command, args, { env });
  } catch (error) {
    throw new Error(`${missing} (\`${command} ${args.join(' ')}\` failed: ${(error as Error).message.split('\n')[0]})`);
  }
}

async function build(dir: string, env: NodeJS.ProcessEnv, log: TestServerLog): Promise<string> {
  await requireTool(
    'java',
    ['-version'],
    env,
    'the time-skipping test server needs Java (17 or later) on PATH, or TEMPORAL_TEST_SERVER_PATH',
  );
  await requireTool(
    'mvn',
    ['-v'],
    env,
    'building the time-skipping test server needs Maven (mvn) on PATH, or set TEMPORAL_TEST_SERVER_PATH',
  );
  mkdirSync(join(dir, '..'), { recursive: true });
  // Built beside its final place and renamed: a concurrent build (two test files) never sees half of it.
  const staging = mkdtempSync(`${dir}.building-`);
  try {
    log(`fetching io.temporal:temporal-test-server:${TEST_SERVER_VERSION} with Maven into ${dir} (first time only)`);
    await writeFile(join(staging, 'pom.xml'), pom());
    try {
      await run(
        'mvn',
        [
          '-B',
          '-q',
          '-f',
          join(staging, 'pom.xml'),
          'dependency:copy-dependencies',
          `-DoutputDirectory=${join(staging, 'lib')}`,
        ],
        { env, maxBuffer: 64 * 1024 * 1024 },
      );
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(
        `mvn dependency:copy-dependencies of io.temporal:temporal-test-server:${TEST_SERVER_VERSION} failed:\n${stdout}${stderr}`,
      );
    }
    const jar = join(staging, 'lib', `temporal-test-server-${TEST_SERVER_VERSION}.jar`);
    if (!existsSync(jar)) throw new Error(`Maven finished but ${jar} is missing`);
    const wrapper = join(staging, WRAPPER);
    // The jars sit beside the wrapper, so the folder can move (the rename below) and still run.
    await writeFile(
      wrapper,
      [
        '#!/bin/sh',
        `# Temporal's time-skipping test server ${TEST_SERVER_VERSION}; usage: ${WRAPPER} <port> [--enable-time-skipping]`,
        'here=$(cd "$(dirname "$0")" && pwd)',
        `exec java -cp "$here/lib/*" ${MAIN_CLASS} "$@"`,
        '',
      ].join('\n'),
    );
    chmodSync(wrapper, 0o755);
    try {
      renameSync(staging, dir);
    } catch (error) {
      // Another build finished first: keep its result.
      if (!isExecutable(join(dir, WRAPPER))) throw error;
    }
    log(`built ${join(dir, WRAPPER)}`);
    return join(dir, WRAPPER);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * The time-skipping test server's executable, in this order: TEMPORAL_TEST_SERVER_PATH, the one built
 * into the cache (NPP_TEMPORAL_CACHE, else npp-temporal under XDG_CACHE_HOME or ~/.cache) by an earlier
 * run, else a fresh build there with Maven (half a minute the first time). Throws, naming what is missing,
 * when none can be had: a test needing it must fail, not skip.
 */
export async function resolveTestServer(
  env: NodeJS.ProcessEnv = process.env,
  log: TestServerLog = defaultLog,
): Promise<string> {
  const explicit = env.TEMPORAL_TEST_SERVER_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`TEMPORAL_TEST_SERVER_PATH=${explicit} is not an executable file`);
    return explicit;
  }
  const dir = testServerDir(env);
  const cached = join(dir, WRAPPER);
  if (isExecutable(cached)) return cached;
  return build(dir, env, log);
}
