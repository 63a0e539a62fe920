import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { describe, expect } from 'vitest';
import {
  type CallBackInput,
  type CallBackState,
  type CancelFlag,
  callBackStateQuery,
  cancelCallBackUpdate,
} from '../../src/contract/callBack.ts';
import { NppCallId, NppSessionStatus } from '../../src/contract/searchAttributes.ts';
import { ALL_STATUS_FLAGS, StatusFlagBits as Bit } from '../../src/npp/models.ts';
import {
  callIdOf,
  deliveries,
  type ProgressBody,
  progress,
  setDelivery,
  simCallBacks,
  startCallBack,
} from '../helpers/callback.ts';
import { callBackTest as test } from '../helpers/fixtures.ts';
import { phone } from '../helpers/session.ts';

type Handle = Awaited<ReturnType<typeof startCallBack>>;
const stateOf = (handle: Handle) => handle.query(callBackStateQuery);
const statusOf = (handle: Handle) => stateOf(handle).then((s) => s.status);

const IVR: CallBackInput['preCallerHandle'] = {
  readPrompt: 'Your courier is calling back about order 42.',
  interruptPrompt: 'Press 1 to be connected, 2 to hear this again.',
  keyList: [
    { key: '1', operate: 1 },
    { key: '2', operate: 2 },
  ],
  repeatTimes: 2,
};

