import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject } from 'vitest';
import { createActivities } from '../../src/activities/index.ts';
import { DirectorySink } from '../../src/archive/directorySink.ts';
import {
  addReferenceUpdate,
  callRecordingSignal,
  callStatusSignal,
  closeSessionUpdate,
  sessionStateQuery,
} from '../../src/contract/session.ts';
import { CALL_IDS_SEARCHABLE, CALLS_CARRIED } from '../../src/workflows/calls.ts';
import { SESSION_RUN_EVENTS } from '../../src/workflows/continueAsNew.ts';
import { test } from '../helpers/fixtures.ts';
import { recordHistoryIfAsked } from '../helpers/histories.ts';
import { addFault, phone, simBindings, startSession, waitUntilBound } from '../helpers/session.ts';
import { testDataConverter, withWorker } from '../helpers/temporal.ts';

// Sessions that live long: many calls, several runs (continue-as-new), and whatever is in flight
// when a run hands over to the next one.

/** A call starting (StatusFlag 256) at second `i` of the test's clock. */
const callStarted = (callId: string, i: number) => ({
  eventId: `${callId}-256`,
  callId,
  callStatus: 256,
  timestamp: 1_800_000_000 + i,
});

/**
 * Call events until the first run's history is past `events` or it continued as new; answers how
 * many calls were started (signals may share workflow tasks, so the history is counted).
 */
async function fillHistory(handle: WorkflowHandleWithFirstExecutionRunId, events = 110): Promise<number> {
  // Counts the first run only: once it continued as new, the next run's shorter history must not
  // keep the filling going (it would continue as new in turn, run after run).
  const firstRun = handle.client.getHandle(handle.workflowId, handle.firstExecutionRunId);
  for (let sent = 0; sent < 5_000; sent += 10) {
    const { historyLength, status } = await firstRun.describe();
    if (historyLength >= events || status.name !== 'RUNNING') return sent;
    await Promise.all(
      Array.from({ length: 10 }, (_, k) =>
        handle.signal(callStatusSignal, callStarted(`filler-${sent + k}`, sent + k)),
      ),
    );
  }
  throw new Error(`the first run never reached ${events} history events`);
}

/**
 * The new code paths must replay too: each run of the session, from its recorded history.
 * `NPP_RECORD_HISTORY=1` also stores each run's history as a fixture replay.test.ts keeps replaying
 * (runs after the first get a `-run<N>` suffix: they start from the state the previous run carried).
 */
async function expectReplays(handle: WorkflowHandle, runIds: string[], fixture?: string): Promise<void> {
  const options = { workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: testDataConverter() };
  for (const [index, runId] of runIds.entries()) {
    const history = await handle.client.getHandle(handle.workflowId, runId).fetchHistory();
    await Worker.runReplayHistory(options, history, `${handle.workflowId}/${runId}`);
    const name = fixture?.replace(/\.json$/, '');
    if (name) recordHistoryIfAsked(index === 0 ? name : `${name}-run${index + 1}`, history);
  }
}

describe('maskedCallSession with many calls', () => {
  test('keeps only the most recent CallIds searchable, so 80 calls still close and unbind', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const handle = await startSession(client, taskQueue, { mode: 'XB', dst: phone() });
    await waitUntilBound(handle);
    // Platform CallIds are 32 characters: 80 of them are over Temporal's 2 KiB per search attribute.
    const callIds = Array.from({ length: 80 }, () => randomUUID().replaceAll('-', ''));
    for (const [i, callId] of callIds.entries()) await handle.signal(callStatusSignal, callStarted(callId, i));

    const closed = await handle.executeUpdate(closeSessionUpdate);
    expect(closed).toMatchObject({ status: 'closed', closedReason: 'closed-by-app', heldReferences: 0 });
    expect(closed.calls.map((call) => call.callId)).toEqual(callIds);
    const { NppCallId } = (await handle.describe()).searchAttributes;
    expect(NppCallId).toEqual(callIds.slice(-CALL_IDS_SEARCHABLE));
    expect(JSON.stringify(NppCallId).length).toBeLessThan(2048);
    await handle.result();
    expect(await simBindings(npp.sim)).toEqual([]);
    await expectReplays(handle, [handle.firstExecutionRunId]);
  }, 60_000);

  test('carries only the most recent calls into the next run, counting the older ones, and still dedupes', async ({
    worker: { client, taskQueue },
  }) => {
    const handle = await startSession(client, taskQueue, { mode: 'XB', dst: phone(), continueAsNewAfterEvents: 100 });
    await waitUntilBound(handle);
    // How many calls reach a run before it continues as new depends on how signals are batched:
    // keep calling (bounded) until a run has handed older calls over as counts.
    let total = 0;
    while (total < CALLS_CARRIED * 6) {
      for (let k = 0; k < 10; k++, total++) await handle.signal(callStatusSignal, callStarted(`call-${total}`, total));
      if (((await handle.query(sessionStateQuery)).earlierCalls?.count ?? 0) > 0) break;
    }
    expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
    // A redelivery of the very first event: recognised although its call is no longer carried.
    await handle.signal(callStatusSignal, { ...callStarted('call-0', 0), callStatus: 4096 });
    await handle.signal(callStatusSignal, callStarted(`call-${total}`, total));

    const closed = await handle.executeUpdate(closeSessionUpdate);
    expect(closed).toMatchObject({ status: 'closed', heldReferences: 0 });
    const earlier = closed.earlierCalls?.count ?? 0;
    expect(earlier).toBeGreaterThan(0);
    expect(closed.calls.length + earlier).toBe(total + 1);
    expect(closed.calls.map((call) => call.callId)).toEqual(
      Array.from({ length: closed.calls.length }, (_, k) => `call-${total + 1 - closed.calls.length + k}`),
    );
    // The dropped calls are the oldest: the latest of them started just before the first one listed.
    const latestStartedAt = 1_800_000_000 + earlier - 1;
    expect(closed.earlierCalls).toEqual({ count: earlier, answered: 0, talkSeconds: 0, latestStartedAt });
    await handle.result();
  }, 60_000);
});

