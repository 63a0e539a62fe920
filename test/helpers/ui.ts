import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { type Browser, chromium } from 'playwright-core';
import { inject } from 'vitest';
import type { TemporalServer } from '../../src/temporal/devServer.ts';
import type { NppStack } from './session.ts';
import { testDataConverter } from './temporal.ts';

const CHROMIUM_PATH = '/usr/bin/chromium';

/** Headless Debian chromium. Fails, never skips, when it is missing: the UI check is part of the suite. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install the Debian package (apt-get install -y chromium)`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
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
