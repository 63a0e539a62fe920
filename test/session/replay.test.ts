import { readdirSync, readFileSync } from 'node:fs';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  addReferenceUpdate,
  closeSessionUpdate,
  extendTtlUpdate,
  keyPressSignal,
  releaseReferenceUpdate,
  sessionStateQuery,
} from '../../src/contract/session.ts';
import { HISTORIES, recordHistoryIfAsked } from '../helpers/histories.ts';
import { answeredCallEvents, deliver, type NppStack, phone, startNppStack, startSession } from '../helpers/session.ts';
import { testDataConverter, withWorker } from '../helpers/temporal.ts';

// The guard against non-determinism: histories recorded from earlier versions of the workflow must
// replay on the current code. A change that breaks one needs `patched()` or a new workflow type.

let npp: NppStack;
beforeAll(async () => {
  npp = await startNppStack();
});
afterAll(() => npp.close());

const replayOptions = () => ({
  workflowBundle: { codePath: inject('workflowBundlePath') },
  dataConverter: testDataConverter(),
});

describe('maskedCallSession replay', () => {
  it('replays every recorded history in test/fixtures/histories', async () => {
    const files = readdirSync(HISTORIES).filter((name) => name.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const json = JSON.parse(readFileSync(new URL(file, HISTORIES), 'utf8'));
      const history = proto.temporal.api.history.v1.History.fromObject(json);
      await Worker.runReplayHistory(replayOptions(), history, file);
    }
  });

  it('replays a fresh history that exercises signals, updates and unbinding', async () => {
    const history = await withWorker({ activities: npp.activities }, async ({ client, taskQueue }) => {
      const dst = phone();
      const handle = await startSession(client, taskQueue, {
        sessionKey: `replay-${Date.now()}`,
        mode: 'XB',
        dst,
        record: true,
      });
      await expect.poll(() => handle.query(sessionStateQuery).then((s) => s.bindId)).toBeTruthy();
      const { bindId } = await handle.query(sessionStateQuery);
      await handle.executeUpdate(addReferenceUpdate);
      await handle.executeUpdate(extendTtlUpdate, { args: [{ additionalSeconds: 60 }] });
      const events = answeredCallEvents({
        callId: 'replay-call',
        bindId: bindId as string,
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
      return handle.fetchHistory();
    });
    await Worker.runReplayHistory(replayOptions(), history);
    // `NPP_RECORD_HISTORY=1 npm test -- test/session/replay.test.ts` adds it as a new fixture.
    recordHistoryIfAsked('maskedCallSession-xb', history);
  });
});
