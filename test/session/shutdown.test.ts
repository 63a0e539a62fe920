// A worker that stops while an NPP call is in flight must hand the activity back for a retry, not
// fail it for good: a deployment would otherwise fail every session that was binding at that moment.
import { randomUUID } from 'node:crypto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeSessionUpdate, sessionStateQuery } from '../../src/contract/session.ts';
import { addFault, expectNoBindings, type NppStack, phone, startNppStack, startSession } from '../helpers/session.ts';
import { connectClient, testDataConverter } from '../helpers/temporal.ts';

let npp: NppStack;
beforeAll(async () => {
  npp = await startNppStack();
});
afterAll(() => npp.close());

async function startWorker(taskQueue: string) {
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const worker = await Worker.create({
    connection,
    namespace: inject('temporalNamespace'),
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: npp.activities,
    dataConverter: testDataConverter(),
    // No grace: the in-flight GetVirtualNum is cancelled at once.
    shutdownGraceTime: 0,
  });
  return { worker, connection, running: worker.run() };
}

describe('worker shutdown during an NPP call', () => {
  it('cancels the activity as retryable, and the next worker binds the session', async () => {
    const taskQueue = `shutdown-${randomUUID()}`;
    const client = await connectClient();
    try {
      // The platform holds the request 3 s before processing it: the first worker stops meanwhile.
      await addFault(npp.sim, { action: 'GetVirtualNum', kind: 'latency', latencyMs: 3000, count: 1 });
      const first = await startWorker(taskQueue);
      const handle = await startSession(client, taskQueue, { mode: 'AXB', src: phone(), dst: phone() });
      await expect
        .poll(async () => (await handle.describe()).raw.pendingActivities?.length ?? 0, { timeout: 10_000 })
        .toBe(1);
      first.worker.shutdown();
      await first.running;
      await first.connection.close();

      const second = await startWorker(taskQueue);
      try {
        await expect
          .poll(() => handle.query(sessionStateQuery).then((state) => state.bindId), { timeout: 20_000 })
          .toBeTruthy();
        expect(await handle.query(sessionStateQuery)).toMatchObject({ status: 'open', heldReferences: 1 });
        await handle.executeUpdate(closeSessionUpdate);
        await expectNoBindings(npp.sim);
      } finally {
        second.worker.shutdown();
        await second.running;
        await second.connection.close();
      }
    } finally {
      await client.connection.close();
    }
  });
});
