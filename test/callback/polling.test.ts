import { Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { callBackStateQuery } from '../../src/contract/callBack.ts';
import { NppCallId, NppSessionStatus } from '../../src/contract/searchAttributes.ts';
import { StatusFlagBits as Bit } from '../../src/npp/models.ts';
import type { Simulator } from '../../src/simulator/server.ts';
import {
  type CallBackStack,
  callIdOf,
  progress,
  setDelivery,
  startCallBack,
  startCallBackStack,
} from '../helpers/callback.ts';
import { phone } from '../helpers/session.ts';
import { captureRuntimeLogs, testDataConverter, withWorker } from '../helpers/temporal.ts';

// Polling the platform after the webhook stayed silent: failed polls back off instead of failing the
// run, polling stops at its limit with a stated reason, and a long poll continues-as-new.

let stack: CallBackStack;
beforeAll(async () => {
  stack = await startCallBackStack();
});
afterEach(async () => {
  await fetch(`${stack.sim.url}/_sim/faults`, { method: 'DELETE' });
  await setDelivery(stack.sim, { drop: false });
});
afterAll(() => stack.close());

const replayOptions = () => ({
  workflowBundle: { codePath: inject('workflowBundlePath') },
  dataConverter: testDataConverter(),
});
const run = <T>(fn: Parameters<typeof withWorker<T>>[1]) => withWorker({ activities: stack.activities }, fn);

/** The platform answers the next `count` DescribeCallBackStatus requests (every one without a count) with HTTP 503. */
async function statusPollsFail(sim: Simulator, count?: number) {
  const response = await fetch(`${sim.url}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'DescribeCallBackStatus', kind: '5xx', ...(count ? { count } : { rate: 1 }) }),
  });
  expect(response.status).toBe(200);
}

async function faultsLeft(sim: Simulator): Promise<unknown[]> {
  return (await (await fetch(`${sim.url}/_sim/faults`)).json()) as unknown[];
}

describe('callBackCall polling', () => {
  it('outlives polls failing past their retries and ends on the polled CDR once the platform answers', async () => {
    const src = phone();
    const logs = captureRuntimeLogs();
    // Two polls of two attempts each fail: longer than any one poll's retries.
    await statusPollsFail(stack.sim, 4);
    await setDelivery(stack.sim, { drop: true });
    const { result, callId } = await run(async ({ client, taskQueue }) => {
      const handle = await startCallBack(client, taskQueue, {
        src,
        hangupTimeoutSeconds: 1,
        pollIntervalSeconds: 1,
        pollAttempts: 2,
      });
      const callId = await callIdOf(handle);
      await progress(stack.sim, callId, { until: 'ended', durationSeconds: 9 });
      await expect
        .poll(() => handle.query(callBackStateQuery).then((s) => s.failedPolls), { timeout: 10_000 })
        .toBeGreaterThanOrEqual(1);
      expect((await handle.query(callBackStateQuery)).status).not.toBe('failed');
      return { result: await handle.result(), callId };
    }).finally(logs.stop);
    expect(result).toMatchObject({
      callId,
      status: 'ended',
      cdr: { source: 'poll', endStatus: 1, duration: 9 },
      failedPolls: 2,
      lastPollFailure: { code: 'HTTP_503' },
    });
    expect(result.cdrMissing).toBeUndefined();
    expect(await faultsLeft(stack.sim)).toEqual([]);
    const warnings = logs.entries.filter((entry) => entry.message.includes('polling the platform failed'));
    expect(warnings.map((entry) => entry.meta?.failedInARow)).toEqual([1, 2]);
    expect(warnings.map((entry) => entry.meta?.pauseSeconds)).toEqual([2, 4]);
    const logged = JSON.stringify(logs.entries, (_, value) => (typeof value === 'bigint' ? String(value) : value));
    expect(logged).not.toContain(src);
  }, 60_000);

  it('stops polling a call the platform never ends, after the limit, continuing-as-new meanwhile', async () => {
    await setDelivery(stack.sim, { drop: false });
    const { result, callId, firstRunId, firstRunEnd, description } = await run(async ({ client, taskQueue }) => {
      const handle = await startCallBack(client, taskQueue, {
        hangupTimeoutSeconds: 1,
        pollIntervalSeconds: 1,
        pollingLimitSeconds: 15,
        continueAsNewAfterEvents: 100,
      });
      const firstRunId = (await handle.describe()).runId;
      const callId = await callIdOf(handle);
      // The conversation starts and the platform never reports its end.
      await progress(stack.sim, callId, { until: 'callee-answered' });
      const result = await handle.result();
      const firstRun = await client.workflow.getHandle(handle.workflowId, firstRunId).fetchHistory();
      // Both the run that continued-as-new and the last one (started from the carried state) replay.
      const lastRun = await client.workflow.getHandle(handle.workflowId).fetchHistory();
      for (const history of [firstRun, lastRun]) await Worker.runReplayHistory(replayOptions(), history);
      return {
        result,
        callId,
        firstRunId,
        firstRunEnd: firstRun.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes,
        description: await client.workflow.getHandle(handle.workflowId).describe(),
      };
    });
    expect(result).toMatchObject({ callId, status: 'ended', cdrMissing: true, cdrMissingReason: 'call-never-ended' });
    expect(result.cdr).toBeUndefined();
    expect(result.failedPolls).toBeUndefined();
    // What the webhook delivered before the continue-as-new was carried over.
    expect(result.statusBits & Bit.CalleeAnswered).toBe(Bit.CalleeAnswered);
    expect(firstRunEnd?.newExecutionRunId).toBeTruthy();
    expect(description.runId).not.toBe(firstRunId);
    expect(description.typedSearchAttributes.get(NppCallId)).toEqual([callId]);
    expect(description.typedSearchAttributes.get(NppSessionStatus)).toBe('ended');
    // Ended once the polling limit had passed since the polling began (1 s after creation).
    const endedAfterMs = Date.parse(result.endedAt as string) - Date.parse(result.createdAt);
    expect(endedAfterMs).toBeGreaterThanOrEqual(16_000);
    expect(endedAfterMs).toBeLessThan(30_000);
  }, 60_000);

  it('ends as platform-unreachable when every poll fails until the limit', async () => {
    await statusPollsFail(stack.sim);
    const result = await run(async ({ client, taskQueue }) => {
      const handle = await startCallBack(client, taskQueue, {
        hangupTimeoutSeconds: 1,
        pollIntervalSeconds: 1,
        pollAttempts: 1,
        pollingLimitSeconds: 5,
      });
      await callIdOf(handle);
      return handle.result();
    });
    expect(result).toMatchObject({
      status: 'ended',
      cdrMissing: true,
      cdrMissingReason: 'platform-unreachable',
      lastPollFailure: { code: 'HTTP_503' },
    });
    expect(result.failedPolls).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
