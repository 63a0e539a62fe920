// The whole product in one process, for `npm start` and the tests of the CLI and the demo:
// Temporal (reused or a dev server), the NPP simulator, the webhook server and the worker, wired
// so the simulator's callbacks reach the webhook and become signals.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import type { Logger } from 'pino';
import { archiveConfigFromEnv } from './archive/config.ts';
import { cacheDir } from './cacheDir.ts';
import { NppClient } from './npp/client.ts';
import { ensureReconcileSchedule, reconcileInputFromEnv } from './schedules/reconcileSchedule.ts';
import { type Simulator, startSimulator } from './simulator/server.ts';
import { startTracing } from './telemetry/tracing.ts';
import { DEFAULT_TEMPORAL_ADDRESS, loadTemporalConfig } from './temporal/connection.ts';
import { dataConverterFromEnv } from './temporal/dataConverter.ts';
import { attachToTemporal, startDevServer, type TemporalServer } from './temporal/devServer.ts';
import { type ConfiguredWebhook, startConfiguredWebhook } from './webhooks/fromEnv.ts';
import { createNppWorkers, loadWorkerConfig, type NppWorkers } from './worker.ts';

export interface EmbeddedOptions {
  logger: Logger;
  env?: Record<string, string | undefined>;
  /** Port of a dev server this process starts (default 7233) and of its UI (default 8233). */
  temporalPort?: number;
  temporalUiPort?: number;
  /** SQLite file of a started dev server, so runs survive restarts. */
  temporalDbFile?: string;
  /** A prebuilt workflow bundle (tests); the worker bundles the sources otherwise. */
  workflowBundlePath?: string;
}

export interface EmbeddedStack {
  /** Production: real NPP and an external Temporal, no simulator. */
  production: boolean;
  temporal: TemporalServer;
  simulator?: Simulator;
  webhook: ConfiguredWebhook;
  workers: NppWorkers;
  taskQueue: string;
  /** Resolves when the workers stopped (after `stop()` or a fatal worker error). */
  running: Promise<void>;
  stop(): Promise<void>;
}

/** The started dev server's SQLite file, in the cache directory. */
export const devDbFile = (env: Record<string, string | undefined>) => join(cacheDir(env), 'dev-server.sqlite');
/** Where `npm start` archives recordings unless NPP_ARCHIVE_DIR or NPP_ARCHIVE_URL says otherwise. */
export const devArchiveDir = (env: Record<string, string | undefined>) => join(cacheDir(env), 'recordings');

/** Production mode needs all of Temporal's address, the Tencent Cloud credentials and the endpoint. */
export function isProductionEnv(env: Record<string, string | undefined>): boolean {
  return productionEnvStatus(env).missing.length === 0;
}

/** Which of the production-mode variables are set and which are missing. */
export function productionEnvStatus(env: Record<string, string | undefined>): { set: string[]; missing: string[] } {
  const names = ['TEMPORAL_ADDRESS', 'TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY', 'NPP_ENDPOINT'];
  const set = names.filter((name) => !!env[name]?.trim());
  return { set, missing: names.filter((name) => !set.includes(name)) };
}

