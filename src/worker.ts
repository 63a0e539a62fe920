// The worker process: `node src/worker.ts` (or `npm run worker`). Polls the NPP task queue with
// every workflow and activity, and its archive queue with recording downloads; optionally serves
// the webhook in the same process.
//
// Environment: Temporal from @temporalio/envconfig (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API
// key, profiles); NPP_TASK_QUEUE (default `npp`); WORKER_METRICS_PORT (Prometheus, off by default)
// and WORKER_METRICS_HOST; the NPP client's TENCENTCLOUD_* / NPP_ENDPOINT / NPP_BIZ_APP_ID; the
// callback URLs' WEBHOOK_PUBLIC_URL + WEBHOOK_SECRET; NPP_ARCHIVE_DIR or NPP_ARCHIVE_URL to archive recordings and
// NPP_ARCHIVE_CONCURRENCY (default 8) downloads at once; NPP_WORKFLOW_CACHE_SIZE (default 0, see
// docs/reliability.md before raising it); NPP_CODEC_KEYS / NPP_CODEC_KEY_FILE for payload encryption; WEBHOOK_IN_WORKER=true to serve the webhook; OTEL_* for tracing (src/telemetry).
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { pino } from 'pino';
import { createArchiveActivities } from './activities/archiveActivities.ts';
import { archiveTaskQueue } from './activities/archiveOptions.ts';
import { type ActivityDependencies, createActivities } from './activities/index.ts';
import { createNotifyActivities } from './activities/notifyActivities.ts';
import { notifyTaskQueue } from './activities/notifyOptions.ts';
import { archiveConfigFromEnv, DEFAULT_MAX_RECORDING_BYTES } from './archive/config.ts';
import type { CallbackUrlConfig } from './npp/callbacks/urls.ts';
import { NppClient } from './npp/client.ts';
import { maskPhonesInText } from './phone.ts';
import { startTracing, type Tracing } from './telemetry/tracing.ts';
import { loadTemporalConfig } from './temporal/connection.ts';
import { dataConverterFromEnv } from './temporal/dataConverter.ts';
import { installRuntime } from './temporal/runtime.ts';
import { startConfiguredWebhook } from './webhooks/fromEnv.ts';

export const DEFAULT_TASK_QUEUE = 'npp';

/** The workflows' entry module: the SDK bundles it (and only what it imports) for its sandbox. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

export const DEFAULT_ARCHIVE_CONCURRENCY = 8;

/**
 * Workflow runs a worker keeps in memory between their tasks. None by default: a query that reaches a
 * worker while the run has a task pending makes the SDK apply that task's events early, and a run kept
 * in memory afterwards records commands in an order no replay can repeat (docs/reliability.md).
 */
export const DEFAULT_WORKFLOW_CACHE_SIZE = 0;

export interface NppWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue?: string;
  activities: ActivityDependencies;
  dataConverter?: DataConverter;
  /**
   * A prebuilt workflow bundle (tests, benchmarks); the worker bundles WORKFLOWS_PATH otherwise. A
   * prebuilt bundle lacks the tracing workflow interceptors: with `tracing`, leave it unset.
   */
  workflowBundlePath?: string;
  /** Recording downloads this process runs at once (default DEFAULT_ARCHIVE_CONCURRENCY). */
  archiveConcurrency?: number;
  /** Workflow runs kept in memory between tasks (default DEFAULT_WORKFLOW_CACHE_SIZE). */
  workflowCacheSize?: number;
  /** OpenTelemetry's interceptors and workflow span sink, when tracing is on (startTracing). */
  tracing?: Tracing;
}

/** The three workers of one process, run and stopped together. */
export interface NppWorkers {
  /** Every workflow and activity, on the task queue. */
  main: Worker;
  /** archiveRecording alone, on archiveTaskQueue(taskQueue), a few at a time. */
  archive: Worker;
  /** deliverNotification alone, on notifyTaskQueue(taskQueue). */
  notify: Worker;
  /** Resolves when both stopped (shutdown(), SIGINT/SIGTERM); one failing stops the other and rejects. */
  run(): Promise<void>;
  /** Begins both workers' graceful shutdown; a worker not running is left alone. */
  shutdown(): void;
}

