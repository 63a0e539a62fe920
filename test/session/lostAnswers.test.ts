import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject } from 'vitest';
import { addReferenceUpdate, closeSessionUpdate, sessionStateQuery } from '../../src/contract/session.ts';
import { BUSINESS_ERROR_CODES } from '../../src/npp/errors.ts';
import type { Simulator } from '../../src/simulator/server.ts';
import { MAX_ASKS_PER_BIZ_ID } from '../../src/workflows/bindOutcome.ts';
import { test } from '../helpers/fixtures.ts';
import { recordHistoryIfAsked } from '../helpers/histories.ts';
import { addFault, phone, type SimBinding, simBindings, startSession, waitUntilBound } from '../helpers/session.ts';
import { testDataConverter } from '../helpers/temporal.ts';

// GetVirtualNum is not idempotent and its answer can be lost after the platform bound. Whatever
// the platform took for a session must be given back when it closes: nothing stays bound.

/** The next `count` GetVirtualNum requests are processed, then answered after the activity's 10 s timeout. */
const answerLate = (sim: Simulator, count: number) =>
  addFault(sim, { action: 'GetVirtualNum', kind: 'late-answer', latencyMs: 11_000, count });

/** The BizIds of the requests that took a reference on the one binding of the test. */
async function bizIdsTaken(sim: Simulator): Promise<string[]> {
  const [binding] = (await simBindings(sim)) as (SimBinding & { BizIds: string[] })[];
  return [...new Set(binding?.BizIds)];
}

/** The closed session's history replays on the current code; NPP_RECORD_HISTORY=1 keeps it as a fixture. */
async function expectReplays(handle: WorkflowHandle, fixture: string): Promise<void> {
  const history = await handle.fetchHistory();
  const options = { workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: testDataConverter() };
  await Worker.runReplayHistory(options, history, handle.workflowId);
  recordHistoryIfAsked(fixture, history);
}

