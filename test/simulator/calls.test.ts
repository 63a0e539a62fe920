import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryLogEntry } from '../../src/simulator/delivery.ts';
import type { Simulator } from '../../src/simulator/server.ts';
import { admin, closeStarted, ok, startReceiver, startSim, until } from './helpers.ts';

const A = '008613900000001';
const B = '008613800000001';
const STRANGER = '008613700000009';

let sim: Simulator | undefined;
let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
afterEach(closeStarted);

const urls = (base: string) => ({
  StatusUrl: `${base}/status`,
  HangupUrl: `${base}/hangup`,
  RecordUrl: `${base}/record`,
});

describe('simulated calls on a bound number', () => {
  it('delivers status, hangup and record callbacks; the recording downloads as WAV', async () => {
    sim = await startSim();
    receiver = await startReceiver();
    const bound = await ok(sim, 'GetVirtualNum', {
      Src: A,
      Dst: B,
      Record: '1',
      StatusFlag: '16191',
      ...urls(receiver.url),
    });
    const call = await admin(sim, 'POST', '/_sim/calls', {
      virtualNum: bound.VirtualNum,
      caller: B,
      outcome: 'answered',
      durationSeconds: 42,
      wait: true,
    });
    expect(call.body).toMatchObject({ BindId: bound.BindId, Src: B, Dst: A, Forwarded: true, CallEndStatus: '1' });
    const callId = call.body.CallId;

    const statuses = receiver.at('/status');
    expect(statuses.map((s) => s.callStatus)).toEqual(['1', '256', '512', '1024', '16', '4096']);
    expect(statuses[0]).toMatchObject({ callId, bindId: bound.BindId, src: B, dst: A, virtualNum: bound.VirtualNum });
    expect(statuses[0]?.timestamp).toMatch(/^\d{10}$/);

    const [hangup] = receiver.at('/hangup');
    expect(hangup).toMatchObject({
      callId,
      bindId: bound.BindId,
      src: B,
      dst: A,
      dstVirtualNum: bound.VirtualNum,
      callEndStatus: '1',
      dstDuration: '42',
    });
    expect(Number(hangup?.endCallTime) - Number(hangup?.dstAcceptTime)).toBe(42);
    const [record] = receiver.at('/record');
    expect(record).toEqual({ callId, bindId: bound.BindId, recordUrl: `${sim.url}/_sim/recordings/${callId}.wav` });
    expect(hangup?.recordUrl).toBe(record?.recordUrl);

    const wav = await request(record?.recordUrl as string);
    expect(wav.statusCode).toBe(200);
    expect(wav.headers['content-type']).toBe('audio/wav');
    const bytes = Buffer.from(await wav.body.arrayBuffer());
    expect(bytes.subarray(0, 4).toString('ascii')).toBe('RIFF');
    expect(bytes.subarray(8, 12).toString('ascii')).toBe('WAVE');
    expect(bytes.length).toBe(44 + 16000);
    expect((await request(`${sim.url}/_sim/recordings/unknown.wav`)).statusCode).toBe(404);

    const cdr = await ok(sim, 'Get400Cdr', { CallId: callId });
    expect(cdr.Cdr).toMatchObject([{ CallId: callId, CallEndStatus: '1', RecordUrl: record?.recordUrl }]);
  });

  it('honours StatusFlag bits', async () => {
    sim = await startSim();
    receiver = await startReceiver();
    const bound = await ok(sim, 'GetVirtualNum', { Dst: B, StatusFlag: String(1024 + 4096), ...urls(receiver.url) });
    await admin(sim, 'POST', '/_sim/calls', {
      virtualNum: bound.VirtualNum,
      caller: A,
      outcome: 'answered',
      wait: true,
    });
    expect(receiver.at('/status').map((s) => s.callStatus)).toEqual(['1024', '4096']);

    await admin(sim, 'POST', '/_sim/calls', { virtualNum: bound.VirtualNum, caller: A, outcome: 'busy', wait: true });
    expect(receiver.at('/status')).toHaveLength(2);
    expect(receiver.at('/hangup').map((h) => h.callEndStatus)).toEqual(['1', '8']);
    expect(receiver.at('/record')).toEqual([]); // Record not asked for
  });

  it('rejects a caller not on the AccreditList and forwards an accredited one', async () => {
    sim = await startSim();
    receiver = await startReceiver();
    const bound = await ok(sim, 'GetVirtualNum', {
      Dst: B,
      AccreditList: [A],
      StatusFlag: '16191',
      ...urls(receiver.url),
    });
    const rejected = await admin(sim, 'POST', '/_sim/calls', {
      virtualNum: bound.VirtualNum,
      caller: STRANGER,
      wait: true,
    });
    expect(rejected.body).toMatchObject({ Forwarded: false, CallEndStatus: '2', Dst: '' });
    expect(receiver.at('/status').map((s) => s.callStatus)).toEqual(['1', '32']);
    expect(receiver.at('/hangup')).toMatchObject([
      { callId: rejected.body.CallId, callEndStatus: '2', dstAcceptTime: '0' },
    ]);

    const accepted = await admin(sim, 'POST', '/_sim/calls', { virtualNum: bound.VirtualNum, caller: A, wait: true });
    expect(accepted.body).toMatchObject({ Forwarded: true, Dst: B, CallEndStatus: '1' });
    expect((await admin(sim, 'POST', '/_sim/calls', { virtualNum: '008617099999999', caller: A })).status).toBe(404);
  });

  it('retries a failing webhook with backoff until it answers 2xx', async () => {
    sim = await startSim({ delivery: { baseDelayMs: 20 } });
    receiver = await startReceiver((_req, i) => (i < 2 ? 500 : 200));
    const bound = await ok(sim, 'GetVirtualNum', { Src: A, Dst: B, HangupUrl: `${receiver.url}/hangup` });
    const call = await admin(sim, 'POST', '/_sim/calls', { virtualNum: bound.VirtualNum, caller: A });
    await until(() => receiver?.at('/hangup').length === 1);
    await sim.idle();
    const log = (await admin<DeliveryLogEntry[]>(sim, 'GET', '/_sim/deliveries')).body;
    expect(log.map((e) => [e.attempt, e.status])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
    expect((log[2]?.at ?? 0) - (log[1]?.at ?? 0)).toBeGreaterThanOrEqual(35); // second wait is 2 × base
    expect(log.every((e) => e.callId === call.body.CallId && e.kind === 'hangup')).toBe(true);
  });

  it('gives up after maxAttempts and logs connection failures', async () => {
    sim = await startSim({ delivery: { baseDelayMs: 1, maxAttempts: 3 } });
    const bound = await ok(sim, 'GetVirtualNum', { Src: A, Dst: B, HangupUrl: 'http://127.0.0.1:1/hangup' });
    await admin(sim, 'POST', '/_sim/calls', { virtualNum: bound.VirtualNum, caller: A, wait: true });
    const log = (await admin<DeliveryLogEntry[]>(sim, 'GET', '/_sim/deliveries')).body;
    expect(log.map((e) => [e.attempt, e.status])).toEqual([
      [1, 'error'],
      [2, 'error'],
      [3, 'error'],
    ]);
  });

  it('duplicate, reorder and drop options', async () => {
    sim = await startSim();
    receiver = await startReceiver();
    const bound = await ok(sim, 'GetVirtualNum', { Src: A, Dst: B, StatusFlag: String(1 + 16), ...urls(receiver.url) });
    const place = () =>
      admin(sim as Simulator, 'POST', '/_sim/calls', { virtualNum: bound.VirtualNum, caller: A, wait: true });

    await admin(sim, 'POST', '/_sim/delivery', { duplicate: true });
    const dup = (await place()).body.CallId;
    expect(receiver.received.filter((r) => r.body.callId === dup).map((r) => r.path)).toEqual([
      '/status',
      '/status',
      '/status',
      '/status',
      '/hangup',
      '/hangup',
    ]);

    await admin(sim, 'POST', '/_sim/delivery', { duplicate: false, reorder: true });
    const rev = (await place()).body.CallId;
    expect(receiver.received.filter((r) => r.body.callId === rev).map((r) => r.body.callStatus ?? 'hangup')).toEqual([
      'hangup',
      '16',
      '1',
    ]);

    await admin(sim, 'POST', '/_sim/delivery', { reorder: false, drop: true });
    const dropped = (await place()).body.CallId;
    expect(receiver.received.filter((r) => r.body.callId === dropped)).toEqual([]);
    const log = (await admin<DeliveryLogEntry[]>(sim, 'GET', '/_sim/deliveries')).body.filter(
      (e) => e.callId === dropped,
    );
    expect(log.map((e) => e.status)).toEqual(['dropped', 'dropped', 'dropped']);
  });

  it('at random: every event 1–3 times, batches shuffled, events dropped; totals count each outcome', async () => {
    sim = await startSim();
    receiver = await startReceiver();
    const bound = await ok(sim, 'GetVirtualNum', { Src: A, Dst: B, StatusFlag: String(1 + 16), ...urls(receiver.url) });
    const place = async () =>
      (await admin(sim as Simulator, 'POST', '/_sim/calls', { virtualNum: bound.VirtualNum, caller: A, wait: true }))
        .body.CallId as string;
    const sent = (callId: string) => receiver?.received.filter((r) => r.body.callId === callId) ?? [];

    await admin(sim, 'POST', '/_sim/delivery', { duplicateRate: 1 });
    expect(sent(await place())).toHaveLength(9);
    await admin(sim, 'POST', '/_sim/delivery', { duplicateRate: 0, dropRate: 1 });
    expect(sent(await place())).toEqual([]);
    await admin(sim, 'POST', '/_sim/delivery', { dropRate: 0, reorderRate: 1 });
    const orders = new Set<string>();
    for (let i = 0; i < 12; i++)
      orders.add(
        sent(await place())
          .map((r) => r.body.callStatus ?? 'hangup')
          .join(),
      );
    expect(orders.size).toBeGreaterThan(1);
    expect([...orders].every((order) => order.split(',').sort().join() === '1,16,hangup')).toBe(true);

    const stats = await admin<{ deliveries: Record<string, number> }>(sim, 'GET', '/_sim/stats');
    expect(stats.body.deliveries).toEqual({ '200': 9 + 12 * 3, dropped: 3 });
    expect((await admin(sim, 'POST', '/_sim/delivery', { dropRate: 2 })).status).toBe(400);
  });

  it('uses the configured default URLs when the binding names none', async () => {
    receiver = await startReceiver();
    sim = await startSim({ callbackUrls: { hangup: `${receiver.url}/default-hangup` } });
    const bound = await ok(sim, 'GetVirtualNum', { Src: A, Dst: B });
    await admin(sim, 'POST', '/_sim/calls', {
      virtualNum: bound.VirtualNum,
      caller: A,
      outcome: 'no-answer',
      wait: true,
    });
    expect(receiver.at('/default-hangup')).toMatchObject([{ callEndStatus: '4', dstDuration: '0' }]);
  });
});
