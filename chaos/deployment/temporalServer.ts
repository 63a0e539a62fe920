// The Temporal server the compose file pins (1.29.1) on PostgreSQL, as a plain process: binaries
// built from the Go module proxy into the cache once, the schema by the compose's own job script.
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, isExecutable } from '../../src/cacheDir.ts';
import type { Postgres } from './postgres.ts';
import { freePort, ManagedProcess } from './process.ts';

const run = promisify(execFile);
export const TEMPORAL_SERVER_VERSION = '1.29.1';
const MODULE = `go.temporal.io/server@v${TEMPORAL_SERVER_VERSION}`;

export interface TemporalBinaries {
  server: string;
  sqlTool: string;
  /** The server module's schema directory (schema/postgresql/v12/...). */
  schemaDir: string;
}

/** The cached server and sql tool, built with `go install` when missing; fails naming the step. */
export function ensureTemporalBinaries(log: (line: string) => void): TemporalBinaries {
  const dir = join(cacheDir(), `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  const server = join(dir, 'server');
  const sqlTool = join(dir, 'sql');
  for (const [binary, pkg] of [
    [server, `go.temporal.io/server/cmd/server@v${TEMPORAL_SERVER_VERSION}`],
    [sqlTool, `go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`],
  ] as const) {
    if (isExecutable(binary)) continue;
    log(`building ${pkg} into ${dir} (first time only; a few minutes)`);
    mkdirSync(dir, { recursive: true });
    const build = spawnSync('go', ['install', pkg], { env: { ...process.env, GOBIN: dir }, stdio: 'inherit' });
    if (build.error || build.status !== 0 || !isExecutable(binary)) {
      throw new Error(`cannot build the Temporal server: \`GOBIN=${dir} go install ${pkg}\` failed (is Go installed?)`);
    }
  }
  const modCache = spawnSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).stdout.trim();
  const schemaDir = join(modCache, MODULE, 'schema');
  if (!existsSync(schemaDir)) {
    log(`downloading ${MODULE} for its schema files`);
    const download = spawnSync('go', ['mod', 'download', MODULE], { stdio: 'inherit' });
    if (download.status !== 0 || !existsSync(schemaDir)) {
      throw new Error(`cannot find Temporal's schema files: \`go mod download ${MODULE}\` failed`);
    }
  }
  return { server, sqlTool, schemaDir };
}

/** Creates both databases and brings their schemas up to date with deploy/temporal/setup-schema.sh. */
export async function setUpSchema(binaries: TemporalBinaries, postgres: Postgres): Promise<void> {
  await run('sh', ['deploy/temporal/setup-schema.sh'], {
    env: {
      ...process.env,
      TEMPORAL_SQL_TOOL: binaries.sqlTool,
      TEMPORAL_SCHEMA_DIR: binaries.schemaDir,
      POSTGRES_SEEDS: '127.0.0.1',
      DB_PORT: String(postgres.port),
      POSTGRES_USER: postgres.user,
      POSTGRES_PWD: postgres.password,
    },
  });
}

/** The server process with a configuration like the compose's image renders, on free loopback ports. */
export async function temporalServerProcess(
  binaries: TemporalBinaries,
  postgres: Postgres,
  runDir: string,
  cli: string,
): Promise<{ process: ManagedProcess; address: string }> {
  const root = join(runDir, 'temporal');
  mkdirSync(join(root, 'config', 'dynamicconfig'), { recursive: true });
  copyFileSync('deploy/temporal/dynamicconfig.yaml', join(root, 'config', 'dynamicconfig', 'npp.yaml'));
  const ports = await Promise.all(Array.from({ length: 9 }, freePort));
  const [
    frontend,
    frontendHttp,
    frontendMembership,
    history,
    historyMembership,
    matching,
    matchingMembership,
    worker,
    workerMembership,
  ] = ports as [number, number, number, number, number, number, number, number, number];
  const store = (database: string, maxConns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "127.0.0.1:${postgres.port}"
        connectProtocol: tcp
        user: ${postgres.user}
        password: "${postgres.password}"
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h`;
  const service = (grpc: number, membership: number, http?: number) => `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${http ? `\n      httpPort: ${http}` : ''}`;
  writeFileSync(
    join(root, 'config', 'chaos.yaml'),
    `log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:${store('temporal', 20)}
    visibility:${store('temporal_visibility', 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
  frontend:${service(frontend, frontendMembership, frontendHttp)}
  history:${service(history, historyMembership)}
  matching:${service(matching, matchingMembership)}
  worker:${service(worker, workerMembership)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: 127.0.0.1:${frontend}
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: ${join(root, 'config', 'dynamicconfig', 'npp.yaml')}
  pollInterval: 10s
`,
  );
  const address = `127.0.0.1:${frontend}`;
  const server = new ManagedProcess({
    name: 'temporal',
    command: binaries.server,
    args: ['--root', root, '--config', 'config', '--env', 'chaos', '--allow-no-auth', 'start'],
    env: { PATH: process.env.PATH ?? '' },
    logFile: join(runDir, 'temporal.log'),
    ready: async () => {
      const health = await run(cli, ['operator', 'cluster', 'health', '--address', address], { timeout: 5000 });
      return health.stdout.includes('SERVING');
    },
    readyTimeoutMs: 120_000,
  });
  return { process: server, address };
}
