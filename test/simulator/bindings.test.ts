import { afterEach, describe, expect, it } from 'vitest';
import { BUSINESS_ERROR_CODES } from '../../src/npp/errors.ts';
import type { Simulator } from '../../src/simulator/server.ts';
import { admin, callApi, closeStarted, ok, startSim } from './helpers.ts';

const A = '008613900000001';
const B = '008613800000001';
const C = '008613800000002';

let sim: Simulator | undefined;
afterEach(closeStarted);

const bindings = async (s: Simulator) => (await admin<Record<string, unknown>[]>(s, 'GET', '/_sim/bindings')).body;

describe('RefNum model', () => {
  it('XB: a repeat bind of the same Dst shares number and BindId; DelVirtualNum counts down to release', async () => {
    sim = await startSim();
    const first = await ok(sim, 'GetVirtualNum', { Dst: B });
    const second = await ok(sim, 'GetVirtualNum', { Dst: B });
    expect(second).toMatchObject({ VirtualNum: first.VirtualNum, BindId: first.BindId, RefNum: '2' });
    expect(first.RefNum).toBe('1');
    expect(await bindings(sim)).toMatchObject([{ BindId: first.BindId, RefNum: 2, mode: 'XB' }]);

    expect((await ok(sim, 'DelVirtualNum', { BindId: first.BindId })).RefLeftNum).toBe('1');
    expect((await ok(sim, 'DelVirtualNum', { BindId: first.BindId })).RefLeftNum).toBe('0');
    expect(await bindings(sim)).toEqual([]);
    const gone = (await callApi(sim, 'DelVirtualNum', { BindId: first.BindId })).body.Response;
    expect(gone.ErrorCode).toBe(BUSINESS_ERROR_CODES.BindingNotFound.code);

    // The number is free again: it can be assigned explicitly.
    const again = await ok(sim, 'GetVirtualNum', { Dst: C, AssignVirtualNum: first.VirtualNum });
    expect(again.VirtualNum).toBe(first.VirtualNum);
  });

  it('AXB: the same pair bound twice gets two numbers, each with RefNum 1 and released at once', async () => {
    sim = await startSim();
    const one = await ok(sim, 'GetVirtualNum', { Src: A, Dst: B });
    const two = await ok(sim, 'GetVirtualNum', { Src: A, Dst: B });
    expect(one.RefNum).toBe('1');
    expect(two.RefNum).toBe('1');
    expect(two.VirtualNum).not.toBe(one.VirtualNum);
    expect((await ok(sim, 'DelVirtualNum', { BindId: one.BindId })).RefLeftNum).toBe('0');
  });

  it('AssignVirtualNum of a number in use fails', async () => {
    sim = await startSim();
    const taken = await ok(sim, 'GetVirtualNum', { Src: A, Dst: B });
    const res = (await callApi(sim, 'GetVirtualNum', { Dst: C, AssignVirtualNum: taken.VirtualNum })).body.Response;
    expect(res.ErrorCode).toBe(BUSINESS_ERROR_CODES.VirtualNumberInUse.code);
    expect(res.BindId).toBeUndefined();
  });

  it('pool exhaustion fails until a number is released', async () => {
    sim = await startSim({ pool: 2 });
    const first = await ok(sim, 'GetVirtualNum', { Dst: B });
    await ok(sim, 'GetVirtualNum', { Dst: C });
    const full = (await callApi(sim, 'GetVirtualNum', { Src: A, Dst: B })).body.Response;
    expect(full.ErrorCode).toBe(BUSINESS_ERROR_CODES.NoVirtualNumberAvailable.code);
    await ok(sim, 'DelVirtualNum', { BindId: first.BindId });
    expect((await ok(sim, 'GetVirtualNum', { Src: A, Dst: B })).VirtualNum).toBe(first.VirtualNum);
  });

  it('BizId is unique among active bindings', async () => {
    sim = await startSim();
    await ok(sim, 'GetVirtualNum', { Src: A, Dst: B, BizId: 'order1' });
    const dup = (await callApi(sim, 'GetVirtualNum', { Src: A, Dst: C, BizId: 'order1' })).body.Response;
    expect(dup.ErrorCode).toBe(BUSINESS_ERROR_CODES.BizIdAlreadyUsed.code);
  });

  it('counts binds per BizId over its life: a BizId bound again after its release is a double bind', async () => {
    sim = await startSim();
    const first = await ok(sim, 'GetVirtualNum', { Src: A, Dst: B, BizId: 'order1' });
    await ok(sim, 'GetVirtualNum', { Dst: C, BizId: 'ref1' });
    await ok(sim, 'GetVirtualNum', { Dst: C, BizId: 'ref2' });
    await ok(sim, 'DelVirtualNum', { BindId: first.BindId });
    await ok(sim, 'GetVirtualNum', { Src: A, Dst: B, BizId: 'order1' });
    const stats = await admin(sim, 'GET', '/_sim/stats');
    expect(stats.body).toMatchObject({ activeBindings: 2, binds: 4, doubleBinds: [{ bizId: 'order1', binds: 2 }] });
  });

  it('fast-forwards MaxAssignTime for the bindings expiring by a given time', async () => {
    sim = await startSim();
    await ok(sim, 'GetVirtualNum', { Src: A, Dst: B, MaxAssignTime: '60' });
    await ok(sim, 'GetVirtualNum', { Dst: C, MaxAssignTime: '3600' });
    const inTwoMinutes = Math.floor(Date.now() / 1000) + 120;
    expect((await admin(sim, 'POST', '/_sim/bindings/expire', { until: inTwoMinutes })).body).toEqual({ released: 1 });
    expect(await bindings(sim)).toMatchObject([{ Dst: C }]);
    expect((await admin(sim, 'POST', '/_sim/bindings/expire', { until: 'soon' })).status).toBe(400);
  });

  it('an XB repeat with a used BizId is refused instead of taking a second reference', async () => {
    sim = await startSim();
    await ok(sim, 'GetVirtualNum', { Dst: B, BizId: 'ref1' });
    const repeat = (await callApi(sim, 'GetVirtualNum', { Dst: B, BizId: 'ref1' })).body.Response;
    expect(repeat.ErrorCode).toBe(BUSINESS_ERROR_CODES.BizIdAlreadyUsed.code);
    expect((await ok(sim, 'GetVirtualNum', { Dst: B, BizId: 'ref2' })).RefNum).toBe('2');
    expect(await bindings(sim)).toMatchObject([{ RefNum: 2, BizIds: ['ref1', 'ref2'] }]);
  });

  it('MaxAssignTime expires bindings on the injected clock', async () => {
    let clock = Date.UTC(2030, 0, 1);
    sim = await startSim({ now: () => clock, pool: 1 });
    const t = () => ({ timestamp: Math.floor(clock / 1000) });
    const short = await ok(sim, 'GetVirtualNum', { Dst: B, MaxAssignTime: '60' }, t());
    expect((await bindings(sim))[0]?.expiresAt).toBe(Math.floor(clock / 1000) + 60);
    clock += 59_000;
    expect(await bindings(sim)).toHaveLength(1);
    clock += 1_000;
    expect(await bindings(sim)).toEqual([]);
    const gone = (await callApi(sim, 'DelVirtualNum', { BindId: short.BindId }, t())).body.Response;
    expect(gone.ErrorCode).toBe(BUSINESS_ERROR_CODES.BindingNotFound.code);

    // Default 24 h; the number came back to the one-number pool.
    const daily = await ok(sim, 'GetVirtualNum', { Src: A, Dst: B }, t());
    expect(daily.VirtualNum).toBe(short.VirtualNum);
    clock += 24 * 3600 * 1000 - 1000;
    expect(await bindings(sim)).toHaveLength(1);
    clock += 1000;
    expect(await bindings(sim)).toEqual([]);
    // The signature window follows the same clock.
    expect((await callApi(sim, 'DescribeCallerDisplayList', {})).body.Response.Error?.Code).toBe(
      'AuthFailure.SignatureExpire',
    );
  });
});
