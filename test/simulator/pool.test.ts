import { afterEach, describe, expect, it } from 'vitest';
import { BUSINESS_ERROR_CODES } from '../../src/npp/errors.ts';
import type { Simulator } from '../../src/simulator/server.ts';
import { admin, callApi, closeStarted, ok, startReceiver, startSim } from './helpers.ts';

const A = '008613900000001';
const B = '008613800000001';
const C = '008613800000002';
const D = '008613800000003';
const STRANGER = '008613700000009';
const [X1, X2, X3, X4] = ['008617000000001', '008617000000002', '008617000000003', '008617000000004'];

/** The i-th of a family of distinct mobiles, e.g. party(136, 7) = 008613600000007. */
const party = (prefix: number, i: number) => `0086${prefix}${String(i).padStart(8, '0')}`;

let sim: Simulator | undefined;
let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
afterEach(closeStarted);

const code = async (s: Simulator, params: Record<string, unknown>) =>
  (await callApi(s, 'GetVirtualNum', params)).body.Response;
const dial = (s: Simulator, virtualNum: string, caller: string) =>
  admin(s, 'POST', '/_sim/calls', { virtualNum, caller, outcome: 'answered' });

describe('AXB number reuse', () => {
  it('serves 100 pairs with distinct parties from a pool of 5, each call reaching its own partner', async () => {
    sim = await startSim({ pool: 5 });
    const pairs = Array.from({ length: 100 }, (_, i) => ({ a: party(136, i), b: party(135, i) }));
    const bound = [];
    for (const { a, b } of pairs) bound.push(await ok(sim, 'GetVirtualNum', { Src: a, Dst: b }));
    expect(new Set(bound.map((r) => r.BindId)).size).toBe(100);
    expect(bound.every((r) => r.RefNum === '1')).toBe(true);

    for (const [i, { a, b }] of pairs.entries()) {
      const virtualNum = bound[i]?.VirtualNum as string;
      const fromA = await dial(sim, virtualNum, a);
      expect(fromA.body).toMatchObject({ BindId: bound[i]?.BindId, Src: a, Dst: b, Forwarded: true });
      const fromB = await dial(sim, virtualNum, b);
      expect(fromB.body).toMatchObject({ BindId: bound[i]?.BindId, Src: b, Dst: a, Forwarded: true });
    }
  });

  it('gives a party bound to several partners a different number for each', async () => {
    sim = await startSim({ pool: 3 });
    const numbers = [];
    for (const partner of [B, C, D])
      numbers.push((await ok(sim, 'GetVirtualNum', { Src: A, Dst: partner })).VirtualNum);
    expect(numbers).toEqual([X1, X2, X3]);
    // A as the callee side counts too: A has a binding on every number.
    expect((await code(sim, { Src: STRANGER, Dst: A })).ErrorCode).toBe(
      BUSINESS_ERROR_CODES.NoVirtualNumberAvailable.code,
    );
    // Each number routes A's call to the partner of that number's binding.
    const callees = [];
    for (const virtualNum of numbers) callees.push((await dial(sim, virtualNum as string, A)).body.Dst);
    expect(callees).toEqual([B, C, D]);
  });

  it('refuses the same party with a second partner on a pool of 1, until the first binding is gone', async () => {
    sim = await startSim({ pool: 1 });
    const first = await ok(sim, 'GetVirtualNum', { Src: A, Dst: B });
    // Another pair shares the one number.
    expect((await ok(sim, 'GetVirtualNum', { Src: STRANGER, Dst: D })).VirtualNum).toBe(first.VirtualNum);
    const full = await code(sim, { Src: A, Dst: C });
    expect(full.ErrorCode).toBe(BUSINESS_ERROR_CODES.NoVirtualNumberAvailable.code);
    expect(full.BindId).toBeUndefined();
    expect((await code(sim, { Src: C, Dst: B })).ErrorCode).toBe(BUSINESS_ERROR_CODES.NoVirtualNumberAvailable.code);

    expect((await ok(sim, 'DelVirtualNum', { BindId: first.BindId })).RefLeftNum).toBe('0');
    expect((await ok(sim, 'GetVirtualNum', { Src: A, Dst: C })).VirtualNum).toBe(first.VirtualNum);
  });

  it('keeps XB numbers exclusive: never shared with an AXB pair, in either direction', async () => {
    sim = await startSim({ pool: 2 });
    const xb = await ok(sim, 'GetVirtualNum', { Dst: C });
    expect(xb.VirtualNum).toBe(X1);
    // AXB pairs skip the XB-held number and share the other one.
    expect((await ok(sim, 'GetVirtualNum', { Src: A, Dst: B })).VirtualNum).toBe(X2);
    expect((await ok(sim, 'GetVirtualNum', { Src: STRANGER, Dst: D })).VirtualNum).toBe(X2);
    // A's only other number is XB-held: exhausted for A, even by assignment.
    expect((await code(sim, { Src: A, Dst: D })).ErrorCode).toBe(BUSINESS_ERROR_CODES.NoVirtualNumberAvailable.code);
    expect((await code(sim, { Src: party(136, 1), Dst: party(135, 1), AssignVirtualNum: X1 })).ErrorCode).toBe(
      BUSINESS_ERROR_CODES.VirtualNumberInUse.code,
    );
    // A new XB Dst finds no unbound number; an AXB-shared number cannot be assigned to it.
    expect((await code(sim, { Dst: party(135, 2) })).ErrorCode).toBe(
      BUSINESS_ERROR_CODES.NoVirtualNumberAvailable.code,
    );
    expect((await code(sim, { Dst: party(135, 2), AssignVirtualNum: X2 })).ErrorCode).toBe(
      BUSINESS_ERROR_CODES.VirtualNumberInUse.code,
    );
    // The XB Dst binding again still adds a reference to its own number.
    expect(await ok(sim, 'GetVirtualNum', { Dst: C })).toMatchObject({ VirtualNum: X1, RefNum: '2' });
  });

  it('AssignVirtualNum of a shared number succeeds for a new pair and fails for a party already on it', async () => {
    sim = await startSim({ pool: 2 });
    await ok(sim, 'GetVirtualNum', { Src: A, Dst: B });
    expect((await ok(sim, 'GetVirtualNum', { Src: C, Dst: D, AssignVirtualNum: X1 })).VirtualNum).toBe(X1);
    expect((await code(sim, { Src: A, Dst: STRANGER, AssignVirtualNum: X1 })).ErrorCode).toBe(
      BUSINESS_ERROR_CODES.VirtualNumberInUse.code,
    );
    expect((await ok(sim, 'GetVirtualNum', { Src: A, Dst: STRANGER, AssignVirtualNum: X2 })).VirtualNum).toBe(X2);
  });

  it('refuses a caller who is no party on a shared number, with no binding and only default URLs told', async () => {
    receiver = await startReceiver();
    sim = await startSim({ callbackUrls: { hangup: `${receiver.url}/default-hangup` } });
    const bound = await ok(sim, 'GetVirtualNum', {
      Src: A,
      Dst: B,
      StatusFlag: '16191',
      StatusUrl: `${receiver.url}/status`,
      HangupUrl: `${receiver.url}/hangup`,
    });
    await ok(sim, 'GetVirtualNum', { Src: C, Dst: D });
    const refused = await admin(sim, 'POST', '/_sim/calls', {
      virtualNum: bound.VirtualNum,
      caller: STRANGER,
      wait: true,
    });
    expect(refused.body).toMatchObject({ BindId: '', Dst: '', Forwarded: false, CallEndStatus: '2' });
    expect(receiver.at('/default-hangup')).toMatchObject([
      { callId: refused.body.CallId, bindId: '', dst: '', dstVirtualNum: bound.VirtualNum, callEndStatus: '2' },
    ]);
    expect(receiver.at('/status')).toEqual([]);
    expect(receiver.at('/hangup')).toEqual([]);
  });

  it('dials as a party of a shared number when the admin call names the binding', async () => {
    sim = await startSim();
    const ab = await ok(sim, 'GetVirtualNum', { Src: A, Dst: B });
    const cd = await ok(sim, 'GetVirtualNum', { Src: C, Dst: D });
    expect(cd.VirtualNum).toBe(ab.VirtualNum);
    const ambiguous = await admin(sim, 'POST', '/_sim/calls', { virtualNum: ab.VirtualNum, party: 'A' });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body.error).toMatch(/give bindId/);
    const asB = await admin(sim, 'POST', '/_sim/calls', { virtualNum: cd.VirtualNum, party: 'B', bindId: cd.BindId });
    expect(asB.body).toMatchObject({ BindId: cd.BindId, Src: D, Dst: C, Forwarded: true });
    const unknown = await admin(sim, 'POST', '/_sim/calls', { virtualNum: ab.VirtualNum, party: 'A', bindId: 'nope' });
    expect(unknown.status).toBe(404);
  });
});