export async function createNppWorkers(options: NppWorkerOptions): Promise<NppWorkers> {
  const taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
  const main = await createNppWorker({ ...options, taskQueue });
  const archive = await createArchiveWorker({ ...options, taskQueue });
  const notify = await createNotifyWorker({ ...options, taskQueue });
  const all = [main, archive, notify];
  const shutdown = () => {
    for (const worker of all) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  return {
    main,
    archive,
    notify,
    shutdown,
    async run() {
      const stopped = await Promise.allSettled(
        all
          .map((worker) => worker.run())
          .map((running) =>
            running.catch((error: unknown) => {
              // A process serving only one of its two queues would look healthy while half its work waits.
              shutdown();
              throw error;
            }),
          ),
      );
      const failed = stopped.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

function createNppWorker(options: NppWorkerOptions & { taskQueue: string }): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath: WORKFLOWS_PATH }),
    // The whole activity set; workflows schedule archiveRecording on the archive queue only.
    activities: createActivities(options.activities),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...tracingOptions(options),
    maxCachedWorkflows: options.workflowCacheSize ?? DEFAULT_WORKFLOW_CACHE_SIZE,
    // Activities wait on NPP's HTTP answers, not on CPU: many may run at once.
    maxConcurrentActivityTaskExecutions: 200,
    // On SIGTERM, NPP calls in flight (at most 10 s each) finish before their activities are cancelled.
    shutdownGraceTime: '15s',
  });
}

function tracingOptions(options: NppWorkerOptions): Pick<WorkerOptions, 'plugins'> {
  return options.tracing ? { plugins: [options.tracing.workerPlugin] } : {};
}

/** Recording downloads, on a queue of their own: a burst of them never delays binding or unbinding. */
function createArchiveWorker(options: NppWorkerOptions & { taskQueue: string }): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: archiveTaskQueue(options.taskQueue),
    activities: createArchiveActivities(options.activities.archive ?? { maxBytes: DEFAULT_MAX_RECORDING_BYTES }),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...tracingOptions(options),
    maxConcurrentActivityTaskExecutions: options.archiveConcurrency ?? DEFAULT_ARCHIVE_CONCURRENCY,
    // A download cut off by shutdown is retried by another worker and written again from the start.
    shutdownGraceTime: '15s',
  });
}

/** Notification deliveries, on a queue of their own: a slow receiver never holds NPP calls' slots. */
function createNotifyWorker(options: NppWorkerOptions & { taskQueue: string }): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: notifyTaskQueue(options.taskQueue),
    activities: createNotifyActivities(options.activities.notify ?? {}),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...tracingOptions(options),
    maxConcurrentActivityTaskExecutions: 50,
    shutdownGraceTime: '15s',
  });
}

/** Worker settings read from the environment; errors name the variable, never echo a secret. */
export interface WorkerConfig {
  taskQueue: string;
  metricsBindAddress?: string;
  /** Per-workflow callback URLs; without them the platform uses the console's default addresses. */
  callbacks?: CallbackUrlConfig;
  webhookInWorker: boolean;
  /** Recording downloads at once (NPP_ARCHIVE_CONCURRENCY). */
  archiveConcurrency: number;
  /** Workflow runs kept in memory between tasks (NPP_WORKFLOW_CACHE_SIZE). */
  workflowCacheSize: number;
  /** Signs the notifications sent to sessions' notifyUrl (NPP_NOTIFY_SECRET); without it none is sent. */
  notifySecret?: string;
}

