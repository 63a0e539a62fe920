import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { type Browser, chromium } from 'playwright-core';
import { inject } from 'vitest';
import { resolveChromium } from '../../scripts/chromium.ts';
import type { TemporalServer } from '../../src/temporal/devServer.ts';
import type { NppStack } from './session.ts';
import { testDataConverter } from './temporal.ts';

/**
 * Headless Chromium, found or installed by resolveChromium (scripts/chromium.ts). Fails, never skips,
 * when there is none: the UI check is part of the suite.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: await resolveChromium(), headless: true });
}

/** Like withWorker, but on a server of the test's own (the global one has no UI). */
export async function withUiServerWorker<T>(
  server: TemporalServer,
  npp: NppStack,
  fn: (client: Client, taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = `ui-${randomUUID()}`;
  const workerConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace, dataConverter: testDataConverter() });
  try {
    const worker = await Worker.create({
      connection: workerConnection,
      namespace: server.namespace,
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      activities: npp.activities,
      dataConverter: testDataConverter(),
    });
    return await worker.runUntil(fn(client, taskQueue));
  } finally {
    await connection.close();
    await workerConnection.close();
  }
}
