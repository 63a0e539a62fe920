// A worker that stops while an NPP call is in flight must hand the activity back for a retry, not
// fail it for good: a deployment would otherwise fail every session that was binding at that moment.
import { randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
import { closeSessionUpdate, sessionStateQuery } from '../../src/contract/session.ts';
import { test } from '../helpers/fixtures.ts';
import { addFault, expectNoBindings, phone, startSession, waitUntilBound } from '../helpers/session.ts';
import { connectClient, startStoppableWorker } from '../helpers/temporal.ts';

describe('worker shutdown during an NPP call', () => {
  test('cancels the activity as retryable, and the next worker binds the session', async ({ npp }) => {
    const taskQueue = `shutdown-${randomUUID()}`;
    const client = await connectClient();
    try {
      // The platform holds the request 3 s before processing it: the first worker stops meanwhile.
      await addFault(npp.sim, { action: 'GetVirtualNum', kind: 'latency', latencyMs: 3000, count: 1 });
      // No shutdown grace: the in-flight GetVirtualNum is cancelled at once.
      const first = await startStoppableWorker(taskQueue, npp.activities);
      const handle = await startSession(client, taskQueue, { mode: 'AXB', src: phone(), dst: phone() });
      await expect
        .poll(async () => (await handle.describe()).raw.pendingActivities?.length ?? 0, { timeout: 10_000 })
        .toBe(1);
      await first.stop();

      const second = await startStoppableWorker(taskQueue, npp.activities);
      try {
        await waitUntilBound(handle, { timeout: 20_000 });
        expect(await handle.query(sessionStateQuery)).toMatchObject({ status: 'open', heldReferences: 1 });
        await handle.executeUpdate(closeSessionUpdate);
        await expectNoBindings(npp.sim);
      } finally {
        await second.stop();
      }
    } finally {
      await client.connection.close();
    }
  });
});
