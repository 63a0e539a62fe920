import type { WorkflowFailedError, WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject } from 'vitest';
import { callBackStateQuery } from '../../src/contract/callBack.ts';
import { CALL_MADE_BY_EARLIER_ATTEMPT } from '../../src/contract/failures.ts';
import { StatusFlagBits as Bit } from '../../src/npp/models.ts';
import type { Simulator } from '../../src/simulator/server.ts';
import { deliveries, lateAnswer, progress, setDelivery, simCallBacks, startCallBack } from '../helpers/callback.ts';
import { callBackTest as test } from '../helpers/fixtures.ts';
import { phone } from '../helpers/session.ts';
import { testDataConverter } from '../helpers/temporal.ts';

// CreateCallBack is not idempotent: these runs lose its first answer after the platform made the
// call (the simulator's `late-answer` past the activity's 10 s timeout) and must not ring twice.

/** The calls the platform made for this caller, once it made the first. */
async function callsOf(sim: Simulator, src: string) {
  const mine = async () => (await simCallBacks(sim)).filter((call) => call.Src === src);
  await expect.poll(mine, { timeout: 10_000 }).toHaveLength(1);
  return mine();
}

/** How the run's first activity, CreateCallBack here, went: its last attempt's number and failure type. */
async function createCallBackOutcome(handle: WorkflowHandle) {
  const events = (await handle.fetchHistory()).events ?? [];
  const first = <T>(pick: (event: (typeof events)[number]) => T | null | undefined) =>
    events.map(pick).find((value) => value);
  return {
    attempt: first((e) => e.activityTaskStartedEventAttributes)?.attempt,
    failureType: first((e) => e.activityTaskFailedEventAttributes)?.failure?.applicationFailureInfo?.type,
  };
}

describe('callBackCall when the CreateCallBack answer is lost', () => {
  test('the retry is refused by BizId; the run learns the one call from its first event and follows it to its CDR', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const src = phone();
    await lateAnswer(npp.sim, 'CreateCallBack');
    const handle = await startCallBack(client, taskQueue, { src, record: true });
    const [made] = await callsOf(npp.sim, src);
    // The first attempt times out, the second is refused: the run now waits to hear of the call.
    await expect
      .poll(() => createCallBackOutcome(handle).then((o) => o.failureType), { timeout: 30_000 })
      .toBe(CALL_MADE_BY_EARLIER_ATTEMPT);
    const waiting = await handle.query(callBackStateQuery);
    expect(waiting.status).toBe('created');
    expect(waiting.callId).toBeUndefined();
    await progress(npp.sim, made?.CallId as string, { until: 'caller-ringing' });
    await expect.poll(() => handle.query(callBackStateQuery).then((s) => s.callId)).toBe(made?.CallId);
    await progress(npp.sim, made?.CallId as string, { until: 'ended', durationSeconds: 8 });
    const result = await handle.result();
    const runId = handle.firstExecutionRunId;
    const outcome = await createCallBackOutcome(handle);
    const history = await handle.fetchHistory();
    expect(outcome).toEqual({ attempt: 2, failureType: CALL_MADE_BY_EARLIER_ATTEMPT });
    expect(result).toMatchObject({
      status: 'ended',
      callId: made?.CallId,
      bizId: runId.replaceAll('-', ''),
      callIdRecoveredFrom: 'event',
      cdr: { endStatus: 1, duration: 8, source: 'webhook' },
      recordUrl: `${npp.sim.url}/_sim/recordings/${made?.CallId}.wav`,
    });
    expect(result.statusBits & Bit.CallerRinging).toBe(Bit.CallerRinging);
    // Rung once: the platform made one call for this caller, carrying this run's BizId.
    const calls = await simCallBacks(npp.sim);
    expect(calls.filter((call) => call.Src === src)).toEqual([expect.objectContaining({ BizId: result.bizId })]);
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: testDataConverter() },
      history,
    );
  }, 60_000);

  test('with every callback lost, the app’s BizId finds the call’s CDR once its longest life is over', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const src = phone();
    const bizId = `order${Date.now()}`;
    await setDelivery(npp.sim, { drop: true });
    await lateAnswer(npp.sim, 'CreateCallBack');
    const handle = await startCallBack(client, taskQueue, {
      src,
      bizId,
      hangupTimeoutSeconds: 1,
      pollIntervalSeconds: 1,
    });
    const [made] = await callsOf(npp.sim, src);
    // The call made under `drop` stays dropped; other tests' calls are delivered again.
    await setDelivery(npp.sim, { drop: false });
    await progress(npp.sim, made?.CallId as string, { until: 'ended', durationSeconds: 9 });
    const result = await handle.result();
    expect(result).toMatchObject({
      status: 'ended',
      callId: made?.CallId,
      bizId,
      callIdRecoveredFrom: 'cdr',
      statusBits: 0,
      cdr: { endStatus: 1, duration: 9, source: 'poll' },
    });
    expect(made).toMatchObject({ BizId: bizId });
    expect((await simCallBacks(npp.sim)).filter((call) => call.Src === src)).toHaveLength(1);
    const kinds = await deliveries(npp.sim, made?.CallId as string);
    expect(kinds.length).toBeGreaterThan(0);
    expect(kinds.every((d) => d.status === 'dropped')).toBe(true);
  }, 60_000);

  test('cancelling the run while the CallId is unknown tears the call down once its first event names it', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const src = phone();
    await lateAnswer(npp.sim, 'CreateCallBack');
    const handle = await startCallBack(client, taskQueue, { src });
    const [made] = await callsOf(npp.sim, src);
    await expect
      .poll(() => createCallBackOutcome(handle).then((o) => o.failureType), { timeout: 30_000 })
      .toBe(CALL_MADE_BY_EARLIER_ATTEMPT);
    await handle.cancel();
    await progress(npp.sim, made?.CallId as string, { until: 'caller-ringing' });
    const failure = await handle.result().catch((error: unknown) => error);
    const state = await handle.query(callBackStateQuery);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(state).toMatchObject({ status: 'cancelled', callId: made?.CallId, cancelledWith: 0 });
    const [call] = (await simCallBacks(npp.sim)).filter((c) => c.Src === src);
    expect(call?.Stage).toBe('ended');
  }, 60_000);
});
