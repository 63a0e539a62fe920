import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startDevServer, type TemporalServer } from '../src/temporal/devServer.ts';
import { collectGreetings, greetSignal } from './fixtures/harnessWorkflows.ts';
import { testDataConverter } from './helpers/temporal.ts';

let dir: string | undefined;
let server: TemporalServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function withClient<T>(address: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await fn(new Client({ connection, namespace: 'default', dataConverter: testDataConverter() }));
  } finally {
    await connection.close();
  }
}

describe('dev server with a SQLite file', () => {
  it('still knows a completed workflow after a restart on the same file', { timeout: 120_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'npp-temporal-sqlite-'));
    const dbFilename = join(dir, 'temporal.sqlite');
    const workflowId = `persisted-${randomUUID()}`;
    const taskQueue = `persist-${randomUUID()}`;

    server = await startDevServer({ dbFilename });
    const { address } = server;
    const workerConnection = await NativeConnection.connect({ address });
    try {
      const worker = await Worker.create({
        connection: workerConnection,
        taskQueue,
        workflowBundle: { codePath: inject('workflowBundlePath') },
        dataConverter: testDataConverter(),
      });
      const result = await worker.runUntil(
        withClient(address, async (client) => {
          const handle = await client.workflow.start(collectGreetings, { args: [1], taskQueue, workflowId });
          await handle.signal(greetSignal, 'ada');
          return handle.result();
        }),
      );
      expect(result).toEqual(['hello ada']);
    } finally {
      await workerConnection.close();
    }
    await server.stop();
    server = undefined;
    expect(statSync(dbFilename).size).toBeGreaterThan(0);

    server = await startDevServer({ dbFilename });
    await withClient(server.address, async (client) => {
      const handle = client.workflow.getHandle(workflowId);
      const { status, type } = await handle.describe();
      expect(status.name).toBe('COMPLETED');
      expect(type).toBe('collectGreetings');
      expect(await handle.result()).toEqual(['hello ada']);
    });
  });
});
