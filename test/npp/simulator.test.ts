import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NppClient } from '../../src/npp/client.ts';
import type { Simulator } from '../../src/simulator/server.ts';
import { APP_ID, admin, SECRET_ID, SECRET_KEY, startSim } from '../simulator/helpers.ts';

const A = '008613800000001';
const B = '008613900000001';
const REQUEST_ID = /^[0-9a-f-]{36}$/;
const VIRTUAL_NUM = /^008617\d{9}$/;
const UNIX_SECONDS = /^\d{10}$/;

let sim: Simulator;
let client: NppClient;

beforeAll(async () => {
  sim = await startSim();
  // Everything from options: the test does not depend on the machine's environment.
  client = new NppClient({ env: {}, endpoint: sim.url, secretId: SECRET_ID, secretKey: SECRET_KEY, bizAppId: APP_ID });
});
afterAll(async () => {
  await client.close();
  await sim.close();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('NppClient against the simulator', () => {
  it('completes all 8 actions with the fields the seed describes', async () => {
    const display = await client.describeCallerDisplayList();
    expect(display).toMatchObject({ ErrorCode: '0', AppId: APP_ID, RequestId: expect.stringMatching(REQUEST_ID) });
    expect(display.CodeList?.length).toBeGreaterThan(0);
    for (const code of display.CodeList ?? []) expect(code).toEqual({ Nation: '0086', Phone: expect.any(String) });
    const displayNums = (display.CodeList ?? []).map((code) => `${code.Nation}${code.Phone}`);

    // A masked-call session: bind A↔B, B calls the virtual number, the CDR is queryable, unbind.
    const bound = await client.getVirtualNum({ Src: A, Dst: B, Record: '1' });
    expect(bound).toMatchObject({
      ErrorCode: '0',
      BindId: expect.any(String),
      RefNum: '1',
      VirtualNum: expect.stringMatching(VIRTUAL_NUM),
      RequestId: expect.stringMatching(REQUEST_ID),
    });
    const callStart = nowSeconds();
    const call = await admin<{ CallId: string }>(sim, 'POST', '/_sim/calls', {
      virtualNum: bound.VirtualNum,
      caller: B,
      outcome: 'answered',
      durationSeconds: 30,
    });
    expect(call.status).toBe(200);

    const sessionCdr = await client.get400Cdr({
      StartTimeStamp: String(callStart - 1),
      EndTimeStamp: String(nowSeconds() + 60),
    });
    expect(sessionCdr).toMatchObject({ ErrorCode: '0', Offset: '', RequestId: expect.stringMatching(REQUEST_ID) });
    expect(sessionCdr.Cdr).toEqual([
      expect.objectContaining({
        CallId: call.body.CallId,
        BindId: bound.BindId,
        Src: B,
        Dst: A,
        DstVirtualNum: bound.VirtualNum,
        CallEndStatus: '1',
        DstDuration: '30',
        EndCallTime: expect.stringMatching(UNIX_SECONDS),
        RecordUrl: `${sim.url}/_sim/recordings/${call.body.CallId}.wav`,
      }),
    ]);
    // The time filter is honoured: nothing started before the call.
    expect((await client.get400Cdr({ StartTimeStamp: '0', EndTimeStamp: String(callStart - 3600) })).Cdr).toEqual([]);

    const unbound = await client.delVirtualNum({ BindId: bound.BindId as string });
    expect(unbound).toMatchObject({
      ErrorCode: '0',
      BindId: bound.BindId,
      RefLeftNum: '0',
      RequestId: expect.stringMatching(REQUEST_ID),
    });
    expect((await admin<unknown[]>(sim, 'GET', '/_sim/bindings')).body).toEqual([]);

    // A callback call taken to its end: status and CDR.
    const created = await client.createCallBack({ Src: A, Dst: B, Record: '1' });
    expect(created).toMatchObject({
      ErrorCode: '0',
      CallId: expect.any(String),
      RequestId: expect.stringMatching(REQUEST_ID),
    });
    expect(displayNums).toContain(created.SrcDisplayNum);
    expect(displayNums).toContain(created.DstDisplayNum);
    const callId = created.CallId as string;

    await admin(sim, 'POST', `/_sim/callbacks/${callId}/progress`, { until: 'caller-answered' });
    expect(await client.describeCallBackStatus({ CallId: callId })).toMatchObject({
      ErrorCode: '0',
      AppId: APP_ID,
      CallId: callId,
      Src: A,
      Dst: B,
      CallStatus: '2', // the caller answered
      RequestId: expect.stringMatching(REQUEST_ID),
    });
    await admin(sim, 'POST', `/_sim/callbacks/${callId}/progress`, { until: 'ended', durationSeconds: 20 });
    expect((await client.describeCallBackStatus({ CallId: callId })).CallStatus).toBe('5');

    const callbackCdr = await client.describeCallBackCdr({ CallId: callId });
    expect(callbackCdr).toMatchObject({ ErrorCode: '0', Offset: '', RequestId: expect.stringMatching(REQUEST_ID) });
    expect(callbackCdr.Cdr).toEqual([
      expect.objectContaining({
        CallId: callId,
        Src: A,
        Dst: B,
        CallEndStatus: '1',
        Duration: '20',
        SrcAcceptTime: expect.stringMatching(UNIX_SECONDS),
        DstAcceptTime: expect.stringMatching(UNIX_SECONDS),
        RecordUrl: `${sim.url}/_sim/recordings/${callId}.wav`,
      }),
    ]);

    // A second callback call, torn down before anyone answered.
    const cancelled = await client.createCallBack({ Src: A, Dst: B });
    const deleted = await client.deleteCallBack({ CallId: cancelled.CallId as string, CancelFlag: '0' });
    expect(deleted).toMatchObject({
      ErrorCode: '0',
      CallId: cancelled.CallId,
      RequestId: expect.stringMatching(REQUEST_ID),
    });
    const afterDelete = await client.describeCallBackCdr({ CallId: cancelled.CallId as string });
    expect(afterDelete.Cdr).toEqual([expect.objectContaining({ CallId: cancelled.CallId, CallEndStatus: '2' })]);
  });
});
