// Sessions over hours and days of skipped time: the TTL and the stubborn unbind, which the real-server
// tests can only reach with second-long settings.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities/index.ts';
import { type SessionInput, sessionStateQuery, sessionWorkflowId } from '../../src/contract/session.ts';
import { maskedCallSession } from '../../src/workflows/maskedCallSession.ts';
import { phone, recorded, startTimeSkippingStack, type TimeSkippingStack } from './environment.ts';

const HOUR_MS = 3_600_000;
let stack: TimeSkippingStack;

// The first run on a machine also builds the test server with Maven (half a minute or more).
beforeAll(async () => {
  stack = await startTimeSkippingStack();
}, 300_000);
afterAll(() => stack?.close());

async function bindings(): Promise<unknown[]> {
  return (await fetch(`${stack.sim.url}/_sim/bindings`)).json() as Promise<unknown[]>;
}

function sessionInput(overrides: Partial<SessionInput> = {}): SessionInput {
  return { sessionKey: `ts-${randomUUID()}`, mode: 'AXB', src: phone(), dst: phone(), ...overrides };
}

describe('maskedCallSession on skipped time', () => {
  it('binds, and with the default TTL ends ttl-expired 24 h later, having unbound once', async () => {
    const activities = createActivities({ client: stack.client });
    const unbind = recorded(activities.delVirtualNum);
    const state = await stack.withWorker({ ...activities, delVirtualNum: unbind.activity }, async (taskQueue) => {
      const input = sessionInput();
      const handle = await stack.env.client.workflow.start(maskedCallSession, {
        args: [input],
        taskQueue,
        workflowId: sessionWorkflowId(input.sessionKey),
      });
      // Time stands still until the result is awaited: the bound session is seen as it is.
      await expect.poll(() => handle.query(sessionStateQuery).then((s) => s.bindId), { timeout: 15_000 }).toBeTruthy();
      const bound = await handle.query(sessionStateQuery);
      expect(bound.status).toBe('open');
      expect(Date.parse(bound.expiresAt ?? '') - Date.parse(bound.boundAt ?? '')).toBe(24 * HOUR_MS);
      expect(await bindings()).toHaveLength(1);
      return handle.result();
    });

    expect(state).toMatchObject({ status: 'closed', closedReason: 'ttl-expired', heldReferences: 0 });
    expect(Date.parse(state.closedAt ?? '') - Date.parse(state.boundAt ?? '')).toBeGreaterThanOrEqual(24 * HOUR_MS);
    expect(unbind.scheduledAtMs).toHaveLength(1);
    expect((unbind.scheduledAtMs[0] as number) - Date.parse(state.boundAt ?? '')).toBeGreaterThanOrEqual(24 * HOUR_MS);
    expect(await bindings()).toEqual([]);
  });

  it('keeps unbinding after failures that no retry policy retries, pausing longer each time, and ends closed', async () => {
    const failures = 4;
    const activities = createActivities({ client: stack.client });
    // A refused credential is final for the activity; only someone fixing it makes the next try pass.
    const unbind = recorded(async (request: Parameters<typeof activities.delVirtualNum>[0]) => {
      if (unbind.scheduledAtMs.length <= failures) {
        throw ApplicationFailure.nonRetryable('the SecretId is not known', 'AuthFailure.SecretIdNotFound');
      }
      return activities.delVirtualNum(request);
    });
    const ttlSeconds = 60;
    const state = await stack.withWorker({ ...activities, delVirtualNum: unbind.activity }, (taskQueue) =>
      stack.env.client.workflow.execute(maskedCallSession, {
        // MaxAssignTime well past the pauses: the platform has not released the binding by itself.
        args: [sessionInput({ ttlSeconds, maxTtlSeconds: 2 * 3600, drainSeconds: 0 })],
        taskQueue,
        workflowId: `ts-unbind-${randomUUID()}`,
      }),
    );

    expect(state).toMatchObject({ status: 'closed', closedReason: 'ttl-expired', heldReferences: 0 });
    expect(unbind.scheduledAtMs).toHaveLength(failures + 1);
    const pauses = unbind.scheduledAtMs.slice(1).map((at, i) => at - (unbind.scheduledAtMs[i] as number));
    // Timers, not immediate retries (those would be milliseconds apart), each longer than the one before.
    expect(pauses[0]).toBeGreaterThan(1_000);
    for (let i = 1; i < pauses.length; i++) expect(pauses[i]).toBeGreaterThan(pauses[i - 1] as number);
    const pausedMs = pauses.reduce((sum, pause) => sum + pause, 0);
    // In the workflow's clock, which the server skipped forward: the TTL, then every pause.
    expect(Date.parse(state.closedAt ?? '') - Date.parse(state.boundAt ?? '')).toBeGreaterThanOrEqual(
      ttlSeconds * 1000 + pausedMs,
    );
    expect(await bindings()).toEqual([]);
  });

  it('stops unbinding at MaxAssignTime and ends released-by-platform when DelVirtualNum never succeeds', async () => {
    const activities = createActivities({ client: stack.client });
    // A code this project does not know: never read as "binding gone", so the session keeps trying.
    const unbind = recorded(async () => {
      throw ApplicationFailure.nonRetryable('DelVirtualNum: 9999: unknown', '9999');
    });
    const state = await stack.withWorker({ ...activities, delVirtualNum: unbind.activity }, (taskQueue) =>
      stack.env.client.workflow.execute(maskedCallSession, {
        args: [sessionInput({ ttlSeconds: 3600, maxTtlSeconds: 6 * 3600, drainSeconds: 0 })],
        taskQueue,
        workflowId: `ts-released-${randomUUID()}`,
      }),
    );

    expect(state).toMatchObject({
      status: 'closed',
      closedReason: 'released-by-platform',
      heldReferences: 0,
      unbindFailure: { code: '9999' },
    });
    // Tried with growing pauses until MaxAssignTime, then no more: the loop ends.
    const last = unbind.scheduledAtMs.at(-1) as number;
    expect(unbind.scheduledAtMs.length).toBeGreaterThan(3);
    expect(last).toBeLessThanOrEqual(Date.parse(state.maxExpiresAt ?? '') + 60_000);
    expect(Date.parse(state.closedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(state.maxExpiresAt ?? ''));
    await fetch(`${stack.sim.url}/_sim/reset`, { method: 'POST' });
  });
});
