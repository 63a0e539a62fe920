import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { pino } from 'pino';
import { SessionClient } from '../src/client/sessions.ts';
import { parseCodecKeys } from '../src/codec/keys.ts';
import { createDataConverter, FAILURE_CONVERTER_PATH } from '../src/temporal/dataConverter.ts';
import { connectOrStartTemporal } from '../src/temporal/devServer.ts';
import { installRuntime } from '../src/temporal/runtime.ts';
import { createNppWorkers, WORKFLOWS_PATH } from '../src/worker.ts';
import type { SimulatorProcess } from './simulator.ts';

// A Temporal server (TEMPORAL_ADDRESS, else a dev server of this run), the app's worker on a fresh
// task queue with the workflows bundled once, and an app client, all with the app's encrypting
// data converter under a key made for this run.

export interface TemporalStack {
  client: Client;
  sessions: SessionClient;
  dataConverter: DataConverter;
  close(): Promise<void>;
}

const quiet = pino({ level: 'warn' });

export async function startTemporalStack(sim: SimulatorProcess): Promise<TemporalStack> {
  installRuntime({ logger: quiet });
  const server = await connectOrStartTemporal({ log: (message) => quiet.warn(message) });
  const bundleDir = await mkdtemp(join(tmpdir(), 'npp-bench-bundle-'));
  const bundlePath = join(bundleDir, 'workflows.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  await writeFile(bundlePath, code);

  const { dataConverter } = createDataConverter(parseCodecKeys(`bench:${randomBytes(32).toString('base64')}`));
  const taskQueue = `bench-${randomUUID()}`;
  const npp = sim.client();
  const workerConnection = await NativeConnection.connect({ address: server.address });
  const workers = await createNppWorkers({
    connection: workerConnection,
    namespace: server.namespace,
    taskQueue,
    activities: { client: npp },
    dataConverter,
    workflowBundlePath: bundlePath,
  });
  const running = workers.run();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace, dataConverter });
  return {
    client,
    sessions: new SessionClient({ client, taskQueue }),
    dataConverter,
    async close() {
      workers.shutdown();
      await running;
      await connection.close();
      await workerConnection.close();
      await npp.close();
      await server.stop();
      await rm(bundleDir, { recursive: true, force: true });
    },
  };
}
