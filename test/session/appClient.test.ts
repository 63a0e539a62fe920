// The app's client starts sessions as a human sees them in Temporal UI (masked) and idempotently.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionClient } from '../../src/client/sessions.ts';
import { closeSessionUpdate, sessionStateQuery } from '../../src/contract/session.ts';
import { expectNoBindingsAfterEach, type NppStack, phone, simBindings, startNppStack } from '../helpers/session.ts';
import { withWorker } from '../helpers/temporal.ts';

let npp: NppStack;
beforeAll(async () => {
  npp = await startNppStack();
});
afterAll(() => npp.close());
expectNoBindingsAfterEach(() => npp);

describe('SessionClient.startSession', () => {
  it('shows a masked summary and returns the same run for the same key, running or finished', async () => {
    await withWorker({ activities: npp.activities }, async ({ client, taskQueue }) => {
      const sessions = new SessionClient({ client, taskQueue });
      const [src, dst] = [phone(), phone()];
      const input = { sessionKey: `app-${randomUUID()}`, mode: 'AXB' as const, src, dst, drainSeconds: 0 };
      const started = await sessions.startSession(input);
      const handle = client.workflow.getHandle(started.workflowId);
      await expect.poll(() => handle.query(sessionStateQuery).then((s) => s.bindId)).toBeTruthy();

      const summary = await (await handle.describe()).staticSummary();
      expect(summary).toBe(`AXB session to ${dst.slice(0, 7)}****${dst.slice(-4)}`);
      expect(summary).toMatch(/ 0086\d{3}\*{4}\d{4}$/);
      for (const number of [src, dst]) expect(summary).not.toContain(number);

      // A retried start while the session runs: the same run, and no second binding.
      expect(await sessions.startSession(input)).toEqual(started);
      expect(await simBindings(npp.sim)).toHaveLength(1);

      await handle.executeUpdate(closeSessionUpdate);
      await handle.result();
      // After it completed, the key still names that run: nothing starts, nothing binds.
      expect(await sessions.startSession(input)).toEqual(started);
      expect((await handle.describe()).runId).toBe(started.runId);
    });
  });
});
