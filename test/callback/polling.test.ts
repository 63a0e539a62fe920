import { Worker } from '@temporalio/worker';
import { describe, expect, inject, onTestFinished } from 'vitest';
import { callBackStateQuery } from '../../src/contract/callBack.ts';
import { NppCallId, NppSessionStatus } from '../../src/contract/searchAttributes.ts';
import { StatusFlagBits as Bit } from '../../src/npp/models.ts';
import type { Simulator } from '../../src/simulator/server.ts';
import { callIdOf, progress, setDelivery, startCallBack } from '../helpers/callback.ts';
import { callBackTest as test } from '../helpers/fixtures.ts';
import { phone } from '../helpers/session.ts';
import { captureRuntimeLogs, testDataConverter } from '../helpers/temporal.ts';

// Polling the platform after the webhook stayed silent: failed polls back off instead of failing the
// run, polling stops at its limit with a stated reason, and a long poll continues-as-new.

const replayOptions = () => ({
  workflowBundle: { codePath: inject('workflowBundlePath') },
  dataConverter: testDataConverter(),
});

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
  test('outlives polls failing past their retries and ends on the polled CDR once the platform answers', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const src = phone();
    const logs = captureRuntimeLogs();
    onTestFinished(logs.stop);
    // Two polls of two attempts each fail: longer than any one poll's retries.
    await statusPollsFail(npp.sim, 4);
    await setDelivery(npp.sim, { drop: true });
    const handle = await startCallBack(client, taskQueue, {
      src,
      hangupTimeoutSeconds: 1,
      pollIntervalSeconds: 1,
      pollAttempts: 2,
    });
    const callId = await callIdOf(handle);
    await progress(npp.sim, callId, { until: 'ended', durationSeconds: 9 });
    await expect
      .poll(() => handle.query(callBackStateQuery).then((s) => s.failedPolls), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(1);
    expect((await handle.query(callBackStateQuery)).status).not.toBe('failed');
    const result = await handle.result();
    expect(result).toMatchObject({
      callId,
      status: 'ended',
      cdr: { source: 'poll', endStatus: 1, duration: 9 },
      failedPolls: 2,
      lastPollFailure: { code: 'HTTP_503' },
    });
    expect(result.cdrMissing).toBeUndefined();
    expect(await faultsLeft(npp.sim)).toEqual([]);
    const warnings = logs.entries.filter((entry) => entry.message.includes('polling the platform failed'));
    expect(warnings.map((entry) => entry.meta?.failedInARow)).toEqual([1, 2]);
    expect(warnings.map((entry) => entry.meta?.pauseSeconds)).toEqual([2, 4]);
    const logged = JSON.stringify(logs.entries, (_, value) => (typeof value === 'bigint' ? String(value) : value));
    expect(logged).not.toContain(src);
  }, 60_000);

  test('stops polling a call the platform never ends, after the limit, continuing-as-new meanwhile', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    await setDelivery(npp.sim, { drop: false });
    const handle = await startCallBack(client, taskQueue, {
      hangupTimeoutSeconds: 1,
      pollIntervalSeconds: 1,
      pollingLimitSeconds: 15,
      continueAsNewAfterEvents: 100,
    });
    const firstRunId = (await handle.describe()).runId;
    const callId = await callIdOf(handle);
    // The conversation starts and the platform never reports its end.
    await progress(npp.sim, callId, { until: 'callee-answered' });
    const result = await handle.result();
    const firstRun = await client.workflow.getHandle(handle.workflowId, firstRunId).fetchHistory();
    // Both the run that continued-as-new and the last one (started from the carried state) replay.
    const lastRun = await client.workflow.getHandle(handle.workflowId).fetchHistory();
    for (const history of [firstRun, lastRun]) await Worker.runReplayHistory(replayOptions(), history);
    const firstRunEnd = firstRun.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes;
    const description = await client.workflow.getHandle(handle.workflowId).describe();
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

  test('ends as platform-unreachable when every poll fails until the limit', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    await statusPollsFail(npp.sim);
    const handle = await startCallBack(client, taskQueue, {
      hangupTimeoutSeconds: 1,
      pollIntervalSeconds: 1,
      pollAttempts: 1,
      pollingLimitSeconds: 5,
    });
    await callIdOf(handle);
    const result = await handle.result();
    expect(result).toMatchObject({
      status: 'ended',
      cdrMissing: true,
      cdrMissingReason: 'platform-unreachable',
      lastPollFailure: { code: 'HTTP_503' },
    });
    expect(result.failedPolls).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