export async function startEmbeddedStack(options: EmbeddedOptions): Promise<EmbeddedStack> {
  const env = { ...(options.env ?? process.env) };
  const production = isProductionEnv(env);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of [...stops].reverse())
      await stop().catch((error) => options.logger.error({ err: error }, 'stop failed'));
  };
  try {
    // Tracing (OTEL_*) before anything serving HTTP starts; its shutdown runs last, exporting every span.
    const tracing = startTracing({ serviceName: 'npp-temporal', env });
    if (tracing) stops.push(() => tracing.shutdown());
    // The dev server's UI decodes payloads through the webhook's codec server (token in its path).
    let uiCodecEndpoint: string | undefined;
    if (!production) {
      env.CODEC_SERVER_TOKEN ||= randomBytes(24).toString('base64url');
      const uiPort = options.temporalUiPort ?? 8233;
      env.CODEC_CORS_ORIGIN ||= `http://127.0.0.1:${uiPort},http://localhost:${uiPort}`;
      uiCodecEndpoint = `http://127.0.0.1:${env.WEBHOOK_PORT || 8787}/codec/${env.CODEC_SERVER_TOKEN}`;
    }
    const temporal = await connectTemporal(env, options, uiCodecEndpoint);
    stops.push(() => temporal.stop());
    env.TEMPORAL_ADDRESS = temporal.address;
    env.TEMPORAL_NAMESPACE = temporal.namespace;

    let simulator: Simulator | undefined;
    if (!production) {
      // The simulator's credentials exist only inside this process.
      const secretId = `AKIDembedded${randomBytes(6).toString('hex')}`;
      const secretKey = randomBytes(24).toString('base64url');
      simulator = await startSimulator({
        secretId,
        secretKey,
        port: Number(env.NPP_SIM_PORT ?? 9080),
        logLevel: env.LOG_LEVEL ?? 'warn',
      });
      stops.push(() => (simulator as Simulator).close());
      env.NPP_ENDPOINT = simulator.url;
      env.TENCENTCLOUD_SECRET_ID = secretId;
      env.TENCENTCLOUD_SECRET_KEY = secretKey;
      env.NPP_BIZ_APP_ID ||= '1400000000';
      // Recordings are archived locally, so the demo shows the whole path a recording takes.
      if (!env.NPP_ARCHIVE_URL) env.NPP_ARCHIVE_DIR ||= devArchiveDir(env);
    }

    // Production needs configured keys; the embedded default makes (once) a local dev key.
    const converter = dataConverterFromEnv(env, { allowDevKey: !production });
    const { dataConverter } = converter;
    const webhook = await startConfiguredWebhook({
      logger: options.logger,
      env,
      allowGeneratedSecret: !production,
      converter,
      ...(tracing ? { tracing } : {}),
    });
    stops.push(() => webhook.close());

    const workerConfig = loadWorkerConfig(env);
    const npp = new NppClient({ env });
    stops.push(() => npp.close());
    const temporalConfig = loadTemporalConfig(env);
    const connection = await NativeConnection.connect(temporalConfig.connectionOptions);
    stops.push(() => connection.close());
    const client = new Client({
      connection: await Connection.connect(temporalConfig.connectionOptions),
      namespace: temporal.namespace,
      dataConverter,
      ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
    });
    stops.push(() => client.connection.close());
    if (!production && !temporal.owned) await refuseOthersWorkers(client, temporal, workerConfig.taskQueue);
    // What `npp-temporal setup` does on a real deployment; a shared production namespace keeps its own.
    if (!production) {
      await ensureReconcileSchedule(client, { taskQueue: workerConfig.taskQueue, input: reconcileInputFromEnv(env) });
    }
    const archive = archiveConfigFromEnv(env);
    const workers = await createNppWorkers({
      connection,
      namespace: temporal.namespace,
      taskQueue: workerConfig.taskQueue,
      activities: {
        client: npp,
        temporal: client,
        callbacks: { publicUrl: webhook.config.publicUrl, secret: webhook.config.secrets.current },
        ...(archive ? { archive } : {}),
        ...(workerConfig.notifySecret ? { notify: { secret: workerConfig.notifySecret } } : {}),
      },
      dataConverter,
      ...(options.workflowBundlePath ? { workflowBundlePath: options.workflowBundlePath } : {}),
      archiveConcurrency: workerConfig.archiveConcurrency,
      ...(tracing ? { tracing } : {}),
    });
    const running = workers.run();
    let stopping: Promise<void> | undefined;
    return {
      production,
      temporal,
      ...(simulator ? { simulator } : {}),
      webhook,
      workers,
      taskQueue: workerConfig.taskQueue,
      running,
      stop: () => {
        // Ctrl-C and a failing worker may both ask: everything stops once.
        stopping ??= (async () => {
          workers.shutdown();
          await running.catch((error) => options.logger.error({ err: error }, 'worker failed'));
          await stopAll();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * A simulator-backed worker must never join a task queue other workers serve (a local compose
 * deployment's `npp`, say): it would take their sessions and bind them on the simulator.
 */
async function refuseOthersWorkers(client: Client, temporal: TemporalServer, taskQueue: string): Promise<void> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: temporal.namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  if (pollers.length > 0) {
    throw new Error(
      `Temporal at ${temporal.address} already has workers on task queue ${taskQueue}; ` +
        'set NPP_TASK_QUEUE to a queue of your own, or TEMPORAL_ADDRESS to another server',
    );
  }
}

/** TEMPORAL_ADDRESS when set; else a server already on the dev server's port; else a new dev server. */
async function connectTemporal(
  env: Record<string, string | undefined>,
  options: EmbeddedOptions,
  uiCodecEndpoint: string | undefined,
): Promise<TemporalServer> {
  if (env.TEMPORAL_ADDRESS) return attachToTemporal(env);
  // Probe where the dev server would listen: a server on another port is not the one asked for.
  const devAddress = options.temporalPort ? `127.0.0.1:${options.temporalPort}` : DEFAULT_TEMPORAL_ADDRESS;
  if (await isListening(devAddress)) return attachToTemporal({ ...env, TEMPORAL_ADDRESS: devAddress });
  const dbFilename = options.temporalDbFile ?? devDbFile(env);
  await mkdir(dirname(dbFilename), { recursive: true });
  return startDevServer({
    ui: true,
    port: options.temporalPort ?? 7233,
    uiPort: options.temporalUiPort ?? 8233,
    dbFilename,
    ...(uiCodecEndpoint ? { uiCodecEndpoint } : {}),
  });
}

function isListening(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = createConnection({ host, port: Number(port), timeout: 500 });
    const done = (listening: boolean) => {
      socket.destroy();
      resolve(listening);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
