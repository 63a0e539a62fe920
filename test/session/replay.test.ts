import { Worker } from '@temporalio/worker';
import { describe, expect, inject } from 'vitest';
import {
  addReferenceUpdate,
  closeSessionUpdate,
  extendTtlUpdate,
  keyPressSignal,
  releaseReferenceUpdate,
} from '../../src/contract/session.ts';
import { test } from '../helpers/fixtures.ts';
import { recordedHistories, recordHistoryIfAsked } from '../helpers/histories.ts';
import { answeredCallEvents, deliver, phone, startSession, waitUntilBound } from '../helpers/session.ts';
import { testDataConverter } from '../helpers/temporal.ts';

// The guard against non-determinism: histories recorded from earlier versions of the workflow must
// replay on the current code. A change that breaks one needs a registered patch (src/workflows/patches.ts)
// or a new Worker Deployment Version: docs/workflow-changes.md.

const replayOptions = () => ({
  workflowBundle: { codePath: inject('workflowBundlePath') },
  dataConverter: testDataConverter(),
});

describe('maskedCallSession replay', () => {
  test('replays every recorded maskedCallSession history in test/fixtures/histories', async () => {
    const recorded = recordedHistories('maskedCallSession-');
    expect(recorded.length).toBeGreaterThan(0);
    for (const { file, history } of recorded) await Worker.runReplayHistory(replayOptions(), history, file);
  });

  test('replays a fresh history that exercises signals, updates and unbinding', async ({
    worker: { client, taskQueue },
  }) => {
    const dst = phone();
    const handle = await startSession(client, taskQueue, {
      sessionKey: `replay-${Date.now()}`,
      mode: 'XB',
      dst,
      record: true,
    });
    const { bindId } = await waitUntilBound(handle);
    await handle.executeUpdate(addReferenceUpdate);
    await handle.executeUpdate(extendTtlUpdate, { args: [{ additionalSeconds: 60 }] });
    const events = answeredCallEvents({
      callId: 'replay-call',
      bindId,
      caller: phone(),
      callee: dst,
      start: 1_800_000_000,
      talkSeconds: 12,
      recordUrl: 'http://127.0.0.1:1/r.wav',
    });
    await deliver(handle, events, 'reversed');
    await handle.signal(keyPressSignal, { eventId: 'k1', callId: 'replay-call', key: '5', timestamp: 1_800_000_003 });
    await handle.executeUpdate(releaseReferenceUpdate);
    await handle.executeUpdate(closeSessionUpdate);
    await handle.result();
    const history = await handle.fetchHistory();
    await Worker.runReplayHistory(replayOptions(), history);
    // `NPP_RECORD_HISTORY=1 npm test -- test/session/replay.test.ts` adds it as a new fixture.
    recordHistoryIfAsked('maskedCallSession-xb', history);
  });
});