export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  const taskQueue = env.NPP_TASK_QUEUE?.trim() || DEFAULT_TASK_QUEUE;
  const metricsPort = env.WORKER_METRICS_PORT?.trim();
  if (metricsPort && !/^\d{1,5}$/.test(metricsPort))
    throw new Error(`WORKER_METRICS_PORT is not a port: ${metricsPort}`);
  const publicUrl = env.WEBHOOK_PUBLIC_URL?.trim();
  const secret = env.WEBHOOK_SECRET?.trim();
  if (publicUrl && !secret) throw new Error('WEBHOOK_PUBLIC_URL is set but WEBHOOK_SECRET is not');
  const archiveConcurrency = env.NPP_ARCHIVE_CONCURRENCY?.trim();
  if (archiveConcurrency && !/^[1-9]\d{0,3}$/.test(archiveConcurrency))
    throw new Error(`NPP_ARCHIVE_CONCURRENCY is not a whole number from 1 to 9999: ${archiveConcurrency}`);
  const workflowCacheSize = env.NPP_WORKFLOW_CACHE_SIZE?.trim();
  if (workflowCacheSize && !/^\d{1,5}$/.test(workflowCacheSize))
    throw new Error(`NPP_WORKFLOW_CACHE_SIZE is not a whole number from 0 to 99999: ${workflowCacheSize}`);
  return {
    taskQueue,
    ...(metricsPort ? { metricsBindAddress: `${env.WORKER_METRICS_HOST?.trim() || '127.0.0.1'}:${metricsPort}` } : {}),
    ...(publicUrl && secret ? { callbacks: { publicUrl, secret } } : {}),
    webhookInWorker: /^(1|true|yes)$/i.test(env.WEBHOOK_IN_WORKER ?? ''),
    archiveConcurrency: archiveConcurrency ? Number(archiveConcurrency) : DEFAULT_ARCHIVE_CONCURRENCY,
    workflowCacheSize: workflowCacheSize ? Number(workflowCacheSize) : DEFAULT_WORKFLOW_CACHE_SIZE,
    ...(env.NPP_NOTIFY_SECRET?.trim() ? { notifySecret: env.NPP_NOTIFY_SECRET.trim() } : {}),
  };
}

async function runWorkerProcess(): Promise<void> {
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  const config = loadWorkerConfig();
  const temporal = loadTemporalConfig();
  installRuntime({ logger, ...(config.metricsBindAddress ? { metricsBindAddress: config.metricsBindAddress } : {}) });
  if (!config.callbacks) logger.warn('WEBHOOK_PUBLIC_URL unset: the platform pushes to the console default URLs');

  const tracing = startTracing({ serviceName: 'npp-temporal-worker' });
  const converter = dataConverterFromEnv();
  const { dataConverter } = converter;
  const npp = new NppClient();
  const connection = await NativeConnection.connect(temporal.connectionOptions);
  // Reconciliation's activities look workflows up and signal them through a client.
  const clientConnection = Connection.lazy(temporal.connectionOptions);
  const archive = archiveConfigFromEnv();
  const workers = await createNppWorkers({
    connection,
    namespace: temporal.namespace,
    taskQueue: config.taskQueue,
    activities: {
      client: npp,
      temporal: new Client({
        connection: clientConnection,
        namespace: temporal.namespace,
        dataConverter,
        ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
      }),
      ...(config.callbacks ? { callbacks: config.callbacks } : {}),
      ...(archive ? { archive } : {}),
      ...(config.notifySecret ? { notify: { secret: config.notifySecret } } : {}),
    },
    dataConverter,
    archiveConcurrency: config.archiveConcurrency,
    workflowCacheSize: config.workflowCacheSize,
    ...(tracing ? { tracing } : {}),
  });
  const webhook = config.webhookInWorker
    ? await startConfiguredWebhook({ logger, converter, ...(tracing ? { tracing } : {}) })
    : undefined;
  if (webhook) logger.info({ url: webhook.url }, 'webhook server listening');

  // SIGINT/SIGTERM: the SDK stops polling, lets running tasks finish, then run() resolves.
  logger.info(
    {
      taskQueue: config.taskQueue,
      archiveTaskQueue: archiveTaskQueue(config.taskQueue),
      namespace: temporal.namespace,
    },
    'worker started',
  );
  await workers.run();
  await webhook?.close();
  await npp.close();
  await clientConnection.close();
  await connection.close();
  await tracing?.shutdown();
  logger.info('worker stopped');
}

if (import.meta.main) {
  // Configuration and connection errors are one readable line, not a stack trace.
  await runWorkerProcess().catch((error: Error) => {
    console.error(`worker failed: ${maskPhonesInText(error.message)}`);
    process.exit(1);
  });
}
