import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { inject } from 'vitest';

// Worker lifecycle chatter at INFO drowns test output; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });

/** A client of the run's Temporal server; close its connection when done. */
export async function connectClient(): Promise<Client> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return new Client({ connection, namespace: inject('temporalNamespace') });
}

export interface WorkerContext {
  client: Client;
  taskQueue: string;
}

/**
 * Runs `fn` while an in-process Worker polls a fresh task queue on the run's server, with the
 * workflow bundle built once by the global setup. The worker shuts down when `fn` settles.
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
      ...options,
    });
    return await worker.runUntil(fn({ client, taskQueue }));
  } finally {
    await client.connection.close();
    await connection.close();
  }
}
