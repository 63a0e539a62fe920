// Finds, or fetches once from Maven Central, s3proxy (org.gaul:s3proxy, Apache-2.0): the
// S3-compatible server the tests archive recordings into. Its release ships a runnable jar with all
// its dependencies; Java 17 and Maven are on the project's machines.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from '../src/cacheDir.ts';

export const S3PROXY_VERSION = '4.1.0';
const ARTIFACT = `org.gaul:s3proxy:${S3PROXY_VERSION}:jar:jar-with-dependencies`;

const run = promisify(execFile);

/** The cached jar's folder, one per version. */
export function s3proxyDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), `s3proxy-${S3PROXY_VERSION}`);
}

/** Fails naming the missing step, so the reader knows what to install. */
async function requireTool(command: string, args: string[], missing: string): Promise<void> {
  try {
    await run(command, args);
  } catch (error) {
    throw new Error(`${missing} (\`${command} ${args.join(' ')}\` failed: ${(error as Error).message.split('\n')[0]})`);
  }
}

/**
 * The path of s3proxy's runnable jar: S3PROXY_JAR when set, else the cache, else fetched with
 * Maven into the cache (first time only).
 */
export async function resolveS3proxy(
  env: NodeJS.ProcessEnv = process.env,
  log: (message: string) => void = (message) => process.stderr.write(`[s3proxy] ${message}\n`),
): Promise<string> {
  if (env.S3PROXY_JAR) {
    if (!existsSync(env.S3PROXY_JAR)) throw new Error(`S3PROXY_JAR=${env.S3PROXY_JAR} does not exist`);
    return env.S3PROXY_JAR;
  }
  const dir = s3proxyDir(env);
  const jar = join(dir, 's3proxy.jar');
  if (existsSync(jar)) return jar;

  await requireTool('java', ['-version'], 's3proxy needs Java (17 or later) on PATH, or S3PROXY_JAR');
  await requireTool('mvn', ['-v'], 'fetching s3proxy needs Maven (mvn) on PATH, or set S3PROXY_JAR');
  mkdirSync(dir, { recursive: true });
  // Fetched beside its final place and renamed: two test files fetching at once never see half a jar.
  const staging = mkdtempSync(join(dir, '.fetching-'));
  try {
    log(`fetching ${ARTIFACT} with Maven into ${dir} (first time only)`);
    await run(
      'mvn',
      [
        '-q',
        '-B',
        'dependency:copy',
        `-Dartifact=${ARTIFACT}`,
        `-DoutputDirectory=${staging}`,
        '-Dmdep.stripVersion=true',
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const fetched = readdirSync(staging).find((name) => name.endsWith('.jar'));
    if (!fetched) throw new Error(`Maven fetched no jar for ${ARTIFACT}`);
    renameSync(join(staging, fetched), jar);
  } catch (error) {
    throw new Error(`fetching s3proxy failed; set S3PROXY_JAR to a runnable s3proxy jar: ${(error as Error).message}`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return jar;
}