describe('callBackCall', () => {
  test('rings caller then callee through an IVR, records, and ends on the webhook CDR', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const src = phone();
    const dst = phone();
    const handle = await startCallBack(client, taskQueue, {
      src,
      dst,
      record: true,
      chooseDisplayNumbers: true,
      preCallerHandle: IVR,
      bizId: `order${Date.now()}`,
      orderId: 'order-42',
      maxAllowTime: 5,
    });
    const callId = await callIdOf(handle);
    await progress(npp.sim, callId, { until: 'caller-answered' });
    await expect.poll(() => statusOf(handle)).toBe('caller-answered');
    // Key 2 replays the prompt; the call waits for another key.
    expect((await progress(npp.sim, callId, { key: '2' })).AwaitingKey).toBe(true);
    await progress(npp.sim, callId, { key: '1', until: 'callee-answered' });
    await expect.poll(() => statusOf(handle)).toBe('connected');
    expect((await stateOf(handle)).keys).toEqual(['2', '1']);
    await progress(npp.sim, callId, { until: 'ended', durationSeconds: 7 });
    const result = await handle.result();
    const description = await handle.describe();
    expect(result).toMatchObject({
      status: 'ended',
      callId,
      record: true,
      keys: ['2', '1'],
      srcDisplayNum: '0086075586013388',
      dstDisplayNum: '0086075586013399',
      cdr: { endStatus: 1, endStatusText: 'normal', duration: 7, callType: 3, source: 'webhook' },
      recordUrl: `${npp.sim.url}/_sim/recordings/${callId}.wav`,
    });
    const connectedBits = [Bit.CallerRinging, Bit.CallerAnswered, Bit.CalleeRinging, Bit.CalleeAnswered];
    for (const bit of [...connectedBits, Bit.CallerHangup, Bit.CalleeHangup]) expect(result.statusBits & bit).toBe(bit);
    expect(result.cdr?.calleeAnsweredAt).toBeDefined();
    const recording = await fetch(result.recordUrl as string);
    expect(recording.status).toBe(200);
    expect(recording.headers.get('content-type')).toContain('audio/wav');
    // Numbers are masked everywhere the run shows them.
    expect(JSON.stringify(result)).not.toContain(src);
    expect(JSON.stringify(result)).not.toContain(dst);
    expect(result.src).toBe(`${src.slice(0, 7)}****${src.slice(-4)}`);
    expect(description.typedSearchAttributes.get(NppCallId)).toEqual([callId]);
    expect(description.typedSearchAttributes.get(NppSessionStatus)).toBe('ended');
    expect(JSON.stringify(description.memo)).not.toContain(src);
    expect(description.memo).toMatchObject({ src: result.src, dst: result.dst, record: true });
  });

  test('a redial passes OrderId and the earlier CallId as LastCallId to CreateCallBack', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const src = phone();
    const missed = await startCallBack(client, taskQueue, { src });
    const first = await callIdOf(missed);
    await progress(npp.sim, first, { until: 'ended', callerOutcome: 'no-answer' });
    await missed.result();
    const redial = await startCallBack(client, taskQueue, { src, orderId: 'order-43', lastCallId: first });
    const second = await callIdOf(redial);
    await progress(npp.sim, second, { until: 'ended' });
    expect((await redial.result()).status).toBe('ended');
    const made = (await simCallBacks(npp.sim)).filter((call) => call.Src === src);
    expect(made.map(({ CallId, OrderId, LastCallId }) => ({ CallId, OrderId, LastCallId }))).toEqual([
      { CallId: first, OrderId: null, LastCallId: null },
      { CallId: second, OrderId: 'order-43', LastCallId: first },
    ]);
  });

  test('cancel honours each CancelFlag: tears down before its stage, refuses from it on', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const STAGES = ['created', 'caller-ringing', 'caller-answered', 'callee-ringing', 'callee-answered'] as const;
    // CallEndStatus of a call torn down at a stage: not answered by the caller, by the callee, or normal.
    const endStatusAt = (stage: number) => (stage < 2 ? 2 : stage < 4 ? 3 : 1);
    interface Case {
      cancelFlag: CancelFlag;
      stage: number;
      tornDown: boolean;
    }
    const cases: Case[] = [
      // CancelFlag 0 tears down whatever the state, even a conversation.
      { cancelFlag: 0, stage: 4, tornDown: true },
      ...([1, 2, 3, 4] as const).flatMap((cancelFlag) => [
        { cancelFlag, stage: cancelFlag - 1, tornDown: true },
        { cancelFlag, stage: cancelFlag, tornDown: false },
      ]),
    ];
    await Promise.all(
      cases.map(async ({ cancelFlag, stage, tornDown }) => {
        const label = `CancelFlag ${cancelFlag} at ${STAGES[stage]}`;
        const handle = await startCallBack(client, taskQueue, {});
        const callId = await callIdOf(handle);
        if (stage > 0) await progress(npp.sim, callId, { until: STAGES[stage] as ProgressBody['until'] });
        await expect.poll(() => statusOf(handle), { message: label }).toBe(stage === 4 ? 'connected' : STAGES[stage]);
        const answer = await handle.executeUpdate(cancelCallBackUpdate, { args: [{ cancelFlag }] });
        expect(answer.tornDown, label).toBe(tornDown);
        let result: CallBackState;
        if (tornDown) {
          expect(answer.status, label).toBe('cancelled');
          result = await handle.result();
          expect(result, label).toMatchObject({ status: 'cancelled', cancelledWith: cancelFlag });
          expect(result.cdr?.endStatus, label).toBe(endStatusAt(stage));
        } else {
          expect(answer.reason, label).toMatch(/CancelFlag/);
          // Refused: the call goes on to its natural end.
          expect(await statusOf(handle), label).toBe(stage === 4 ? 'connected' : STAGES[stage]);
          await progress(npp.sim, callId, { until: 'ended' });
          result = await handle.result();
          expect(result.status, label).toBe('ended');
          expect(result.cancelledWith, label).toBeUndefined();
          expect(result.cdr?.endStatus, label).toBe(1);
        }
        expect(result.cdr?.source, label).toBe('webhook');
      }),
    );
  });

  test('cancelling the run tears the call down on the platform', async ({ npp, worker: { client, taskQueue } }) => {
    const handle = await startCallBack(client, taskQueue, {});
    const callId = await callIdOf(handle);
    await progress(npp.sim, callId, { until: 'callee-ringing' });
    await handle.cancel();
    const error = await handle.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const cdrs = (await (await fetch(`${npp.sim.url}/_sim/cdrs`)).json()) as {
      callback: { CallId: string; CallEndStatus: string }[];
    };
    // Torn down after the caller answered, before the callee did.
    expect(cdrs.callback.filter((c) => c.CallId === callId).map((c) => c.CallEndStatus)).toEqual(['3']);
  });

  test('cancel rejects a CancelFlag outside 0-4 before touching the call', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const handle = await startCallBack(client, taskQueue, {});
    const callId = await callIdOf(handle);
    const error = await handle
      .executeUpdate(cancelCallBackUpdate, { args: [{ cancelFlag: 7 as CancelFlag }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((error as WorkflowUpdateFailedError).cause?.message).toMatch(/cancelFlag must be 0, 1, 2, 3 or 4/);
    expect(await statusOf(handle)).toBe('created');
    await progress(npp.sim, callId, { until: 'ended' });
    expect((await handle.result()).status).toBe('ended');
  });

  test('every callback dropped: polls DescribeCallBackStatus past the bound, then takes the CDR from DescribeCallBackCdr', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    await setDelivery(npp.sim, { drop: true });
    const handle = await startCallBack(client, taskQueue, {
      record: true,
      hangupTimeoutSeconds: 2,
      pollIntervalSeconds: 1,
    });
    const callId = await callIdOf(handle);
    // The call made under `drop` stays dropped; other tests' calls are delivered again.
    await setDelivery(npp.sim, { drop: false });
    await progress(npp.sim, callId, { until: 'callee-answered' });
    // Past the bound the platform still reports the call live: the run keeps following it.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const midCall = await stateOf(handle);
    await progress(npp.sim, callId, { until: 'ended', durationSeconds: 9 });
    const result = await handle.result();
    expect(midCall).toMatchObject({ status: 'created', statusBits: 0 });
    expect(midCall.cdr).toBeUndefined();
    expect(result).toMatchObject({
      status: 'ended',
      statusBits: 0,
      cdr: { endStatus: 1, duration: 9, source: 'poll' },
      recordUrl: `${npp.sim.url}/_sim/recordings/${callId}.wav`,
    });
    const kinds = await deliveries(npp.sim, callId);
    expect(kinds.map((d) => d.kind)).toEqual(expect.arrayContaining(['status', 'hangup', 'record']));
    expect(kinds.every((d) => d.status === 'dropped')).toBe(true);
  });

  test('fails the run non-retryably on invalid input, naming the field but never the number', async ({
    worker: { client, taskQueue },
  }) => {
    const mobile = phone();
    const bad: [Partial<CallBackInput>, RegExp][] = [
      [{ src: mobile.slice(4) }, /src must be a mobile number in the platform format/],
      [{ src: '0086075586013388' }, /src must be a mobile/],
      [{ dst: '+8613800000000' }, /dst must be a number in the platform format/],
      [{ src: mobile, dst: mobile }, /src and dst must differ/],
      [{ statusFlag: ALL_STATUS_FLAGS + 64 }, /statusFlag must be a sum of the StatusFlag bits/],
      [{ maxAllowTime: 0 }, /maxAllowTime \(minutes\) must be a whole number/],
      [{ preCallerHandle: { ...IVR, keyList: [] } as CallBackInput['preCallerHandle'] }, /keyList must list/],
      [
        { preCallerHandle: { ...IVR, keyList: [{ key: 'x', operate: 1 }] } as CallBackInput['preCallerHandle'] },
        /keyList\[0\]\.key/,
      ],
      [{ bizId: 'not allowed!' }, /bizId must be 1-64 letters or digits/],
      [{ srcDisplayNum: '12345' }, /srcDisplayNum must be a 0086-prefixed number/],
      [{ pollingLimitSeconds: 0 }, /pollingLimitSeconds must be a whole number between 1 and/],
      [{ pollAttempts: 0 }, /pollAttempts must be a whole number between 1 and 20/],
      [{ continueAsNewAfterEvents: 10 }, /continueAsNewAfterEvents must be a whole number between 100 and/],
    ];
    await Promise.all(
      bad.map(async ([input, reason]) => {
        const handle = await startCallBack(client, taskQueue, input);
        const error = await handle.result().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WorkflowFailedError);
        const cause = (error as WorkflowFailedError).cause;
        expect(cause).toBeInstanceOf(ApplicationFailure);
        expect((cause as ApplicationFailure).type).toBe('InvalidCallBackInput');
        expect((cause as ApplicationFailure).nonRetryable).toBe(true);
        expect(cause?.message).toMatch(reason);
        expect(cause?.message).not.toContain(mobile.slice(4));
      }),
    );
  });

  test('fails as failed with the platform reason when CreateCallBack is refused', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const bizId = `dup${Date.now()}`;
    const first = await startCallBack(client, taskQueue, { bizId });
    const firstCallId = await callIdOf(first);
    const second = await startCallBack(client, taskQueue, { bizId });
    const error = await second.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('CreateCallBackFailed');
    expect(cause.message).toMatch(/104/);
    const [state] = cause.details as [CallBackState];
    expect(state).toMatchObject({ status: 'failed', failure: { code: '104' } });
    expect(state.callId).toBeUndefined();
    expect((await second.describe()).typedSearchAttributes.get(NppSessionStatus)).toBe('failed');
    await progress(npp.sim, firstCallId, { until: 'ended' });
    expect((await first.result()).status).toBe('ended');
  });
});
