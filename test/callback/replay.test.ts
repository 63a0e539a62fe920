import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject } from 'vitest';
import { callBackStateQuery, cancelCallBackUpdate } from '../../src/contract/callBack.ts';
import { callIdOf, progress, setDelivery, startCallBack } from '../helpers/callback.ts';
import { callBackTest as test } from '../helpers/fixtures.ts';
import { recordedHistories, recordHistoryIfAsked } from '../helpers/histories.ts';
import { addFault } from '../helpers/session.ts';
import { testDataConverter } from '../helpers/temporal.ts';

// The guard against non-determinism for callBackCall: recorded histories must replay on the current
// code. `NPP_RECORD_HISTORY=1` adds the fresh runs below as new fixtures.

const replayOptions = () => ({
  workflowBundle: { codePath: inject('workflowBundlePath') },
  dataConverter: testDataConverter(),
});

async function replayAndMaybeRecord(history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>, name: string) {
  await Worker.runReplayHistory(replayOptions(), history);
  recordHistoryIfAsked(name.replace(/\.json$/, ''), history);
}

describe('callBackCall replay', () => {
  test('replays every recorded callBackCall history', async () => {
    const recorded = recordedHistories('callBackCall-');
    expect(recorded.length).toBeGreaterThanOrEqual(2);
    for (const { file, history } of recorded) await Worker.runReplayHistory(replayOptions(), history, file);
  });

  test('replays a fresh history: display list, IVR keys, a refused cancel, recording, webhook CDR', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const handle = await startCallBack(client, taskQueue, {
      callKey: `replay-ivr-${Date.now()}`,
      record: true,
      chooseDisplayNumbers: true,
      preCallerHandle: {
        readPrompt: 'hello',
        interruptPrompt: 'press 1',
        keyList: [{ key: '1', operate: 1 }],
      },
    });
    const callId = await callIdOf(handle);
    await progress(npp.sim, callId, { until: 'caller-answered' });
    const refused = await handle.executeUpdate(cancelCallBackUpdate, { args: [{ cancelFlag: 1 }] });
    expect(refused.tornDown).toBe(false);
    await progress(npp.sim, callId, { key: '1', until: 'ended' });
    expect((await handle.result()).cdr?.source).toBe('webhook');
    const history = await handle.fetchHistory();
    await replayAndMaybeRecord(history, 'callBackCall-ivr.json');
  });

  test('replays a fresh history: callbacks dropped, cancel tears down, CDR found by polling', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    await setDelivery(npp.sim, { drop: true });
    const handle = await startCallBack(client, taskQueue, {
      callKey: `replay-polled-${Date.now()}`,
      hangupTimeoutSeconds: 1,
      pollIntervalSeconds: 1,
    });
    const callId = await callIdOf(handle);
    await setDelivery(npp.sim, { drop: false });
    await progress(npp.sim, callId, { until: 'callee-answered' });
    const cancelled = await handle.executeUpdate(cancelCallBackUpdate, { args: [{ cancelFlag: 0 }] });
    expect(cancelled.tornDown).toBe(true);
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'cancelled', cdr: { source: 'poll', endStatus: 1 } });
    expect((await handle.query(callBackStateQuery)).status).toBe('cancelled');
    const history = await handle.fetchHistory();
    await replayAndMaybeRecord(history, 'callBackCall-polled.json');
  });

  test('replays a fresh history: callbacks dropped, polls failing past their retries, CDR polled after', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    await setDelivery(npp.sim, { drop: true });
    await addFault(npp.sim, { action: 'DescribeCallBackStatus', kind: 'drop-connection', count: 2 });
    const handle = await startCallBack(client, taskQueue, {
      callKey: `replay-outage-${Date.now()}`,
      hangupTimeoutSeconds: 1,
      pollIntervalSeconds: 1,
      pollAttempts: 1,
    });
    const callId = await callIdOf(handle);
    await setDelivery(npp.sim, { drop: false });
    await progress(npp.sim, callId, { until: 'ended' });
    expect(await handle.result()).toMatchObject({ status: 'ended', cdr: { source: 'poll' }, failedPolls: 2 });
    const history = await handle.fetchHistory();
    await replayAndMaybeRecord(history, 'callBackCall-outage.json');
  });
});
