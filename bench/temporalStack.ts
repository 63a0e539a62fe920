import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { pino } from 'pino';
import { DirectorySink } from '../src/archive/directorySink.ts';
import { SessionClient } from '../src/client/sessions.ts';
import { parseCodecKeys } from '../src/codec/keys.ts';
import { createDataConverter, FAILURE_CONVERTER_PATH } from '../src/temporal/dataConverter.ts';
import { connectOrStartTemporal, freePort } from '../src/temporal/devServer.ts';
import { installRuntime } from '../src/temporal/runtime.ts';
import { createWebhookServer } from '../src/webhooks/server.ts';
import { createNppWorkers } from '../src/worker.ts';
import type { SimulatorProcess } from './simulator.ts';

// A Temporal server (TEMPORAL_ADDRESS, else a dev server of this run), the app's worker on a fresh
// task queue with the benchmarks' bundle (bench/workflows.ts) built once, an app client, all with the
// app's encrypting data converter under a key made for this run, and the webhook server the worker's
// bindings name as callback URLs (per-session URLs), archiving recordings into a temporary directory.

export interface TemporalStack {
  client: Client;
  sessions: SessionClient;
  dataConverter: DataConverter;
  taskQueue: string;
  /** http://127.0.0.1:<port> of the stack's webhook server. */
  webhookUrl: string;
  /** Its WEBHOOK_SECRET, which per-session callback URLs are signed with. */
  webhookSecret: string;
  /** The worker runtime's Prometheus metrics. */
  metricsUrl: string;
  /**
   * A second set of the app's workers in this process, on a task queue of its own, keeping up to
   * `workflowCacheSize` runs in memory (the stack's own keep none, as the product's default): for a
   * variant measured beside the stack's. Stopped with the stack.
   */
  startCachingWorkers(workflowCacheSize: number): Promise<SessionClient>;
  close(): Promise<void>;
}

const quiet = pino({ level: 'warn' });
const BENCH_WORKFLOWS_PATH = new URL('./workflows.ts', import.meta.url).pathname;

export async function startTemporalStack(sim: SimulatorProcess): Promise<TemporalStack> {
  // The worker's Prometheus metrics: where the scale benchmark reads the sticky cache counters.
  const metricsUrl = `http://127.0.0.1:${await freePort()}/metrics`;
  installRuntime({ logger: quiet, metricsBindAddress: new URL(metricsUrl).host });
  const server = await connectOrStartTemporal({ log: (message) => quiet.warn(message) });
  const workDir = await mkdtemp(join(tmpdir(), 'npp-bench-'));
  const bundlePath = join(workDir, 'workflows.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: BENCH_WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  await writeFile(bundlePath, code);

  const { dataConverter } = createDataConverter(parseCodecKeys(`bench:${randomBytes(32).toString('base64')}`));
  const taskQueue = `bench-${randomUUID()}`;
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace, dataConverter });
  const webhookSecret = randomBytes(24).toString('base64url');
  const webhook = createWebhookServer({
    client,
    secrets: { current: webhookSecret },
    logger: pino({ level: process.env.BENCH_WEBHOOK_LOG ?? 'silent' }, pino.destination(2)),
    // The default per-IP limit exists to stop floods; here every request comes from one address.
    limits: { rateLimitMax: 10_000_000 },
  });
  const webhookUrl = await webhook.listen({ port: 0, host: '127.0.0.1' });

  const npp = sim.client();
  const workerConnection = await NativeConnection.connect({ address: server.address });
  const startWorkers = async (queue: string, workflowCacheSize?: number) => {
    const workers = await createNppWorkers({
      connection: workerConnection,
      namespace: server.namespace,
      taskQueue: queue,
      activities: {
        client: npp,
        callbacks: { publicUrl: webhookUrl, secret: webhookSecret },
        archive: { sink: new DirectorySink(join(workDir, 'recordings')), maxBytes: 200 * 1024 * 1024 },
      },
      dataConverter,
      workflowBundlePath: bundlePath,
      ...(workflowCacheSize === undefined ? {} : { workflowCacheSize }),
    });
    return { workers, running: workers.run() };
  };
  const all = [await startWorkers(taskQueue)];
  return {
    client,
    sessions: new SessionClient({ client, taskQueue }),
    dataConverter,
    taskQueue,
    webhookUrl,
    webhookSecret,
    metricsUrl,
    async startCachingWorkers(workflowCacheSize) {
      const queue = `bench-cached-${randomUUID()}`;
      all.push(await startWorkers(queue, workflowCacheSize));
      return new SessionClient({ client, taskQueue: queue });
    },
    async close() {
      for (const { workers } of all) workers.shutdown();
      await Promise.all(all.map(({ running }) => running));
      await webhook.close();
      await connection.close();
      await workerConnection.close();
      await npp.close();
      await server.stop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
