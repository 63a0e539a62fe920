// The compose topology as plain processes on loopback (no Docker engine on the project's machines):
// PostgreSQL, the Temporal server on it, the namespace job, the simulator as the platform,
// `npp-temporal setup`, N workers and one webhook, each configured by environment as
// docs/deployment.md says. Every piece is found or built here; nothing falls back to a dev server.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { resolveTemporalCli } from '../../src/temporal/temporalCli.ts';
import { type Postgres, startPostgres } from './postgres.ts';
import { answers, freePort, logShows, ManagedProcess } from './process.ts';
import { ensureTemporalBinaries, setUpSchema, temporalServerProcess } from './temporalServer.ts';

const run = promisify(execFile);

export interface DeploymentOptions {
  workers: number;
  /** Where logs and recordings go. */
  runDir: string;
  /** Virtual numbers in the simulator's pool (XB bindings hold one each). */
  poolSize: number;
  /** Extra environment of the workers and the webhook (e.g. OTEL_* for tracing). */
  extraEnv?: Record<string, string>;
  log: (line: string) => void;
  /** Aborting stops the start at its next step, after removing what was started. */
  signal?: AbortSignal;
}

export interface Deployment {
  postgres: Postgres;
  temporal: ManagedProcess;
  simulator: ManagedProcess;
  webhook: ManagedProcess;
  workers: ManagedProcess[];
  temporalAddress: string;
  namespace: string;
  simulatorUrl: string;
  webhookUrl: string;
  /** What an app needs to reach the sessions (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, NPP_CODEC_KEYS). */
  appEnv: Record<string, string>;
  /** The archive directory of the workers. */
  archiveDir: string;
  stop(): Promise<void>;
}

const NAMESPACE = 'npp-chaos';

/** Starts everything, in the compose file's order, and answers once every service serves. */
export async function startDeployment(options: DeploymentOptions): Promise<Deployment> {
  const { runDir } = options;
  const log = (line: string) => {
    options.signal?.throwIfAborted();
    options.log(line);
  };
  mkdirSync(runDir, { recursive: true });
  const cli = resolveTemporalCli(process.env, log);
  if (cli.type !== 'existing-path') throw new Error('no Temporal CLI: build it with scripts/ensure-temporal-cli.ts');
  const binaries = ensureTemporalBinaries(log);

  log('PostgreSQL: initdb and start');
  const postgres = await startPostgres(log);
  const started: { kill(signal?: NodeJS.Signals): Promise<void> }[] = [];
  const stop = async () => {
    for (const service of started.reverse()) await service.kill('SIGTERM').catch(() => undefined);
    await postgres.remove();
  };
  try {
    log('Temporal schema (deploy/temporal/setup-schema.sh)');
    await setUpSchema(binaries, postgres);
    const server = await temporalServerProcess(binaries, postgres, runDir, cli.path);
    log(`Temporal server ${server.address}`);
    await server.process.start();
    started.push(server.process);

    log('namespace and search attributes (deploy/temporal/setup-namespace.sh)');
    await run('sh', ['deploy/temporal/setup-namespace.sh'], {
      env: {
        ...process.env,
        PATH: `${dirname(cli.path)}:${process.env.PATH ?? ''}`,
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: NAMESPACE,
        NAMESPACE_RETENTION: '24h',
        NPP_SEARCH_ATTRIBUTES: composeSetupEnv().NPP_SEARCH_ATTRIBUTES as string,
      },
    });

    const secretId = 'AKIDchaos';
    const secretKey = randomBytes(18).toString('base64url');
    const simulatorPort = await freePort();
    const simulatorUrl = `http://127.0.0.1:${simulatorPort}`;
    const node = process.execPath;
    const simulator = new ManagedProcess({
      name: 'simulator',
      command: node,
      args: ['src/simulator/main.ts'],
      env: {
        PATH: process.env.PATH ?? '',
        NPP_SIM_PORT: String(simulatorPort),
        NPP_SIM_POOL_SIZE: String(options.poolSize),
        TENCENTCLOUD_SECRET_ID: secretId,
        TENCENTCLOUD_SECRET_KEY: secretKey,
        LOG_LEVEL: 'warn',
      },
      logFile: join(runDir, 'simulator.log'),
      ready: () => answers(`${simulatorUrl}/_sim/delivery`),
    });
    await simulator.start();
    started.push(simulator);

    const webhookPort = await freePort();
    const webhookUrl = `http://127.0.0.1:${webhookPort}`;
    const archiveDir = join(runDir, 'recordings');
    const appEnv = {
      PATH: process.env.PATH ?? '',
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: NAMESPACE,
      NPP_CODEC_KEYS: `chaos:${randomBytes(32).toString('base64')}`,
    };
    const shared = {
      ...appEnv,
      WEBHOOK_PUBLIC_URL: webhookUrl,
      WEBHOOK_SECRET: randomBytes(24).toString('base64url'),
      LOG_LEVEL: 'info',
      ...options.extraEnv,
    };
    log('reconcile schedule (npp-temporal setup)');
    await run(node, ['bin/npp-temporal.mjs', 'setup'], { env: appEnv });

    const webhook = new ManagedProcess({
      name: 'webhook',
      command: node,
      args: ['src/webhooks/main.ts'],
      env: { ...shared, WEBHOOK_HOST: '127.0.0.1', WEBHOOK_PORT: String(webhookPort) },
      logFile: join(runDir, 'webhook.log'),
      ready: () => answers(`${webhookUrl}/readyz`),
    });
    await webhook.start();
    started.push(webhook);

    const workers = Array.from({ length: options.workers }, (_, i) => {
      const logFile = join(runDir, `worker-${i + 1}.log`);
      return new ManagedProcess({
        name: `worker-${i + 1}`,
        command: node,
        args: ['src/worker.ts'],
        env: {
          ...shared,
          NPP_ENDPOINT: simulatorUrl,
          TENCENTCLOUD_SECRET_ID: secretId,
          TENCENTCLOUD_SECRET_KEY: secretKey,
          NPP_BIZ_APP_ID: '1400000000',
          NPP_ARCHIVE_DIR: archiveDir,
        },
        logFile,
        ready: async (logOffset) => logShows(logFile, logOffset, '"worker started"'),
      });
    });
    for (const worker of workers) {
      await worker.start();
      started.push(worker);
    }
    log(`${options.workers} workers, webhook ${webhookUrl}, simulator ${simulatorUrl}`);
    return {
      postgres,
      temporal: server.process,
      simulator,
      webhook,
      workers,
      temporalAddress: server.address,
      namespace: NAMESPACE,
      simulatorUrl,
      webhookUrl,
      appEnv,
      archiveDir,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The environment compose gives its namespace job: the search attributes come from there, so they cannot drift. */
function composeSetupEnv(): Record<string, string> {
  const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as {
    services: Record<string, { environment?: Record<string, string> }>;
  };
  return compose.services['temporal-setup']?.environment ?? {};
}
