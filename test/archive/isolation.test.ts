import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, type WorkflowHandle, WorkflowUpdateStage } from '@temporalio/client';
import proto from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject } from 'vitest';
import { archiveTaskQueue } from '../../src/activities/archiveOptions.ts';
import { DirectorySink } from '../../src/archive/directorySink.ts';
import { closeSessionUpdate, sessionStateQuery } from '../../src/contract/session.ts';
import { createNppWorkers, DEFAULT_ARCHIVE_CONCURRENCY, loadWorkerConfig } from '../../src/worker.ts';
import { test } from '../helpers/fixtures.ts';
import { addFault, phone, recordedSessionCall, simBindings, startSession, waitUntilBound } from '../helpers/session.ts';
import { connectClient, testDataConverter } from '../helpers/temporal.ts';

// The production pair of workers (createNppWorkers) with a single archive slot: a download that
// stalls fills the archive queue; sessions with nothing to archive still bind and unbind on the main
// queue meanwhile.

const { PendingActivityState } = proto.temporal.api.enums.v1;
/** How long the recording store holds the first download before answering. */
const STALL_MS = 15_000;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'npp-archive-isolation-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function boundSession(client: Client, taskQueue: string) {
  const src = phone();
  const handle = await startSession(client, taskQueue, { src, record: true });
  await waitUntilBound(handle);
  return { handle, src };
}

async function archiveState(handle: WorkflowHandle) {
  const { pendingActivities } = (await handle.describe()).raw;
  return pendingActivities?.find((activity) => activity.activityType?.name === 'archiveRecording')?.state;
}

describe('archive task queue', () => {
  test('a stalled download holding the only archive slot delays only the unbinding of sessions waiting for their own recordings', async ({
    npp,
  }) => {
    const taskQueue = `isolation-${randomUUID()}`;
    const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    const client = await connectClient();
    const workers = await createNppWorkers({
      connection,
      namespace: inject('temporalNamespace'),
      taskQueue,
      activities: { client: npp.client, archive: { sink: new DirectorySink(dir), maxBytes: 1024 * 1024 } },
      dataConverter: testDataConverter(),
      workflowBundlePath: inject('workflowBundlePath'),
      archiveConcurrency: 1,
    });
    const running = workers.run();
    try {
      await addFault(npp.sim, { action: 'Recording', kind: 'latency', latencyMs: STALL_MS, count: 1 });
      const stalled = await boundSession(client, taskQueue);
      const { callId: stalledCallId } = await recordedSessionCall(npp.sim, stalled.handle, stalled.src);
      await expect
        .poll(() => archiveState(stalled.handle), { timeout: 10_000 })
        .toBe(PendingActivityState.PENDING_ACTIVITY_STATE_STARTED);
      const scheduled = (await stalled.handle.fetchHistory()).events?.flatMap(
        (event) => event.activityTaskScheduledEventAttributes ?? [],
      );
      expect(scheduled?.map((attributes) => [attributes.activityType?.name, attributes.taskQueue?.name])).toEqual([
        ['getVirtualNum', taskQueue],
        ['archiveRecording', archiveTaskQueue(taskQueue)],
      ]);

      // Another recorded session's download queues behind the stalled one; its close waits for that
      // archive, since a recording is archived before DelVirtualNum releases the number.
      const other = await boundSession(client, taskQueue);
      await recordedSessionCall(npp.sim, other.handle, other.src);
      await expect
        .poll(() => archiveState(other.handle), { timeout: 5_000 })
        .toBe(PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED);
      await other.handle.startUpdate(closeSessionUpdate, { waitForStage: WorkflowUpdateStage.ACCEPTED });

      // Meanwhile a session with nothing to archive binds and unbinds on the main queue at once.
      const startedAt = Date.now();
      const plain = await startSession(client, taskQueue, { src: phone() });
      await waitUntilBound(plain);
      const closed = await plain.executeUpdate(closeSessionUpdate);
      expect(closed).toMatchObject({ status: 'closed', heldReferences: 0 });
      expect((await simBindings(npp.sim)).map((binding) => binding.BindId)).not.toContain(closed.bindId);
      // All of it while the first download still holds the slot and the recorded session waits.
      expect(Date.now() - startedAt).toBeLessThan(STALL_MS / 2);
      expect(await archiveState(stalled.handle)).toBe(PendingActivityState.PENDING_ACTIVITY_STATE_STARTED);
      expect((await other.handle.query(sessionStateQuery)).status).toBe('closing');

      // Once the store answers, both recordings are archived in turn, each before its unbinding.
      const otherResult = await other.handle.result();
      expect(otherResult.calls[0]?.archive).toBeDefined();
      await stalled.handle.executeUpdate(closeSessionUpdate);
      const stalledResult = await stalled.handle.result();
      expect(stalledResult.calls.find((call) => call.callId === stalledCallId)?.archive).toBeDefined();
    } finally {
      workers.shutdown();
      await running;
      await client.connection.close();
      await connection.close();
    }
  }, 60_000);
});

describe('NPP_ARCHIVE_CONCURRENCY', () => {
  test('defaults to a few downloads at once and takes a positive whole number', () => {
    expect(loadWorkerConfig({}).archiveConcurrency).toBe(DEFAULT_ARCHIVE_CONCURRENCY);
    expect(loadWorkerConfig({ NPP_ARCHIVE_CONCURRENCY: ' 3 ' }).archiveConcurrency).toBe(3);
    for (const value of ['0', '-1', '2.5', 'many', '100000']) {
      expect(() => loadWorkerConfig({ NPP_ARCHIVE_CONCURRENCY: value })).toThrow(/^NPP_ARCHIVE_CONCURRENCY /);
    }
  });
});
