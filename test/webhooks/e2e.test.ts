import { Client, Connection } from '@temporalio/client';
import { describe, expect, inject } from 'vitest';
import { type CallRecord, closeSessionUpdate, sessionStateQuery } from '../../src/contract/session.ts';
import type { VirturalNumCdr } from '../../src/npp/models.ts';
import { lowerCamel } from '../../src/simulator/payloads.ts';
import type { Simulator } from '../../src/simulator/server.ts';
import { callBackTest } from '../helpers/fixtures.ts';
import { phone, startSession, waitUntilBound } from '../helpers/session.ts';
import { testDataConverter } from '../helpers/temporal.ts';
import { post, SHARED_TOKEN, sessionUrl, startTestWebhook, type TestWebhook } from './helpers.ts';
import { startTcpProxy, type TcpProxy } from './tcpProxy.ts';

// The whole path: simulator → HTTP callback → webhook → signal → maskedCallSession → state query.
// The webhook's Temporal client goes through a proxy that can cut it off; the worker does not.

const test = callBackTest.extend(
  'webhook',
  { scope: 'file' },
  async ({ webhookOptions }, { onCleanup }): Promise<TestWebhook & { proxy: TcpProxy }> => {
    const proxy = await startTcpProxy(inject('temporalAddress'));
    // Lazy: after a cut, the next call reconnects instead of failing on a dead channel forever.
    const client = new Client({
      connection: Connection.lazy({ address: proxy.address }),
      namespace: inject('temporalNamespace'),
      dataConverter: testDataConverter(),
    });
    const webhook = await startTestWebhook(client, webhookOptions);
    onCleanup(async () => {
      await webhook.close();
      await client.connection.close();
      await proxy.close();
    });
    return { ...webhook, proxy };
  },
);
test.override('webhookOptions', { temporalTimeoutMs: 1000, retryAfterSeconds: 1 });
test.override('simulatorOptions', { delivery: { baseDelayMs: 250, maxAttempts: 12, timeoutMs: 5000 } });
// The tests end by terminating their sessions, which leaves their bindings behind.
test.override('leakCheck', false);

interface SimCall {
  CallId: string;
}

