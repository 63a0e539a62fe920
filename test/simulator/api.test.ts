import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BUSINESS_ERROR_CODES } from '../../src/npp/errors.ts';
import type { Simulator } from '../../src/simulator/server.ts';
import { APP_ID, type ApiBody, admin, callApi, sdkClient, startSim } from './helpers.ts';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSim();
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

describe('official tencentcloud-sdk-nodejs client', () => {
  it('completes all 8 actions', async () => {
    const client = sdkClient(sim);
    const bound = await client.GetVirtualNum({ BizAppId: APP_ID, Dst: '008613800000001', Src: '008613900000001' });
    expect(bound).toMatchObject({ ErrorCode: '0', RefNum: '1', VirtualNum: '008617000000001' });
    expect(bound.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    const del = await client.DelVirtualNum({ BizAppId: APP_ID, BindId: bound.BindId as string });
    expect(del).toMatchObject({ ErrorCode: '0', BindId: bound.BindId, RefLeftNum: '0' });

    const display = await client.DescribeCallerDisplayList({ BizAppId: APP_ID });
    expect(display.AppId).toBe(APP_ID);
    expect(display.CodeList?.length).toBeGreaterThan(0);

    const created = await client.CreateCallBack({
      BizAppId: APP_ID,
      Src: '008613900000001',
      Dst: '008613800000001',
      PreCallerHandle: {
        ReadPrompt: 'hi',
        InterruptPrompt: 'press 1',
        KeyList: [{ Key: '1', Operate: '1' }],
        RepeatTimes: '2',
        KeyPressUrl: '',
        PromptGender: '1',
      },
    });
    expect(created.ErrorCode).toBe('0');
    const callId = created.CallId as string;
    const status = await client.DescribeCallBackStatus({ BizAppId: APP_ID, CallId: callId });
    expect(status).toMatchObject({ ErrorCode: '0', CallId: callId, CallStatus: '0' });
    expect((await client.DeleteCallBack({ BizAppId: APP_ID, CallId: callId, CancelFlag: '0' })).CallId).toBe(callId);

    const cbCdr = await client.DescribeCallBackCdr({ BizAppId: APP_ID, CallId: callId });
    expect(cbCdr.Cdr).toHaveLength(1);
    const cdr400 = await client.Get400Cdr({ BizAppId: APP_ID, StartTimeStamp: '0', EndTimeStamp: '9999999999' });
    expect(cdr400).toMatchObject({ ErrorCode: '0', Cdr: [] });
  });

  it('gets AuthFailure.SignatureFailure with a wrong secret key', async () => {
    await expect(sdkClient(sim, 'wrong-key').DescribeCallerDisplayList({ BizAppId: APP_ID })).rejects.toMatchObject({
      code: 'AuthFailure.SignatureFailure',
    });
  });
});

describe('API framework', () => {
  it('rejects an old or future timestamp with AuthFailure.SignatureExpire', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const timestamp of [now - 330, now + 330]) {
      const { body } = await callApi(sim, 'DescribeCallerDisplayList', {}, { timestamp });
      expect(body.Response.Error?.Code).toBe('AuthFailure.SignatureExpire');
    }
    const { body } = await callApi(sim, 'DescribeCallerDisplayList', {}, { timestamp: now - 200 });
    expect(body.Response.ErrorCode).toBe('0');
  });

  it('accepts any service in the credential scope and rejects an unknown SecretId', async () => {
    expect((await callApi(sim, 'DescribeCallerDisplayList', {}, { service: 'npp' })).body.Response.ErrorCode).toBe('0');
    const { body } = await callApi(sim, 'DescribeCallerDisplayList', {}, { secretId: 'AKIDother' });
    expect(body.Response.Error?.Code).toBe('AuthFailure.SecretIdNotFound');
  });

  it('answers missing authorization, unknown action, wrong version and bad parameters with Tencent codes', async () => {
    const res = await request(`${sim.url}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-tc-action': 'GetVirtualNum',
        'x-tc-version': '2019-08-23',
        'x-tc-timestamp': '1',
      },
      body: '{}',
    });
    const unsigned = (await res.body.json()) as ApiBody;
    expect(unsigned.Response.Error?.Code).toBe('AuthFailure.InvalidAuthorization');
    expect(unsigned.Response.RequestId).toMatch(/^[0-9a-f-]{36}$/);

    expect((await callApi(sim, 'Nope', {})).body.Response.Error?.Code).toBe('InvalidAction');
    expect((await callApi(sim, 'GetVirtualNum', {}, { version: '2017-01-01' })).body.Response.Error?.Code).toBe(
      'NoSuchVersion',
    );
    expect((await callApi(sim, 'GetVirtualNum', {})).body.Response.Error?.Code).toBe('MissingParameter');
    expect((await callApi(sim, 'GetVirtualNum', { Dst: 123 })).body.Response.Error?.Code).toBe('InvalidParameter');
    expect(
      (await callApi(sim, 'GetVirtualNum', { Dst: '008613800000001', MaxAssignTime: '604801' })).body.Response.Error
        ?.Code,
    ).toBe('InvalidParameterValue');
    const badPhone = (await callApi(sim, 'GetVirtualNum', { Dst: '13800000001' })).body.Response;
    expect(badPhone.ErrorCode).toBe(BUSINESS_ERROR_CODES.InvalidPhoneNumber.code);
    expect(badPhone.Msg).toBeTruthy();
  });

  it('never echoes the secret in errors', async () => {
    const { body } = await callApi(sim, 'DescribeCallerDisplayList', {}, { secretKey: 'wrong' });
    expect(JSON.stringify(body)).not.toContain('test-secret-key');
    expect(JSON.stringify(body)).not.toContain('Signature=');
  });
});

describe('fault injection', () => {
  it('injects counted faults per action and clears them', async () => {
    await admin(sim, 'POST', '/_sim/faults', { action: 'GetVirtualNum', kind: 'RequestLimitExceeded', count: 1 });
    await admin(sim, 'POST', '/_sim/faults', { action: 'GetVirtualNum', kind: 'business', count: 1, errorCode: '110' });
    await admin(sim, 'POST', '/_sim/faults', { action: 'GetVirtualNum', kind: '5xx', count: 1 });
    const params = { Dst: '008613800000001' };
    expect((await callApi(sim, 'GetVirtualNum', params)).body.Response.Error?.Code).toBe('RequestLimitExceeded');
    expect((await callApi(sim, 'GetVirtualNum', params)).body.Response.ErrorCode).toBe('110');
    await expect(callApi(sim, 'GetVirtualNum', params)).rejects.toThrow(); // 503 with a text body
    expect((await callApi(sim, 'GetVirtualNum', params)).body.Response.ErrorCode).toBe('0');

    await admin(sim, 'POST', '/_sim/faults', { action: '*', kind: 'drop-connection', rate: 1 });
    await expect(callApi(sim, 'DescribeCallerDisplayList', {})).rejects.toThrow();
    await admin(sim, 'DELETE', '/_sim/faults');
    expect((await callApi(sim, 'DescribeCallerDisplayList', {})).body.Response.ErrorCode).toBe('0');
  });

  it('adds latency', async () => {
    await admin(sim, 'POST', '/_sim/faults', {
      action: 'DescribeCallerDisplayList',
      kind: 'latency',
      count: 1,
      latencyMs: 150,
    });
    const started = Date.now();
    expect((await callApi(sim, 'DescribeCallerDisplayList', {})).body.Response.ErrorCode).toBe('0');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('never processes a delayed request whose caller gave up, and processes one that waited', async () => {
    const bind = { Dst: '008613800000009', Src: '008613900000009' };
    const bindings = async () => (await admin<unknown[]>(sim, 'GET', '/_sim/bindings')).body.length;
    await admin(sim, 'POST', '/_sim/faults', { action: 'GetVirtualNum', kind: 'latency', count: 2, latencyMs: 300 });
    await expect(callApi(sim, 'GetVirtualNum', bind, { signal: AbortSignal.timeout(50) })).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await bindings()).toBe(0);
    expect((await callApi(sim, 'GetVirtualNum', bind)).body.Response.ErrorCode).toBe('0');
    expect(await bindings()).toBe(1);
  });

  it('refuses malformed rules', async () => {
    expect((await admin(sim, 'POST', '/_sim/faults', { action: 'X', kind: 'boom', count: 1 })).status).toBe(400);
    expect((await admin(sim, 'POST', '/_sim/faults', { action: 'X', kind: '5xx', rate: 2 })).status).toBe(400);
  });
});