describe('maskedCallSession when GetVirtualNum answers are lost', () => {
  test('XB addReference: the reference taken unseen is counted and given back at close', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const handle = await startSession(client, taskQueue, { mode: 'XB', dst: phone() });
    await waitUntilBound(handle);
    await answerLate(npp.sim, 1);
    expect(await handle.executeUpdate(addReferenceUpdate)).toEqual({ heldReferences: 3, platformRefNum: 3 });
    expect(await simBindings(npp.sim)).toMatchObject([{ RefNum: 3 }]);
    expect(await handle.executeUpdate(closeSessionUpdate)).toMatchObject({ heldReferences: 0, platformRefNum: 0 });
    await handle.result();
    await expectReplays(handle, 'maskedCallSession-add-reference-lost-answer');
  });

  test('XB: the session never counts more references than the platform reports holding', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const handle = await startSession(client, taskQueue, { mode: 'XB', dst: phone() });
    await waitUntilBound(handle);
    expect(await handle.executeUpdate(addReferenceUpdate)).toEqual({ heldReferences: 2, platformRefNum: 2 });
    // Someone else gives one of them back behind the session's back (an operator, another tool).
    const { bindId } = await handle.query(sessionStateQuery);
    await npp.client.call('DelVirtualNum', { BindId: bindId as string });
    expect(await handle.executeUpdate(addReferenceUpdate)).toEqual({ heldReferences: 2, platformRefNum: 2 });
    expect(await handle.executeUpdate(closeSessionUpdate)).toMatchObject({ heldReferences: 0, platformRefNum: 0 });
    await handle.result();
  });

  test('XB: two consecutive lost bind answers and a lost addReference answer are all given back at close', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    // Every request answers late: the first (performed, answer lost), its retry (refused at once as
    // BizIdAlreadyUsed), then the next request with a new BizId (performed, answer lost again).
    await answerLate(npp.sim, 3);
    const handle = await startSession(client, taskQueue, { mode: 'XB', dst: phone() });
    await waitUntilBound(handle, { timeout: 45_000 });
    expect(await handle.query(sessionStateQuery)).toMatchObject({ heldReferences: 3, platformRefNum: 3 });
    expect(await simBindings(npp.sim)).toMatchObject([{ RefNum: 3 }]);
    expect(await bizIdsTaken(npp.sim)).toHaveLength(3);

    await answerLate(npp.sim, 1);
    expect(await handle.executeUpdate(addReferenceUpdate)).toEqual({ heldReferences: 5, platformRefNum: 5 });
    expect(await simBindings(npp.sim)).toMatchObject([{ RefNum: 5 }]);

    const closed = await handle.executeUpdate(closeSessionUpdate);
    expect(closed).toMatchObject({ status: 'closed', heldReferences: 0, platformRefNum: 0 });
    expect(await simBindings(npp.sim)).toEqual([]);
    await handle.result();
    await expectReplays(handle, 'maskedCallSession-lost-answers-settled');
  }, 90_000);

  test('XB: a bind whose attempts end in a timeout after the platform performed one asks again with the same BizId', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    // The first attempt is performed and its answer lost; the platform then fails (503) and finally
    // does not answer at all (not performed): the activity gives up on a timeout.
    await answerLate(npp.sim, 1);
    await addFault(npp.sim, { action: 'GetVirtualNum', kind: '5xx', count: 3 });
    await addFault(npp.sim, { action: 'GetVirtualNum', kind: 'latency', latencyMs: 11_000, count: 1 });
    const handle = await startSession(client, taskQueue, { mode: 'XB', dst: phone() });
    await waitUntilBound(handle, { timeout: 60_000 });
    // Asked again, the same BizId is refused as taken: that reference is the session's, and a
    // request with a new BizId brings the answer.
    expect(await handle.query(sessionStateQuery)).toMatchObject({ heldReferences: 2, platformRefNum: 2 });
    expect(await simBindings(npp.sim)).toMatchObject([{ RefNum: 2 }]);
    expect(await bizIdsTaken(npp.sim)).toHaveLength(2);
    const failures = ((await handle.fetchHistory()).events ?? []).flatMap((event) => {
      const failure = event.activityTaskFailedEventAttributes?.failure;
      return failure ? [failure.timeoutFailureInfo ? 'Timeout' : failure.applicationFailureInfo?.type] : [];
    });
    // The last attempt timed out (the client gives up before the activity's own timeout would).
    expect(failures).toEqual([expect.stringMatching(/timeout/i), BUSINESS_ERROR_CODES.BizIdAlreadyUsed.code]);

    expect(await handle.executeUpdate(closeSessionUpdate)).toMatchObject({ heldReferences: 0, platformRefNum: 0 });
    await handle.result();
    await expectReplays(handle, 'maskedCallSession-bind-timeout-settled');
  }, 90_000);

  test('XB addReference that gives up on an unknown outcome: the request is asked again at close', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const handle = await startSession(client, taskQueue, { mode: 'XB', dst: phone() });
    await waitUntilBound(handle);
    // The request is performed, its answer lost, and every later attempt of each ask (5 attempts)
    // fails (503) until the session gives up asking: addReference fails, its BizId unsettled.
    await answerLate(npp.sim, 1);
    await addFault(npp.sim, { action: 'GetVirtualNum', kind: '5xx', count: 4 + 5 * (MAX_ASKS_PER_BIZ_ID - 1) });
    await expect(handle.executeUpdate(addReferenceUpdate)).rejects.toThrow();
    const state = await handle.query(sessionStateQuery);
    expect(state.heldReferences).toBe(1);
    expect(state.unsettledBizIds).toEqual([expect.stringMatching(new RegExp(`^${state.bizId}`))]);
    expect(await simBindings(npp.sim)).toMatchObject([{ RefNum: 2 }]);

    // At close the same BizId is refused as taken: both references go back.
    const closed = await handle.executeUpdate(closeSessionUpdate);
    expect(closed).toMatchObject({ status: 'closed', heldReferences: 0, platformRefNum: 0 });
    expect(closed.unsettledBizIds).toBeUndefined();
    await handle.result();
    await expectReplays(handle, 'maskedCallSession-add-reference-settled-at-close');
  }, 120_000);
});
