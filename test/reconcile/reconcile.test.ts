import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities/index.ts';
import { callBackStateQuery } from '../../src/contract/callBack.ts';
import { DEFAULT_LONGEST_CALL_SECONDS, type ReconcileResult } from '../../src/contract/reconcile.ts';
import { closeSessionUpdate, type SessionState, sessionStateQuery } from '../../src/contract/session.ts';
import { parseCallback, signalParsed } from '../../src/npp/callbacks/events.ts';
import { NppClient } from '../../src/npp/client.ts';
import type { CallBackCdr, VirturalNumCdr } from '../../src/npp/models.ts';
import { ensureReconcileSchedule } from '../../src/schedules/reconcileSchedule.ts';
import { lowerCamel } from '../../src/simulator/payloads.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';
import { CALLS_CARRIED } from '../../src/workflows/calls.ts';
import { reconcileCdrs } from '../../src/workflows/reconcileCdrs.ts';
import { callIdOf, deliveries, progress, setDelivery, startCallBack } from '../helpers/callback.ts';
import {
  addFault,
  BIZ_APP_ID,
  phone,
  SECRET_ID,
  SECRET_KEY,
  startSession,
  waitUntilBound,
} from '../helpers/session.ts';
import { connectClient, withWorker } from '../helpers/temporal.ts';
import { SECRET, startTestWebhook, type TestWebhook } from '../webhooks/helpers.ts';

// Reconciliation on the dev server: the simulator drops every callback of one call, the webhook
// delivers the others, and the scheduled pass hands the missing CDR to its workflow exactly once.

let temporal: Client;
let webhook: TestWebhook;
let sim: Simulator;
let npp: NppClient;
let activities: ReturnType<typeof createActivities>;

beforeAll(async () => {
  temporal = await connectClient();
  webhook = await startTestWebhook(temporal);
  sim = await startSimulator({
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    delivery: { baseDelayMs: 50, maxAttempts: 10, recordingDelayMs: 0 },
    // Small pages: a pass reads several, as a busy platform's would.
    cdrPageSize: 2,
  });
  npp = new NppClient({ endpoint: sim.url, secretId: SECRET_ID, secretKey: SECRET_KEY, bizAppId: BIZ_APP_ID });
  activities = createActivities({ client: npp, callbacks: { publicUrl: webhook.base, secret: SECRET }, temporal });
});

afterAll(async () => {
  await npp.close();
  await sim.close();
  await webhook.close();
  await temporal.connection.close();
});

