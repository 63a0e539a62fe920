import type { WorkflowFailedError, WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { callBackStateQuery } from '../../src/contract/callBack.ts';
import { CALL_MADE_BY_EARLIER_ATTEMPT } from '../../src/contract/failures.ts';
import { StatusFlagBits as Bit } from '../../src/npp/models.ts';
import {
  type CallBackStack,
  deliveries,
  lateAnswer,
  progress,
  setDelivery,
  simCallBacks,
  startCallBack,
  startCallBackStack,
} from '../helpers/callback.ts';
import { phone } from '../helpers/session.ts';
import { testDataConverter, withWorker } from '../helpers/temporal.ts';

// CreateCallBack is not idempotent: these runs lose its first answer after the platform made the
// call (the simulator's `late-answer` past the activity's 10 s timeout) and must not ring twice.

let stack: CallBackStack;
beforeAll(async () => {
  stack = await startCallBackStack();
});
afterAll(() => stack.close());

const run = <T>(fn: Parameters<typeof withWorker<T>>[1]) => withWorker({ activities: stack.activities }, fn);

/** The calls the platform made for this caller, once it made the first. */
async function callsOf(src: string) {
  const mine = async () => (await simCallBacks(stack.sim)).filter((call) => call.Src === src);
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
  it('the retry is refused by BizId; the run learns the one call from its first event and follows it to its CDR', async () => {
    const src = phone();
    await lateAnswer(stack.sim, 'CreateCallBack');
    const { result, made, runId, outcome, history } = await run(async ({ client, taskQueue }) => {
      const handle = await startCallBack(client, taskQueue, { src, record: true });
      const [made] = await callsOf(src);
      // The first attempt times out, the second is refused: the run now waits to hear of the call.
      await expect
        .poll(() => createCallBackOutcome(handle).then((o) => o.failureType), { timeout: 30_000 })
        .toBe(CALL_MADE_BY_EARLIER_ATTEMPT);
      const waiting = await handle.query(callBackStateQuery);
      expect(waiting.status).toBe('created');
      expect(waiting.callId).toBeUndefined();
      await progress(stack.sim, made?.CallId as string, { until: 'caller-ringing' });
      await expect.poll(() => handle.query(callBackStateQuery).then((s) => s.callId)).toBe(made?.CallId);
      await progress(stack.sim, made?.CallId as string, { until: 'ended', durationSeconds: 8 });
      return {
        result: await handle.result(),
        made,
        runId: handle.firstExecutionRunId,
        outcome: await createCallBackOutcome(handle),
        history: await handle.fetchHistory(),
      };
    });
    expect(outcome).toEqual({ attempt: 2, failureType: CALL_MADE_BY_EARLIER_ATTEMPT });
    expect(result).toMatchObject({
      status: 'ended',
      callId: made?.CallId,
      bizId: runId.replaceAll('-', ''),
      callIdRecoveredFrom: 'event',
      cdr: { endStatus: 1, duration: 8, source: 'webhook' },
      recordUrl: `${stack.sim.url}/_sim/recordings/${made?.CallId}.wav`,
    });
    expect(result.statusBits & Bit.CallerRinging).toBe(Bit.CallerRinging);
    // Rung once: the platform made one call for this caller, carrying this run's BizId.
    const calls = await simCallBacks(stack.sim);
    expect(calls.filter((call) => call.Src === src)).toEqual([expect.objectContaining({ BizId: result.bizId })]);
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: testDataConverter() },
      history,
    );
  }, 60_000);

  it('with every callback lost, the app’s BizId finds the call’s CDR once its longest life is over', async () => {
    const src = phone();
    const bizId = `order${Date.now()}`;
    await setDelivery(stack.sim, { drop: true });
    await lateAnswer(stack.sim, 'CreateCallBack');
    const { result, made } = await run(async ({ client, taskQueue }) => {
      const handle = await startCallBack(client, taskQueue, {
        src,
        bizId,
        hangupTimeoutSeconds: 1,
        pollIntervalSeconds: 1,
      });
      const [made] = await callsOf(src);
      // The call made under `drop` stays dropped; other tests' calls are delivered again.
      await setDelivery(stack.sim, { drop: false });
      await progress(stack.sim, made?.CallId as string, { until: 'ended', durationSeconds: 9 });
      return { result: await handle.result(), made };
    });
    expect(result).toMatchObject({
      status: 'ended',
      callId: made?.CallId,
      bizId,
      callIdRecoveredFrom: 'cdr',
      statusBits: 0,
      cdr: { endStatus: 1, duration: 9, source: 'poll' },
    });
    expect(made).toMatchObject({ BizId: bizId });
    expect((await simCallBacks(stack.sim)).filter((call) => call.Src === src)).toHaveLength(1);
    const kinds = await deliveries(stack.sim, made?.CallId as string);
    expect(kinds.length).toBeGreaterThan(0);
    expect(kinds.every((d) => d.status === 'dropped')).toBe(true);
  }, 60_000);

  it('cancelling the run while the CallId is unknown tears the call down once its first event names it', async () => {
    const src = phone();
    await lateAnswer(stack.sim, 'CreateCallBack');
    const { failure, made, state } = await run(async ({ client, taskQueue }) => {
      const handle = await startCallBack(client, taskQueue, { src });
      const [made] = await callsOf(src);
      await expect
        .poll(() => createCallBackOutcome(handle).then((o) => o.failureType), { timeout: 30_000 })
        .toBe(CALL_MADE_BY_EARLIER_ATTEMPT);
      await handle.cancel();
      await progress(stack.sim, made?.CallId as string, { until: 'caller-ringing' });
      const failure = await handle.result().catch((error: unknown) => error);
      return { failure, made, state: await handle.query(callBackStateQuery) };
    });
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(state).toMatchObject({ status: 'cancelled', callId: made?.CallId, cancelledWith: 0 });
    const [call] = (await simCallBacks(stack.sim)).filter((c) => c.Src === src);
    expect(call?.Stage).toBe('ended');
  }, 60_000);
});
