import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BUSINESS_ERROR_CODES } from '../../src/npp/errors.ts';
import { DEFAULT_CDR_RETENTION_SECONDS } from '../../src/simulator/model.ts';
import type { Simulator } from '../../src/simulator/server.ts';
import { admin, callApi, ok, startReceiver, startSim } from './helpers.ts';

const A = '008613900000001';
const B = '008613800000001';
const STAGES = ['caller-ringing', 'caller-answered', 'callee-ringing', 'callee-answered'] as const;

let clock = Date.UTC(2030, 0, 1);
let sim: Simulator;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const signed = () => ({ timestamp: Math.floor(clock / 1000) });
beforeAll(async () => {
  sim = await startSim({ now: () => clock });
  receiver = await startReceiver();
});
afterAll(async () => {
  await sim.close();
  await receiver.close();
});
beforeEach(() => {
  sim.reset();
  receiver.received.length = 0;
});

const create = async (extra: Record<string, unknown> = {}) =>
  (
    await ok(
      sim,
      'CreateCallBack',
      {
        Src: A,
        Dst: B,
        StatusFlag: '16191',
        StatusUrl: `${receiver.url}/status`,
        HangupUrl: `${receiver.url}/hangup`,
        RecordUrl: `${receiver.url}/record`,
        ...extra,
      },
      signed(),
    )
  ).CallId as string;
const progress = (callId: string, body: Record<string, unknown>) =>
  admin(sim, 'POST', `/_sim/callbacks/${callId}/progress`, { wait: true, ...body });
const status = async (callId: string) =>
  (await ok(sim, 'DescribeCallBackStatus', { CallId: callId }, signed())).CallStatus;

