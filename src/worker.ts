// Composition root of the worker process: connection, activities, workflows.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';

export const DEFAULT_TASK_QUEUE = 'npp';

export interface WorkerSetup {
  address: string;
  namespace: string;
  taskQueue?: string;
}

export async function createWorker(setup: WorkerSetup): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: setup.address });
  const worker = await Worker.create({
    connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowsPath: fileURLToPath(new URL('./workflows/index.ts', import.meta.url)),
  });
  return { worker, connection };
}