describe('CityId', () => {
  it('takes a number of the city asked for: the default pool alternates 0755 and 010', async () => {
    sim = await startSim({ pool: 4 });
    expect((await ok(sim, 'GetVirtualNum', { Src: A, Dst: B, CityId: '010' })).VirtualNum).toBe(X2);
    expect((await ok(sim, 'GetVirtualNum', { Dst: C, CityId: '0755' })).VirtualNum).toBe(X1);
    expect((await ok(sim, 'GetVirtualNum', { Dst: D, CityId: '0755' })).VirtualNum).toBe(X3);
    // The city still has numbers, just none free for this Dst: exhaustion, not 107.
    expect((await code(sim, { Dst: STRANGER, CityId: '0755' })).ErrorCode).toBe(
      BUSINESS_ERROR_CODES.NoVirtualNumberAvailable.code,
    );
    expect((await ok(sim, 'GetVirtualNum', { Dst: STRANGER })).VirtualNum).toBe(X4);
  });

  it('answers 107 for a city the pool has no number of', async () => {
    sim = await startSim();
    const none = await code(sim, { Src: A, Dst: B, CityId: '021' });
    expect(none.ErrorCode).toBe(BUSINESS_ERROR_CODES.CityHasNoNumbers.code);
    expect(none.ErrorCode).toBe('107');
    expect(none.BindId).toBeUndefined();
    expect((await admin<unknown[]>(sim, 'GET', '/_sim/bindings')).body).toEqual([]);
  });

  it('takes the cities a pool option gives', async () => {
    sim = await startSim({ pool: [{ number: '008617100000001', cityId: '021' }, '008617100000002'] });
    expect((await ok(sim, 'GetVirtualNum', { Src: A, Dst: B, CityId: '021' })).VirtualNum).toBe('008617100000001');
    // A number given without a city takes the second default city by its position.
    expect((await ok(sim, 'GetVirtualNum', { Src: A, Dst: C, CityId: '010' })).VirtualNum).toBe('008617100000002');
    expect((await code(sim, { Src: A, Dst: D, CityId: '0755' })).ErrorCode).toBe('107');
  });

  it('refuses an AssignVirtualNum of another city', async () => {
    sim = await startSim({ pool: 2 });
    const res = (await callApi(sim, 'GetVirtualNum', { Dst: B, CityId: '010', AssignVirtualNum: X1 })).body.Response;
    expect(res.Error).toMatchObject({ Code: 'InvalidParameterValue', Message: expect.stringContaining('010') });
    expect((await ok(sim, 'GetVirtualNum', { Dst: B, CityId: '010', AssignVirtualNum: X2 })).VirtualNum).toBe(X2);
  });
});