describe('maskedCallSession continuing as new', () => {
  test('a close arriving while the run waits to continue as new closes the session', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const handle = await startSession(client, taskQueue, { mode: 'XB', dst: phone(), continueAsNewAfterEvents: 100 });
    await waitUntilBound(handle);
    // An addReference in flight (its answer comes in 8 s) holds back the continue-as-new...
    await addFault(npp.sim, { action: 'GetVirtualNum', kind: 'latency', latencyMs: 8000, count: 1 });
    const adding = handle.executeUpdate(addReferenceUpdate);
    await expect.poll(async () => (await handle.describe()).raw.pendingActivities?.length).toBe(1);
    // ...that becomes due now; the app closes the session meanwhile.
    await fillHistory(handle);
    expect((await handle.describe()).historyLength).toBeGreaterThanOrEqual(100);
    const closing = handle.executeUpdate(closeSessionUpdate);

    expect(await adding).toEqual({ heldReferences: 2, platformRefNum: 2 });
    expect(await closing).toMatchObject({ status: 'closed', closedReason: 'closed-by-app', heldReferences: 0 });
    expect((await handle.result()).closedReason).toBe('closed-by-app');
    expect((await handle.describe()).runId).toBe(handle.firstExecutionRunId);
    await expectReplays(handle, [handle.firstExecutionRunId], 'maskedCallSession-close-before-continue.json');
  }, 60_000);

  test('continues as new after SESSION_RUN_EVENTS history events when its input names no limit', async ({
    worker: { client, taskQueue },
  }) => {
    const handle = await startSession(client, taskQueue, { mode: 'XB', dst: phone() });
    await waitUntilBound(handle);
    const calls = await fillHistory(handle, SESSION_RUN_EVENTS + 200);

    await expect
      .poll(async () => (await handle.describe()).runId, { timeout: 10_000 })
      .not.toBe(handle.firstExecutionRunId);
    const first = await client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    expect(first.historyLength).toBeGreaterThanOrEqual(SESSION_RUN_EVENTS);
    // Stopped at the limit (past it by the signals that came meanwhile), not at Temporal's suggestion.
    expect(first.historyLength).toBeLessThan(SESSION_RUN_EVENTS * 1.5);

    const closed = await handle.executeUpdate(closeSessionUpdate);
    expect(closed).toMatchObject({ status: 'closed', closedReason: 'closed-by-app', heldReferences: 0 });
    expect(closed.calls.length + (closed.earlierCalls?.count ?? 0)).toBe(calls);
    const runIds = [handle.firstExecutionRunId, (await handle.describe()).runId];
    await expectReplays(handle, runIds, 'maskedCallSession-bounded-run.json');
  }, 120_000);

  test('hands a recording whose archiving is still under way over to the next run', async ({ npp }) => {
    const recording = Buffer.from('RIFF-session-recording-handed-over');
    const stalled: ServerResponse[] = [];
    let requests = 0;
    // The first download stalls (as a slow link would); later ones are answered at once.
    const server = createServer((_request, response) => {
      requests++;
      if (requests === 1) stalled.push(response);
      else response.writeHead(200, { 'content-type': 'audio/wav' }).end(recording);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'npp-session-handover-'));
    try {
      const recordUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rec/handover.wav`;
      const activities = createActivities({
        client: npp.client,
        archive: { sink: new DirectorySink(dir), maxBytes: 1024 * 1024 },
      });
      await withWorker({ activities }, async ({ client, taskQueue }) => {
        const handle = await startSession(client, taskQueue, {
          mode: 'XB',
          dst: phone(),
          record: true,
          continueAsNewAfterEvents: 100,
        });
        await waitUntilBound(handle);
        await handle.signal(callRecordingSignal, { eventId: 'rec-1', callId: 'recorded-call', recordUrl });
        await expect.poll(() => requests).toBe(1);
        await fillHistory(handle);

        // The run continues as new without waiting for the stalled download...
        await expect
          .poll(async () => (await handle.describe()).runId, { timeout: 10_000 })
          .not.toBe(handle.firstExecutionRunId);
        // ...and the next run archives the recording itself.
        await expect
          .poll(
            async () =>
              (await handle.query(sessionStateQuery)).calls.find((c) => c.callId === 'recorded-call')?.archive,
            {
              timeout: 15_000,
            },
          )
          .toBeTruthy();
        await handle.executeUpdate(closeSessionUpdate);
        const archived = (await handle.result()).calls.find((call) => call.callId === 'recorded-call')?.archive;
        expect(archived).toMatchObject({ bytes: recording.length });
        expect(readFileSync(archived?.location as string)).toEqual(recording);
        const runIds = [handle.firstExecutionRunId, (await handle.describe()).runId];
        await expectReplays(handle, runIds, 'maskedCallSession-archive-handover.json');
      });
    } finally {
      for (const response of stalled) response.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