describe('callback calls', () => {
  it('runs through every stage to a recorded CallBackCdr', async () => {
    const callId = await create({ Record: '1', BizId: 'biz1', OrderId: 'order-9' });
    expect(await status(callId)).toBe('0');
    for (const [i, until] of STAGES.entries()) {
      const step = await progress(callId, { until });
      expect(step.body).toMatchObject({ Stage: until, CallStatus: String(i + 1) });
      expect(await status(callId)).toBe(String(i + 1));
    }
    const done = await progress(callId, { durationSeconds: 30 });
    expect(done.body).toMatchObject({ Stage: 'ended', CallStatus: '5', CallEndStatus: '1' });
    expect(await status(callId)).toBe('5');

    expect(receiver.at('/status').map((s) => s.callStatus)).toEqual([
      '1',
      '2',
      '4',
      '256',
      '512',
      '1024',
      '16',
      '4096',
    ]);
    const [hangup] = receiver.at('/hangup');
    expect(hangup).toMatchObject({
      callId,
      src: A,
      dst: B,
      callEndStatus: '1',
      duration: '30',
      bizId: 'biz1',
      orderId: 'order-9',
      callType: '3',
    });
    expect(receiver.at('/record')).toEqual([{ callId, recordUrl: hangup?.recordUrl }]);
    const times = ['startSrcCallTime', 'srcAcceptTime', 'startDstCallTime', 'dstAcceptTime', 'endCallTime'].map((k) =>
      Number(hangup?.[k]),
    );
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });

  it('DeleteCallBack honours each CancelFlag before and after its stage', async () => {
    for (const [i, stage] of STAGES.entries()) {
      const flag = String(i + 1);
      // Before the stage: tearing down is allowed.
      const before = await create();
      if (i > 0) await progress(before, { until: STAGES[i - 1] });
      expect(
        (await callApi(sim, 'DeleteCallBack', { CallId: before, CancelFlag: flag }, signed())).body.Response,
      ).toMatchObject({
        ErrorCode: '0',
        CallId: before,
      });
      expect(await status(before)).toBe('5');
      // Once the stage is reached: refused, the call goes on.
      const after = await create();
      await progress(after, { until: stage });
      const refused = (await callApi(sim, 'DeleteCallBack', { CallId: after, CancelFlag: flag }, signed())).body
        .Response;
      expect(refused.ErrorCode).toBe(BUSINESS_ERROR_CODES.CallNotCancellable.code);
      expect(await status(after)).toBe(String(i + 1));
      // CancelFlag 0 always tears down.
      await ok(sim, 'DeleteCallBack', { CallId: after, CancelFlag: '0' }, signed());
      expect(await status(after)).toBe('5');
    }
    const ended = await create();
    await ok(sim, 'DeleteCallBack', { CallId: ended }, signed());
    const again = (await callApi(sim, 'DeleteCallBack', { CallId: ended }, signed())).body.Response;
    expect(again.ErrorCode).toBe(BUSINESS_ERROR_CODES.CallNotCancellable.code);
    const unknown = (await callApi(sim, 'DeleteCallBack', { CallId: 'nope' }, signed())).body.Response;
    expect(unknown.ErrorCode).toBe(BUSINESS_ERROR_CODES.CallNotFound.code);
  });

  it('a cancelled call after the callee answered ends normally; before, as not connected', async () => {
    const talking = await create();
    await progress(talking, { until: 'callee-answered' });
    await ok(sim, 'DeleteCallBack', { CallId: talking }, signed());
    const early = await create();
    await progress(early, { until: 'caller-ringing' });
    await ok(sim, 'DeleteCallBack', { CallId: early }, signed());
    await sim.idle();
    const ends = Object.fromEntries(receiver.at('/hangup').map((h) => [h.callId, h.callEndStatus]));
    expect(ends).toEqual({ [talking]: '1', [early]: '2' });
  });

  it('ends early on caller or callee outcomes', async () => {
    const busyCaller = await create();
    expect((await progress(busyCaller, { callerOutcome: 'busy' })).body).toMatchObject({
      Stage: 'ended',
      CallEndStatus: '4',
    });
    const calleeRejects = await create();
    expect((await progress(calleeRejects, { calleeOutcome: 'rejected' })).body).toMatchObject({ CallEndStatus: '3' });
    const statuses = receiver
      .at('/status')
      .filter((s) => s.callId === calleeRejects)
      .map((s) => s.callStatus);
    expect(statuses).toEqual(['1', '2', '4', '256', '512', '2048', '16']);
  });

  it('waits for a key press from the PreCallerHandle KeyList and reports it to KeyPressUrl', async () => {
    const handle = {
      ReadPrompt: 'welcome',
      InterruptPrompt: 'press 1 to connect',
      KeyList: [
        { Key: '1', Operate: '1' },
        { Key: '9', Operate: '3' },
      ],
      RepeatTimes: '1',
      KeyPressUrl: `${receiver.url}/key`,
      PromptGender: '1',
    };
    const callId = await create({ PreCallerHandle: handle });
    expect((await progress(callId, {})).body).toMatchObject({ Stage: 'caller-answered', AwaitingKey: true });
    expect((await progress(callId, { key: '5' })).body).toMatchObject({ Stage: 'caller-answered', AwaitingKey: true });
    expect((await progress(callId, { key: '1' })).body).toMatchObject({ Stage: 'ended', CallEndStatus: '1' });
    expect(receiver.at('/key').map((k) => k.key)).toEqual(['5', '1']);
    expect(receiver.at('/key')[0]).toMatchObject({ callId, timestamp: expect.stringMatching(/^\d+$/) });
    // Moments of a call strictly increase: each key after the previous one, the callee after the keys.
    const [first, second] = receiver.at('/key').map((k) => Number(k.timestamp));
    expect(second).toBeGreaterThan(first as number);
    expect(Number(receiver.at('/hangup')[0]?.startDstCallTime)).toBeGreaterThan(second as number);

    const hangsUp = await create({ PreCallerHandle: handle });
    expect((await progress(hangsUp, { key: '9' })).body).toMatchObject({ Stage: 'ended', CallEndStatus: '3' });
  });

  it('sends no keypress callback when KeyPressUrl is empty, and the call still follows the keys', async () => {
    const handle = {
      ReadPrompt: 'welcome',
      InterruptPrompt: 'press 1 to connect',
      KeyList: [{ Key: '1', Operate: '1' }],
      RepeatTimes: '1',
      KeyPressUrl: '',
      PromptGender: '2',
    };
    const callId = await create({ PreCallerHandle: handle });
    expect((await progress(callId, { key: '4' })).body).toMatchObject({ Stage: 'caller-answered', AwaitingKey: true });
    expect((await progress(callId, { key: '1' })).body).toMatchObject({ Stage: 'ended', CallEndStatus: '1' });
    const log = (await admin<{ callId: string; kind: string }[]>(sim, 'GET', '/_sim/deliveries?wait')).body;
    const kinds = log.filter((e) => e.callId === callId).map((e) => e.kind);
    expect(kinds).toContain('hangup');
    expect(kinds).not.toContain('keypress');
    expect(receiver.received.filter((r) => r.body.key !== undefined)).toEqual([]);
  });

  it('filters DescribeCallBackCdr and Get400Cdr by time, CallId and Src', async () => {
    const t0 = Math.floor(clock / 1000);
    const first = await create();
    await progress(first, {});
    clock += 3600_000;
    const second = await create({ Src: '008613900000002' });
    await progress(second, {});
    const t1 = Math.floor(clock / 1000);

    const cdrIds = async (params: Record<string, unknown>) =>
      ((await ok(sim, 'DescribeCallBackCdr', params, signed())).Cdr as { CallId: string }[]).map((c) => c.CallId);
    expect(await cdrIds({ StartTimeStamp: String(t0), EndTimeStamp: String(t1 + 600) })).toEqual([first, second]);
    expect(await cdrIds({ StartTimeStamp: String(t0 + 60), EndTimeStamp: String(t1 + 600) })).toEqual([second]);
    expect(await cdrIds({ StartTimeStamp: String(t0), EndTimeStamp: String(t0 + 60) })).toEqual([first]);
    expect(await cdrIds({ CallId: second })).toEqual([second]);
    expect(await cdrIds({ Src: A })).toEqual([first]);

    // Session calls: Get400Cdr with the same filters.
    const bound = await ok(sim, 'GetVirtualNum', { Dst: B }, signed());
    const early = (await admin(sim, 'POST', '/_sim/calls', { virtualNum: bound.VirtualNum, caller: A })).body.CallId;
    clock += 3600_000;
    const late = (await admin(sim, 'POST', '/_sim/calls', { virtualNum: bound.VirtualNum, caller: '008613900000002' }))
      .body.CallId;
    const t2 = Math.floor(clock / 1000);
    const sessionIds = async (params: Record<string, unknown>) =>
      ((await ok(sim, 'Get400Cdr', params, signed())).Cdr as { CallId: string }[]).map((c) => c.CallId);
    expect(await sessionIds({ StartTimeStamp: String(t2 - 60), EndTimeStamp: String(t2 + 60) })).toEqual([late]);
    expect(await sessionIds({ StartTimeStamp: String(t1), EndTimeStamp: String(t2 + 60) })).toEqual([early, late]);
    expect(await sessionIds({ Src: A })).toEqual([early]);
    expect(await sessionIds({ CallId: late })).toEqual([late]);
  });

  it('lists CDRs for 30 days from the call start (DEFAULT_CDR_RETENTION_SECONDS), then forgets them', async () => {
    const callBackCall = await create();
    await progress(callBackCall, {});
    const bound = await ok(sim, 'GetVirtualNum', { Dst: B }, signed());
    const sessionCall = (await admin(sim, 'POST', '/_sim/calls', { virtualNum: bound.VirtualNum, caller: A })).body
      .CallId;
    const listed = async () => ({
      callBack: ((await ok(sim, 'DescribeCallBackCdr', { CallId: callBackCall }, signed())).Cdr as unknown[]).length,
      session: ((await ok(sim, 'Get400Cdr', { CallId: sessionCall }, signed())).Cdr as unknown[]).length,
    });
    expect(await listed()).toEqual({ callBack: 1, session: 1 });
    clock += (DEFAULT_CDR_RETENTION_SECONDS - 3600) * 1000;
    expect(await listed()).toEqual({ callBack: 1, session: 1 });
    clock += 2 * 3600 * 1000;
    expect(await listed()).toEqual({ callBack: 0, session: 0 });
    expect((await admin<{ session: unknown[] }>(sim, 'GET', '/_sim/cdrs')).body.session).toEqual([]);
  });

  it('BizId is unique among callback calls; unknown calls are a business error', async () => {
    await create({ BizId: 'dup1' });
    const dup = (await callApi(sim, 'CreateCallBack', { Src: A, Dst: B, BizId: 'dup1' }, signed())).body.Response;
    expect(dup.ErrorCode).toBe(BUSINESS_ERROR_CODES.BizIdAlreadyUsed.code);
    const unknown = (await callApi(sim, 'DescribeCallBackStatus', { CallId: 'nope' }, signed())).body.Response;
    expect(unknown.ErrorCode).toBe(BUSINESS_ERROR_CODES.CallNotFound.code);
    expect((await admin(sim, 'POST', '/_sim/callbacks/nope/progress', {})).status).toBe(404);
  });

  it('drop: a call made while it is set loses every callback, even stages driven after it is unset', async () => {
    await admin(sim, 'POST', '/_sim/delivery', { drop: true });
    const dropped = await create({ Record: '1' });
    await admin(sim, 'POST', '/_sim/delivery', { drop: false });
    const delivered = await create();
    await progress(dropped, { until: 'ended', durationSeconds: 5 });
    await progress(delivered, { until: 'ended', durationSeconds: 5 });
    expect(receiver.received.filter((r) => r.body.callId === dropped)).toEqual([]);
    expect(receiver.at('/hangup').map((h) => h.callId)).toEqual([delivered]);
    const log = (await admin<{ callId: string; kind: string; status: unknown }[]>(sim, 'GET', '/_sim/deliveries')).body;
    const droppedKinds = log.filter((e) => e.callId === dropped).map((e) => `${e.kind}:${e.status}`);
    expect(droppedKinds).toContain('hangup:dropped');
    expect(droppedKinds).toContain('record:dropped');
    expect(droppedKinds.every((k) => k.endsWith(':dropped'))).toBe(true);
    // The platform still knows the call and its record: what polling relies on.
    expect(await status(dropped)).toBe('5');
    const cdr = (await ok(sim, 'DescribeCallBackCdr', { CallId: dropped }, signed())).Cdr as {
      CallEndStatus: string;
    }[];
    expect(cdr.map((c) => c.CallEndStatus)).toEqual(['1']);
  });
});

