import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { addReferenceUpdate, closeSessionUpdate, sessionStateQuery } from '../../src/workflows/definitions.ts';
import { recordHistoryIfAsked } from '../helpers/histories.ts';
import {
  expectNoBindings,
  type NppStack,
  phone,
  simBindings,
  startNppStack,
  startSession,
} from '../helpers/session.ts';
import { testDataConverter, withWorker } from '../helpers/temporal.ts';

// GetVirtualNum is not idempotent and its answer can be lost after the platform bound. Whatever
// the platform took for a session must be given back when it closes: nothing stays bound.

let npp: NppStack;
beforeAll(async () => {
  npp = await startNppStack();
});
afterAll(() => npp.close());
afterEach(async () => {
  try {
    await expectNoBindings(npp.sim);
  } finally {
    npp.sim.reset();
  }
});

const run = <T>(fn: Parameters<typeof withWorker<T>>[1]) => withWorker({ activities: npp.activities }, fn);

async function addFault(rule: object): Promise<void> {
  const response = await fetch(`${npp.sim.url}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rule),
  });
  expect(response.status).toBe(200);
}

/** The next `count` GetVirtualNum requests are processed, then answered after the activity's 10 s timeout. */
const answerLate = (count: number) =>
  addFault({ action: 'GetVirtualNum', kind: 'late-answer', latencyMs: 11_000, count });

/** The closed session's history replays on the current code; NPP_RECORD_HISTORY=1 keeps it as a fixture. */
async function expectReplays(handle: WorkflowHandle, fixture: string): Promise<void> {
  const history = await handle.fetchHistory();
  const options = { workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: testDataConverter() };
  await Worker.runReplayHistory(options, history, handle.workflowId);
  recordHistoryIfAsked(fixture, history);
}

describe('maskedCallSession when GetVirtualNum answers are lost', () => {
  it('XB addReference: the reference taken unseen is counted and given back at close', async () => {
    await run(async ({ client, taskQueue }) => {
      const handle = await startSession(client, taskQueue, { mode: 'XB', dst: phone() });
      await expect.poll(() => handle.query(sessionStateQuery).then((s) => s.bindId)).toBeTruthy();
      await answerLate(1);
      expect(await handle.executeUpdate(addReferenceUpdate)).toEqual({ heldReferences: 3, platformRefNum: 3 });
      expect(await simBindings(npp.sim)).toMatchObject([{ RefNum: 3 }]);
      expect(await handle.executeUpdate(closeSessionUpdate)).toMatchObject({ heldReferences: 0, platformRefNum: 0 });
      await handle.result();
      await expectReplays(handle, 'maskedCallSession-add-reference-lost-answer');
    });
  });
});
