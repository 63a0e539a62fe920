// The app's client starts sessions as a human sees them in Temporal UI (masked) and idempotently.
import { randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
import { SessionClient } from '../../src/client/sessions.ts';
import { closeSessionUpdate } from '../../src/contract/session.ts';
import { test } from '../helpers/fixtures.ts';
import { phone, simBindings, waitUntilBound } from '../helpers/session.ts';

describe('SessionClient.startSession', () => {
  test('shows a masked summary and returns the same run for the same key, running or finished', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const sessions = new SessionClient({ client, taskQueue });
    const [src, dst] = [phone(), phone()];
    const input = { sessionKey: `app-${randomUUID()}`, mode: 'AXB' as const, src, dst, drainSeconds: 0 };
    const started = await sessions.startSession(input);
    const handle = client.workflow.getHandle(started.workflowId);
    await waitUntilBound(handle);

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