async function simulateCall(virtualNum: string, caller: string): Promise<string> {
  const response = await fetch(`${sim.url}/_sim/calls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ virtualNum, caller, durationSeconds: 20, wait: true }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { CallId: string }).CallId;
}

/** The session CDR of `callId` as the platform pushes it (lowerCamel). */
async function sessionCdr(callId: string): Promise<Record<string, string>> {
  const { session } = (await (await fetch(`${sim.url}/_sim/cdrs`)).json()) as { session: VirturalNumCdr[] };
  const cdr = session.find((record) => record.CallId === callId);
  expect(cdr).toBeDefined();
  return lowerCamel(cdr as VirturalNumCdr);
}

/** The "call start" status callback the platform sends for the call of `cdr`. */
function callStarted(cdr: Record<string, string>) {
  const { callId, bindId, src, dst, dstVirtualNum, callCenterAcceptTime } = cdr;
  const body = {
    callId,
    bindId,
    src,
    dst,
    virtualNum: dstVirtualNum,
    callStatus: '1',
    timestamp: callCenterAcceptTime,
  };
  return parseCallback('status', body);
}

/**
 * A window that starts at this test (the simulator's CDRs of earlier tests stay out), for tests that
 * count what one pass finds: it waits until every earlier call started two seconds ago or more.
 */
async function windowFromNow(): Promise<() => { lookbackSeconds: number; longestCallSeconds: 0 }> {
  await sleep(2100);
  const startedAt = Date.now();
  return () => ({ lookbackSeconds: Math.ceil((Date.now() - startedAt) / 1000) + 1, longestCallSeconds: 0 });
}

/** Runs the schedule's action now and answers that run's result. */
async function triggerRun(client: Client, scheduleId: string): Promise<ReconcileResult> {
  const schedule = client.schedule.getHandle(scheduleId);
  const actionsBefore = (await schedule.describe()).info.recentActions.length;
  await schedule.trigger();
  await expect
    .poll(async () => (await schedule.describe()).info.recentActions.length, { timeout: 10_000 })
    .toBeGreaterThan(actionsBefore);
  const started = (await schedule.describe()).info.recentActions.at(-1)?.action;
  return client.workflow.getHandle(started?.workflow.workflowId as string).result();
}

describe('CDR reconciliation', () => {
  it('the schedule backfills a session CDR whose webhook was dropped; a second pass changes nothing', async () => {
    await withWorker({ activities }, async ({ client, taskQueue }) => {
      const src = phone();
      const handle = await startSession(client, taskQueue, { src });
      const { virtualNum } = await waitUntilBound(handle);
      const ended = (callId: string) =>
        handle.query(sessionStateQuery).then((s) => s.calls.find((call) => call.callId === callId)?.endStatus);

      const delivered = await simulateCall(virtualNum, src);
      await expect.poll(() => ended(delivered), { timeout: 10_000 }).toBe(1);
      await setDelivery(sim, { drop: true });
      const dropped = await simulateCall(virtualNum, src);
      await setDelivery(sim, { drop: false });
      const droppedLog = await deliveries(sim, dropped);
      expect(droppedLog.length).toBeGreaterThan(0);
      expect(droppedLog.every((entry) => entry.status === 'dropped')).toBe(true);
      expect(await ended(dropped)).toBeUndefined();

      const scheduleId = `npp-reconcile-test-${randomUUID()}`;
      const options = { scheduleId, taskQueue, every: '1h', input: { lookbackSeconds: 900 } };
      expect(await ensureReconcileSchedule(client, options)).toBe('created');
      try {
        const first = await triggerRun(client, scheduleId);
        expect(first.sessions).toEqual({
          cdrs: 2,
          signalled: 1,
          alreadyApplied: 1,
          noOwner: 0,
          maybeDropped: 0,
          unclaimed: 0,
          invalid: 0,
        });
        // The window reaches back the look-back plus the longest call: calls are selected by their start.
        expect(first.window.end - first.window.start).toBe(900 + DEFAULT_LONGEST_CALL_SECONDS);
        const backfilled = (await handle.query(sessionStateQuery)).calls.find((call) => call.callId === dropped);
        expect(backfilled).toMatchObject({ state: 'ended', endStatus: 1, endStatusText: 'normal', dstDuration: 20 });

        // Setup is idempotent, and so is a second pass: no signal, no new history event.
        expect(await ensureReconcileSchedule(client, options)).toBe('updated');
        const stateBefore = await handle.query(sessionStateQuery);
        const historyBefore = (await handle.describe()).historyLength;
        const second = await triggerRun(client, scheduleId);
        expect(second.sessions).toEqual({
          cdrs: 2,
          signalled: 0,
          alreadyApplied: 2,
          noOwner: 0,
          maybeDropped: 0,
          unclaimed: 0,
          invalid: 0,
        });
        expect(await handle.query(sessionStateQuery)).toEqual(stateBefore);
        expect((await handle.describe()).historyLength).toBe(historyBefore);
      } finally {
        await client.schedule.getHandle(scheduleId).delete();
      }
      await handle.executeUpdate(closeSessionUpdate);
      const result = await handle.result();
      expect(result.calls.map((call) => [call.callId, call.endStatus]).sort()).toEqual(
        [
          [delivered, 1],
          [dropped, 1],
        ].sort(),
      );
    });
  });

  it('leaves alone the CDR of a call a long session dropped when it continued as new', async () => {
    await withWorker({ activities }, async ({ client, taskQueue }) => {
      const window = await windowFromNow();
      const handle = await startSession(client, taskQueue, { mode: 'XB', dst: phone(), continueAsNewAfterEvents: 100 });
      const { virtualNum } = await waitUntilBound(handle);
      // Events are signalled by hand here, exactly as the webhook would (same parser, same ids).
      await setDelivery(sim, { drop: true });
      try {
        // The oldest call: its start reached the session, its hangup never did.
        const oldest = await simulateCall(virtualNum, phone());
        await signalParsed(handle, callStarted(await sessionCdr(oldest)));
        // Many later calls, until the session has continued as new without the oldest one.
        let total = 0;
        const listsOldest = (state: SessionState) => state.calls.some((call) => call.callId === oldest);
        for (let state = await handle.query(sessionStateQuery); listsOldest(state); ) {
          expect(total).toBeLessThan(CALLS_CARRIED * 4);
          for (let k = 0; k < 10; k++, total++) {
            const cdr = await sessionCdr(await simulateCall(virtualNum, phone()));
            await signalParsed(handle, parseCallback('hangup', cdr));
          }
          state = await handle.query(sessionStateQuery);
        }
        const { earlierCalls } = await handle.query(sessionStateQuery);
        expect(earlierCalls?.count).toBeGreaterThan(0);
        // The session recorded how far the calls it dropped reach: the oldest call is within.
        const oldestStart = Number((await sessionCdr(oldest)).callCenterAcceptTime);
        expect(earlierCalls?.latestStartedAt).toBeGreaterThanOrEqual(oldestStart);
        // A call the session never heard of, later than every call it lists: still backfilled.
        await sleep(1100);
        const missed = await simulateCall(virtualNum, phone());

        const before = await handle.query(sessionStateQuery);
        const result = await client.workflow.execute(reconcileCdrs, {
          args: [window()],
          taskQueue,
          workflowId: `reconcile-${randomUUID()}`,
        });
        expect(result.sessions.signalled).toBe(1);
        expect(result.sessions.maybeDropped).toBeGreaterThanOrEqual(1);
        // Every other CDR of this session was told apart: listed with its CDR, or possibly dropped.
        expect(result.sessions.alreadyApplied + result.sessions.maybeDropped).toBe(total + 1);
        const after = await handle.query(sessionStateQuery);
        expect(listsOldest(after)).toBe(false);
        expect(after.calls.find((call) => call.callId === missed)).toMatchObject({ state: 'ended', endStatus: 1 });
        // Every call counted once: the oldest is not added again beside its count in earlierCalls.
        const counted = (state: SessionState) => state.calls.length + (state.earlierCalls?.count ?? 0);
        expect(counted(before)).toBe(total + 1);
        expect(counted(after)).toBe(total + 2);
      } finally {
        await setDelivery(sim, { drop: false });
      }
      await handle.executeUpdate(closeSessionUpdate);
      await handle.result();
    });
  }, 120_000);

  it("gives a closed XB session's call to no session sharing its binding", async () => {
    await withWorker({ activities }, async ({ client, taskQueue }) => {
      const dst = phone();
      const first = await startSession(client, taskQueue, { mode: 'XB', dst });
      await waitUntilBound(first);
      const second = await startSession(client, taskQueue, { mode: 'XB', dst });
      await expect.poll(() => second.query(sessionStateQuery).then((s) => s.platformRefNum)).toBe(2);
      const { virtualNum } = await waitUntilBound(second);
      await setDelivery(sim, { drop: true });
      try {
        // The first session saw the call start; its hangup was lost, and then the session closed.
        const callId = await simulateCall(virtualNum, phone());
        await signalParsed(first, callStarted(await sessionCdr(callId)));
        await expect.poll(async () => (await first.query(sessionStateQuery)).calls.length).toBe(1);
        await first.executeUpdate(closeSessionUpdate);
        await first.result();
        await expect
          .poll(
            async () =>
              (await client.workflow.count(`NppCallId = '${callId}' AND ExecutionStatus = 'Completed'`)).count,
          )
          .toBe(1);

        const before = (await second.describe()).historyLength;
        const result = await client.workflow.execute(reconcileCdrs, {
          args: [{ lookbackSeconds: 900 }],
          taskQueue,
          workflowId: `reconcile-${randomUUID()}`,
        });
        expect(result.sessions.signalled).toBe(0);
        expect((await second.query(sessionStateQuery)).calls).toEqual([]);
        expect((await second.describe()).historyLength).toBe(before);
      } finally {
        await setDelivery(sim, { drop: false });
      }
      await second.executeUpdate(closeSessionUpdate);
      await second.result();
    });
  });

  it('ends a callback call whose every callback was dropped, and skips it once closed', async () => {
    await withWorker({ activities }, async ({ client, taskQueue }) => {
      await setDelivery(sim, { drop: true });
      // No polling fallback within the test: only reconciliation can end this call.
      const handle = await startCallBack(client, taskQueue, { hangupTimeoutSeconds: 3600 });
      const callId = await callIdOf(handle);
      await setDelivery(sim, { drop: false });
      await progress(sim, callId, { until: 'ended', durationSeconds: 9 });
      expect((await handle.query(callBackStateQuery)).cdr).toBeUndefined();

      const run = () =>
        client.workflow.execute(reconcileCdrs, {
          args: [{ lookbackSeconds: 900 }],
          taskQueue,
          workflowId: `reconcile-${randomUUID()}`,
        });
      const first = await run();
      expect(first.callBacks).toMatchObject({ signalled: 1, alreadyApplied: 0, invalid: 0 });
      const result = await handle.result();
      expect(result).toMatchObject({ status: 'ended', callId, cdr: { endStatus: 1, duration: 9 } });

      // Closed now, the call is its own: its result has the CDR.
      const second = await run();
      expect(second.callBacks).toMatchObject({
        signalled: 0,
        alreadyApplied: first.callBacks.alreadyApplied + 1,
        noOwner: first.callBacks.noOwner,
        unclaimed: 0,
      });
    });
  });

  it('derives from a listed CDR the event id the webhook derives from its callback', async () => {
    // Both tests above left CDRs of both kinds in the simulator.
    const cdrs = (await (await fetch(`${sim.url}/_sim/cdrs`)).json()) as {
      session: VirturalNumCdr[];
      callback: CallBackCdr[];
    };
    const records = [...cdrs.session, ...cdrs.callback];
    expect(cdrs.session.length).toBeGreaterThan(0);
    expect(cdrs.callback.length).toBeGreaterThan(0);
    for (const record of records) {
      const listed = parseCallback('hangup', record);
      const pushed = parseCallback('hangup', lowerCamel(record));
      expect(listed.signal.name).toBe(pushed.signal.name);
      expect(listed.event).toEqual(pushed.event);
    }
  });

  it('refuses a look-back that is not a positive whole number', async () => {
    await withWorker({ activities }, async ({ client, taskQueue }) => {
      const failed = client.workflow.execute(reconcileCdrs, {
        args: [{ lookbackSeconds: -5 }],
        taskQueue,
        workflowId: `reconcile-${randomUUID()}`,
      });
      await expect(failed).rejects.toMatchObject({ cause: { type: 'InvalidReconcileInput' } });
    });
  });

  it('pages through every CDR of the window (page size 2, five lost calls: three pages at least)', async () => {
    await withWorker({ activities }, async ({ client, taskQueue }) => {
      const src = phone();
      const handle = await startSession(client, taskQueue, { src });
      const { virtualNum } = await waitUntilBound(handle);
      await setDelivery(sim, { drop: true });
      const lost: string[] = [];
      for (let i = 0; i < 5; i++) lost.push(await simulateCall(virtualNum, src));
      await setDelivery(sim, { drop: false });
      const since = Date.now();

      const result = await client.workflow.execute(reconcileCdrs, {
        args: [{ lookbackSeconds: 900 }],
        taskQueue,
        workflowId: `reconcile-pages-${randomUUID()}`,
      });
      expect(result.sessions.cdrs).toBeGreaterThanOrEqual(5);
      const requests = (await (await fetch(`${sim.url}/_sim/requests`)).json()) as { at: number; action: string }[];
      const pages = requests.filter((request) => request.action === 'Get400Cdr' && request.at >= since);
      expect(pages.length).toBeGreaterThanOrEqual(3);
      const calls = (await handle.query(sessionStateQuery)).calls;
      for (const callId of lost) expect(calls.find((call) => call.callId === callId)?.endStatus).toBe(1);
      await handle.executeUpdate(closeSessionUpdate);
    });
  });

  it('asks the platform for every configured BizAppId, and counts a missing CDR of a closed session as unclaimed', async () => {
    await withWorker({ activities }, async ({ client, taskQueue }) => {
      const window = await windowFromNow();
      const src = phone();
      const handle = await startSession(client, taskQueue, { src });
      const { virtualNum } = await waitUntilBound(handle);
      // Only the call's start reaches the session; its own Get400Cdr at close fails for good.
      await setDelivery(sim, { drop: true });
      const callId = await simulateCall(virtualNum, src);
      await setDelivery(sim, { drop: false });
      await signalParsed(handle, callStarted(await sessionCdr(callId)));
      await addFault(sim, { action: 'Get400Cdr', kind: 'business', errorCode: '9999', count: 1 });
      const closed = await handle.executeUpdate(closeSessionUpdate);
      expect(closed.calls.find((call) => call.callId === callId)?.endStatus).toBeUndefined();
      await handle.result();
      await expect
        .poll(
          async () =>
            (
              await client.workflow.count(
                `WorkflowId = '${handle.workflowId}' AND ExecutionStatus = 'Completed' AND NppCallId = '${callId}'`,
              )
            ).count,
          { timeout: 10_000 },
        )
        .toBe(1);

      const since = Date.now();
      const result = await client.workflow.execute(reconcileCdrs, {
        args: [{ ...window(), bizAppIds: [BIZ_APP_ID, 'otherapp'] }],
        taskQueue,
        workflowId: `reconcile-apps-${randomUUID()}`,
      });
      // The simulator keeps one CDR list for all applications: each BizAppId's pass sees the call.
      expect(result.sessions.unclaimed).toBe(2);
      const requests = (await (await fetch(`${sim.url}/_sim/requests`)).json()) as {
        at: number;
        action: string;
        BizAppId?: string;
      }[];
      const asked = new Set(requests.filter((r) => r.at >= since).map((r) => `${r.action} ${r.BizAppId}`));
      for (const app of [BIZ_APP_ID, 'otherapp']) {
        expect(asked).toContain(`Get400Cdr ${app}`);
        expect(asked).toContain(`DescribeCallBackCdr ${app}`);
      }
    });
  });
});