async function simulateCall(sim: Simulator, virtualNum: string, caller: string, wait: boolean): Promise<SimCall> {
  const response = await fetch(`${sim.url}/_sim/calls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ virtualNum, caller, durationSeconds: 42, wait }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as SimCall;
}

async function deliveries(sim: Simulator, callId: string): Promise<{ kind: string; status: number | string }[]> {
  const log = (await (await fetch(`${sim.url}/_sim/deliveries`)).json()) as {
    kind: string;
    callId: string;
    status: number | string;
  }[];
  return log.filter((entry) => entry.callId === callId);
}

/** The session CDR of `callId` as the platform pushes it (lowerCamel). */
async function sessionCdr(sim: Simulator, callId: string): Promise<Record<string, string>> {
  const cdrs = (await (await fetch(`${sim.url}/_sim/cdrs`)).json()) as { session: VirturalNumCdr[] };
  const cdr = cdrs.session.find((record) => record.CallId === callId);
  expect(cdr).toBeDefined();
  return lowerCamel(cdr as VirturalNumCdr);
}

async function setDelivery(sim: Simulator, options: { duplicate?: boolean; reorder?: boolean; drop?: boolean }) {
  await fetch(`${sim.url}/_sim/delivery`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(options),
  });
}

type Handle = Awaited<ReturnType<typeof startSession>>;

/** A bound AXB session that records; answers its handle and the virtual number. */
async function boundSession(client: Client, taskQueue: string, caller: string) {
  const handle = await startSession(client, taskQueue, { mode: 'AXB', src: caller, dst: phone(), record: true });
  const { virtualNum } = await waitUntilBound(handle);
  return { handle, virtualNum };
}

/** The session's record of `callId` once its hangup and recording arrived. */
async function finishedCall(handle: Handle, callId: string, timeout = 15_000): Promise<CallRecord> {
  const find = async () => (await handle.query(sessionStateQuery)).calls.find((call) => call.callId === callId);
  await expect
    .poll(async () => (await find())?.recordUrl !== undefined && (await find())?.state === 'ended', {
      timeout,
      interval: 200,
    })
    .toBe(true);
  return (await find()) as CallRecord;
}

/** What must not depend on how the events were delivered (ids and clock readings aside). */
function shape(call: CallRecord) {
  const at = (time: number | undefined) => (time === undefined ? undefined : time - (call.startedAt ?? 0));
  return {
    state: call.state,
    statusBits: call.statusBits,
    answeredAfter: at(call.answeredAt),
    endedAfter: at(call.endedAt),
    endStatus: call.endStatus,
    endStatusText: call.endStatusText,
    srcDuration: call.srcDuration,
    dstDuration: call.dstDuration,
    recorded: call.recordUrl?.endsWith(`${call.callId}.wav`),
    keys: call.keys,
  };
}

describe('end to end: simulator → webhook → session', () => {
  test("a call's status, hangup and recording reach the session state", async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const caller = phone();
    const { handle, virtualNum } = await boundSession(client, taskQueue, caller);
    const call = await simulateCall(npp.sim, virtualNum, caller, true);
    const record = await finishedCall(handle, call.CallId);
    expect(record).toMatchObject({
      state: 'ended',
      // 1 + 256 + 512 + 1024 + 16 + 4096 = 5905: call start, callee rang, answered, both hung up.
      statusBits: 5905,
      endStatus: 1,
      dstDuration: 42,
      caller: `${caller.slice(0, 7)}****${caller.slice(-4)}`,
    });
    expect((await deliveries(npp.sim, call.CallId)).every((entry) => entry.status === 200)).toBe(true);
    await handle.terminate('test done');
  });

  test('XB: once the session that bound a shared number closed, its calls reach the session still sharing it', async ({
    npp,
    webhook,
    worker: { client, taskQueue },
  }) => {
    const dst = phone();
    const first = await startSession(client, taskQueue, { mode: 'XB', dst, record: true });
    await waitUntilBound(first);
    // Same callee: the platform hands the second session the same binding (RefNum 2), and keeps
    // pushing its events to the URLs the first session gave.
    const second = await startSession(client, taskQueue, { mode: 'XB', dst, record: true });
    await expect.poll(() => second.query(sessionStateQuery).then((s) => s.platformRefNum), { timeout: 15_000 }).toBe(2);
    const { bindId, virtualNum } = await second.query(sessionStateQuery);
    expect(bindId).toBe((await first.query(sessionStateQuery)).bindId);

    // A call while the first session is open: its start reaches the first session, its hangup and
    // recording are pushed only after that session has closed.
    await setDelivery(npp.sim, { drop: true });
    const early = await simulateCall(npp.sim, virtualNum as string, phone(), true);
    await setDelivery(npp.sim, { drop: false });
    const cdr = await sessionCdr(npp.sim, early.CallId);
    const started = {
      callId: cdr.callId,
      bindId: cdr.bindId,
      src: cdr.src,
      dst: cdr.dst,
      virtualNum: cdr.dstVirtualNum,
      callStatus: '1',
      timestamp: cdr.callCenterAcceptTime,
    };
    expect(await post(sessionUrl(webhook, 'status', first.workflowId), started)).toMatchObject({ status: 200 });
    await expect.poll(async () => (await first.query(sessionStateQuery)).calls.length).toBe(1);
    await first.executeUpdate(closeSessionUpdate);
    await first.result();
    const sharing = `NppBindId = '${bindId}' AND ExecutionStatus = 'Running'`;
    await expect.poll(async () => (await client.workflow.count(sharing)).count, { timeout: 10_000 }).toBe(1);

    const late = [
      await post(sessionUrl(webhook, 'hangup', first.workflowId), cdr),
      await post(sessionUrl(webhook, 'record', first.workflowId), {
        callId: cdr.callId,
        bindId: cdr.bindId,
        recordUrl: cdr.recordUrl,
      }),
      // Console-default URLs route by ids: the call is still the closed session's.
      await post(`${webhook.base}/npp/callbacks/hangup?token=${SHARED_TOKEN}`, cdr),
    ];
    for (const answer of late) {
      expect(answer).toMatchObject({ status: 200, body: { status: 'ignored', reason: 'call of a closed workflow' } });
    }

    const caller = phone();
    const call = await simulateCall(npp.sim, virtualNum as string, caller, true);
    const record = await finishedCall(second, call.CallId);
    expect(record).toMatchObject({ state: 'ended', endStatus: 1, dstDuration: 42, virtualNum });
    expect(record?.calleeCalledAt).toBeGreaterThan(0);
    expect(record?.calleeRingingAt).toBeGreaterThanOrEqual(record?.calleeCalledAt ?? 0);
    // The late events were answered before this call was made: the second session never got them.
    expect((await second.query(sessionStateQuery)).calls.map((c) => c.callId)).toEqual([call.CallId]);
    // The first session found the call's lost CDR itself (Get400Cdr) before unbinding.
    expect((await first.query(sessionStateQuery)).calls.map((c) => [c.callId, c.state, c.endStatus])).toEqual([
      [early.CallId, 'ended', 1],
    ]);
    expect(webhook.logs()).toContain(`"closedWorkflowId":"${first.workflowId}"`);
    expect((await deliveries(npp.sim, call.CallId)).every((entry) => entry.status === 200)).toBe(true);
    await second.terminate('test done');
  }, 60_000);

  test('answers 503 while Temporal is unreachable; the redelivery lands once it is back', async ({
    npp,
    webhook,
    worker: { client, taskQueue },
  }) => {
    const caller = phone();
    const { handle, virtualNum } = await boundSession(client, taskQueue, caller);
    webhook.proxy.cut();
    try {
      const call = await simulateCall(npp.sim, virtualNum, caller, false);
      await expect
        .poll(async () => (await deliveries(npp.sim, call.CallId)).some((entry) => entry.status === 503), {
          timeout: 15_000,
        })
        .toBe(true);
      expect((await fetch(`${webhook.base}/readyz`)).status).toBe(503);
      webhook.proxy.restore();
      const record = await finishedCall(handle, call.CallId, 60_000);
      expect(record).toMatchObject({ state: 'ended', statusBits: 5905, endStatus: 1, dstDuration: 42 });
      expect((await handle.query(sessionStateQuery)).calls.filter((c) => c.callId === call.CallId)).toHaveLength(1);
      expect((await fetch(`${webhook.base}/readyz`)).status).toBe(200);
    } finally {
      webhook.proxy.restore();
    }
    await handle.terminate('test done');
  }, 120_000);

  test('duplicated and reordered deliveries leave the same state as a clean delivery', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const caller = phone();
    const clean = await boundSession(client, taskQueue, caller);
    const cleanCall = await simulateCall(npp.sim, clean.virtualNum, caller, true);
    const expected = shape(await finishedCall(clean.handle, cleanCall.CallId));

    const messyCaller = phone();
    const messy = await boundSession(client, taskQueue, messyCaller);
    await setDelivery(npp.sim, { duplicate: true, reorder: true });
    try {
      const messyCall = await simulateCall(npp.sim, messy.virtualNum, messyCaller, true);
      const record = await finishedCall(messy.handle, messyCall.CallId);
      expect(shape(record)).toEqual(expected);
      expect((await messy.handle.query(sessionStateQuery)).calls).toHaveLength(1);
      // Every event really went out twice, and all were accepted.
      const sent = await deliveries(npp.sim, messyCall.CallId);
      expect(sent.length).toBe(2 * (await deliveries(npp.sim, cleanCall.CallId)).length);
      expect(sent.every((entry) => entry.status === 200)).toBe(true);
    } finally {
      await setDelivery(npp.sim, { duplicate: false, reorder: false });
    }
    await Promise.all([clean.handle.terminate('test done'), messy.handle.terminate('test done')]);
  }, 120_000);
});
