import { readdirSync, readFileSync } from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { callBackStateQuery, cancelCallBackUpdate } from '../../src/contract/callBack.ts';
import {
  type CallBackStack,
  callIdOf,
  progress,
  setDelivery,
  startCallBack,
  startCallBackStack,
} from '../helpers/callback.ts';
import { HISTORIES, recordHistoryIfAsked } from '../helpers/histories.ts';
import { addFault } from '../helpers/session.ts';
import { testDataConverter, withWorker } from '../helpers/temporal.ts';

// The guard against non-determinism for callBackCall: recorded histories must replay on the current
// code. `NPP_RECORD_HISTORY=1` adds the fresh runs below as new fixtures.

let stack: CallBackStack;
beforeAll(async () => {
  stack = await startCallBackStack();
});
afterAll(() => stack.close());

const replayOptions = () => ({
  workflowBundle: { codePath: inject('workflowBundlePath') },
  dataConverter: testDataConverter(),
});

async function replayAndMaybeRecord(history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>, name: string) {
  await Worker.runReplayHistory(replayOptions(), history);
  recordHistoryIfAsked(name.replace(/\.json$/, ''), history);
}

describe('callBackCall replay', () => {
  it('replays every recorded callBackCall history', async () => {
    const files = readdirSync(HISTORIES).filter((name) => name.startsWith('callBackCall-') && name.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) {
      const json = JSON.parse(readFileSync(new URL(file, HISTORIES), 'utf8'));
      await Worker.runReplayHistory(replayOptions(), proto.temporal.api.history.v1.History.fromObject(json), file);
    }
  });

  it('replays a fresh history: display list, IVR keys, a refused cancel, recording, webhook CDR', async () => {
    const history = await withWorker({ activities: stack.activities }, async ({ client, taskQueue }) => {
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
      await progress(stack.sim, callId, { until: 'caller-answered' });
      const refused = await handle.executeUpdate(cancelCallBackUpdate, { args: [{ cancelFlag: 1 }] });
      expect(refused.tornDown).toBe(false);
      await progress(stack.sim, callId, { key: '1', until: 'ended' });
      expect((await handle.result()).cdr?.source).toBe('webhook');
      return handle.fetchHistory();
    });
    await replayAndMaybeRecord(history, 'callBackCall-ivr.json');
  });

  it('replays a fresh history: callbacks dropped, cancel tears down, CDR found by polling', async () => {
    await setDelivery(stack.sim, { drop: true });
    const history = await withWorker({ activities: stack.activities }, async ({ client, taskQueue }) => {
      const handle = await startCallBack(client, taskQueue, {
        callKey: `replay-polled-${Date.now()}`,
        hangupTimeoutSeconds: 1,
        pollIntervalSeconds: 1,
      });
      const callId = await callIdOf(handle);
      await setDelivery(stack.sim, { drop: false });
      await progress(stack.sim, callId, { until: 'callee-answered' });
      const cancelled = await handle.executeUpdate(cancelCallBackUpdate, { args: [{ cancelFlag: 0 }] });
      expect(cancelled.tornDown).toBe(true);
      const result = await handle.result();
      expect(result).toMatchObject({ status: 'cancelled', cdr: { source: 'poll', endStatus: 1 } });
      expect((await handle.query(callBackStateQuery)).status).toBe('cancelled');
      return handle.fetchHistory();
    });
    await replayAndMaybeRecord(history, 'callBackCall-polled.json');
  });

  it('replays a fresh history: callbacks dropped, polls failing past their retries, CDR polled after', async () => {
    await setDelivery(stack.sim, { drop: true });
    await addFault(stack.sim, { action: 'DescribeCallBackStatus', kind: 'drop-connection', count: 2 });
    const history = await withWorker({ activities: stack.activities }, async ({ client, taskQueue }) => {
      const handle = await startCallBack(client, taskQueue, {
        callKey: `replay-outage-${Date.now()}`,
        hangupTimeoutSeconds: 1,
        pollIntervalSeconds: 1,
        pollAttempts: 1,
      });
      const callId = await callIdOf(handle);
      await setDelivery(stack.sim, { drop: false });
      await progress(stack.sim, callId, { until: 'ended' });
      expect(await handle.result()).toMatchObject({ status: 'ended', cdr: { source: 'poll' }, failedPolls: 2 });
      return handle.fetchHistory();
    });
    await replayAndMaybeRecord(history, 'callBackCall-outage.json');
  });
});
