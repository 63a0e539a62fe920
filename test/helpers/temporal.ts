import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import {
  DefaultLogger,
  type LogEntry,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { inject } from 'vitest';
import { archiveTaskQueue } from '../../src/activities/archiveOptions.ts';
import { notifyTaskQueue } from '../../src/activities/notifyOptions.ts';
import { parseCodecKeys } from '../../src/codec/keys.ts';
import { createDataConverter } from '../../src/temporal/dataConverter.ts';

/** The fixed key every test client and worker encrypts with: the whole suite writes encrypted histories. */
export const TEST_CODEC_KEYS = 'test-key-1:bnBwLXRlbXBvcmFsLXRlc3QtY29kZWMta2V5LTAwMDE=';
export const testDataConverter = (): DataConverter =>
  createDataConverter(parseCodecKeys(TEST_CODEC_KEYS)).dataConverter;

const logListeners = new Set<(entry: LogEntry) => void>();
const printWarnings = new DefaultLogger('WARN');
// Worker lifecycle chatter at INFO drowns test output: only warnings and errors are printed, while
// everything from INFO up reaches the listeners of captureRuntimeLogs.
Runtime.install({
  logger: new DefaultLogger('INFO', (entry) => {
    for (const listen of logListeners) listen(entry);
    printWarnings.log(entry.level, entry.message, entry.meta);
  }),
});

/** Collects the runtime logger's entries (workers, workflows, activities) until `stop()`. */
export function captureRuntimeLogs(): { entries: LogEntry[]; stop(): void } {
  const entries: LogEntry[] = [];
  const listen = (entry: LogEntry) => entries.push(entry);
  logListeners.add(listen);
  return { entries, stop: () => logListeners.delete(listen) };
}

/** A client of the run's Temporal server, with the test codec unless told otherwise; close its connection when done. */
export async function connectClient(options: { dataConverter?: DataConverter } = {}): Promise<Client> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return new Client({
    connection,
    namespace: inject('temporalNamespace'),
    dataConverter: options.dataConverter ?? testDataConverter(),
  });
}

export interface WorkerContext {
  client: Client;
  taskQueue: string;
}

/**
 * Runs `fn` while an in-process Worker polls a fresh task queue on the run's server, with the
 * workflow bundle built once by the global setup; given archiveRecording, a second worker serves
 * it on the archive queue too, as in production. The workers shut down when `fn` settles.
 */
export async function withWorker<T>(
  options: Partial<Pick<WorkerOptions, 'activities' | 'interceptors' | 'dataConverter' | 'sinks'>>,
  fn: (context: WorkerContext) => Promise<T>,
): Promise<T> {
  const taskQueue = `test-${randomUUID()}`;
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const client = await connectClient();
  try {
    const worker = await Worker.create({
      connection,
      namespace: inject('temporalNamespace'),
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      dataConverter: testDataConverter(),
      ...options,
    });
    // Activities the workflows schedule on queues of their own, each served by a worker of its own.
    const activities = (options.activities ?? {}) as Record<string, unknown>;
    const sideQueues: [string, string][] = [
      ['archiveRecording', archiveTaskQueue(taskQueue)],
      ['deliverNotification', notifyTaskQueue(taskQueue)],
    ];
    let work = fn({ client, taskQueue });
    for (const [name, queue] of sideQueues) {
      if (!activities[name]) continue;
      const side = await Worker.create({
        connection,
        namespace: inject('temporalNamespace'),
        taskQueue: queue,
        activities: { [name]: activities[name] },
        dataConverter: options.dataConverter ?? testDataConverter(),
      });
      work = side.runUntil(work);
    }
    return await worker.runUntil(work);
  } finally {
    await client.connection.close();
    await connection.close();
  }
}

/** A worker started by hand, so a test can stop it mid-activity and start another on the same queue. */
export interface StoppableWorker {
  /** Shuts the worker down (cancelling activities in flight at once) and closes its connection. */
  stop(): Promise<void>;
}

/** An in-process Worker on `taskQueue` with no shutdown grace: its activities in flight are cancelled at once. */
export async function startStoppableWorker(
  taskQueue: string,
  activities: NonNullable<WorkerOptions['activities']>,
): Promise<StoppableWorker> {
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const worker = await Worker.create({
    connection,
    namespace: inject('temporalNamespace'),
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities,
    dataConverter: testDataConverter(),
    shutdownGraceTime: 0,
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