describe('CreateCallBack validation', () => {
  const refusal = async (params: Record<string, unknown>) =>
    (await callApi(sim, 'CreateCallBack', { Src: A, Dst: B, ...params }, signed())).body.Response;
  const handle = (extra: Record<string, unknown>) => ({
    PreCallerHandle: { ReadPrompt: 'hi', InterruptPrompt: 'press 1', KeyList: [{ Key: '1', Operate: '1' }], ...extra },
  });

  it('takes as Src only 0086 followed by an 11-digit mobile', async () => {
    for (const src of ['0086075586013388', '13900000001', '00861390000000', '0086139000000011']) {
      const res = await refusal({ Src: src });
      expect(res.Error).toMatchObject({ Code: 'InvalidParameterValue', Message: expect.stringContaining('Src') });
      expect(res.Error?.Message).toMatch(/11-digit mobile/);
    }
    expect((await refusal({ Src: '008619900000001' })).ErrorCode).toBe('0');
  });

  it('takes an OrderId of at most 64 bytes in UTF-8', async () => {
    expect((await refusal({ OrderId: 'o'.repeat(64) })).ErrorCode).toBe('0');
    expect((await refusal({ OrderId: 'o'.repeat(65) })).Error).toMatchObject({
      Code: 'InvalidParameterValue',
      Message: expect.stringContaining('OrderId'),
    });
    // 21 three-byte characters are 63 bytes; 22 are 66, though only 22 characters.
    expect((await refusal({ OrderId: '订'.repeat(21) })).ErrorCode).toBe('0');
    expect((await refusal({ OrderId: '订'.repeat(22) })).Error?.Code).toBe('InvalidParameterValue');
  });

  it("takes PromptGender '1' or '2' when given", async () => {
    for (const gender of ['1', '2']) expect((await refusal(handle({ PromptGender: gender }))).ErrorCode).toBe('0');
    expect((await refusal(handle({}))).ErrorCode).toBe('0');
    for (const gender of ['0', '3', 'female']) {
      expect((await refusal(handle({ PromptGender: gender }))).Error).toMatchObject({
        Code: 'InvalidParameterValue',
        Message: expect.stringContaining('PromptGender'),
      });
    }
    expect((await admin<unknown[]>(sim, 'GET', '/_sim/callbacks')).body).toHaveLength(3);
  });
});
