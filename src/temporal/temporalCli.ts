import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { cacheDir, isExecutable } from '../cacheDir.ts';

/** The newest CLI tag whose go.mod has no `replace` directive, which `go install` refuses. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const GO_PACKAGE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;

/** Same shape as @temporalio/testing's dev-server `executable` option. */
export type TemporalCliExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

export type CliLog = (message: string) => void;
/** Where the CLI's messages go unless a caller says otherwise: stderr, tagged. */
export const defaultLog: CliLog = (message) => process.stderr.write(`[temporal-cli] ${message}\n`);

const binaryName = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

function findOnPath(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, binaryName))) return join(dir, binaryName);
  }
  return undefined;
}

function goIsPresent(env: NodeJS.ProcessEnv): boolean {
  return spawnSync('go', ['version'], { env, stdio: 'ignore' }).status === 0;
}

/**
 * Finds a Temporal CLI, in this order: TEMPORAL_CLI_PATH, a `temporal` on PATH, the binary cached
 * by an earlier run, a fresh `go install` into the cache (minutes and gigabytes the first time),
 * and finally the SDK's own download for machines that can reach temporal.download.
 */
export function resolveTemporalCli(
  env: NodeJS.ProcessEnv = process.env,
  log: CliLog = defaultLog,
): TemporalCliExecutable {
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`TEMPORAL_CLI_PATH=${explicit} is not an executable file`);
    return { type: 'existing-path', path: explicit };
  }
  const onPath = findOnPath(env);
  if (onPath) return { type: 'existing-path', path: onPath };

  const binDir = join(cacheDir(env), 'bin');
  const cached = join(binDir, binaryName);
  if (isExecutable(cached)) return { type: 'existing-path', path: cached };

  if (goIsPresent(env)) {
    log(`building ${GO_PACKAGE} into ${binDir} with go install (first time only; takes a few minutes)`);
    mkdirSync(binDir, { recursive: true });
    const build = spawnSync('go', ['install', GO_PACKAGE], {
      env: { ...env, GOBIN: binDir },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (build.status === 0 && isExecutable(cached)) {
      log(`built ${cached}`);
      return { type: 'existing-path', path: cached };
    }
    log(`go install failed (exit ${build.status ?? build.signal}); falling back to the SDK's download`);
  }
  log('no temporal binary found; the SDK will download the dev server (needs internet access)');
  return { type: 'cached-download' };
}
