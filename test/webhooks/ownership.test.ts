import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { expect, it } from 'vitest';
import { SESSION_WORKFLOW_TYPE } from '../../src/contract/session.ts';
import { type CallIds, findAnyWithIds, findOwner, findOwners, type Owners } from '../../src/temporal/ownership.ts';
import { stopRecorderSignal } from '../fixtures/webhookWorkflows.ts';
import { withWorker } from '../helpers/temporal.ts';
import { startRecorder } from './helpers.ts';

// The one ownership rule, as the webhook (one call) and reconciliation (a batch) look it up, on
// recorder workflows that carry NppBindId / NppCallId the way sessions do.

const unique = (prefix: string) => `${prefix}-${randomUUID()}`;

async function indexed(client: Client, query: string, count: number) {
  await expect.poll(async () => (await client.workflow.count(query)).count, { timeout: 10_000 }).toBe(count);
}

it('ranks holders, then sharers oldest first; gives a closed holder its own call; one answer for one call or a batch', async () => {
  await withWorker({}, async ({ client, taskQueue }) => {
    const bindId = unique('bind');
    const closedCall = unique('closed');
    const sharedCall = unique('shared');
    const heldCall = unique('held');
    const otherCall = unique('other');
    const closed = await startRecorder(client, taskQueue, { bindId, callIds: [closedCall, sharedCall] });
    await closed.signal(stopRecorderSignal);
    await closed.result();
    const oldest = await startRecorder(client, taskQueue, { bindId });
    const holder = await startRecorder(client, taskQueue, { bindId, callIds: [heldCall, sharedCall] });
    const newest = await startRecorder(client, taskQueue, { bindId });
    const other = await startRecorder(client, taskQueue, { callIds: [otherCall] });
    await indexed(client, `NppBindId = '${bindId}' AND ExecutionStatus = 'Running'`, 3);
    await indexed(client, `NppCallId = '${sharedCall}'`, 2);
    await indexed(client, `NppCallId = '${otherCall}'`, 1);

    const running = (hasCall: boolean, ...handles: { workflowId: string }[]) =>
      handles.map(({ workflowId }) => ({ workflowId, hasCall }));
    const cases: { call: CallIds; owners: Owners }[] = [
      // The one that has the call first, then the others sharing the binding, oldest first.
      {
        call: { callId: heldCall, bindId },
        owners: { running: [...running(true, holder), ...running(false, oldest, newest)] },
      },
      { call: { callId: unique('new'), bindId }, owners: { running: running(false, oldest, holder, newest) } },
      // A call the closed workflow lists is its own: no sharer gets it.
      { call: { callId: closedCall, bindId }, owners: { running: [], closedHolder: closed.workflowId } },
      // Unless a running workflow lists it too: that one keeps it.
      {
        call: { callId: sharedCall, bindId },
        owners: { running: running(true, holder), closedHolder: closed.workflowId },
      },
      // Without a bindId (keypress), only by the call.
      { call: { callId: otherCall }, owners: { running: running(true, other) } },
      { call: { callId: unique('unknown') }, owners: { running: [] } },
    ];

    const batch = await findOwners(
      client,
      cases.map(({ call }) => call),
    );
    for (const { call, owners } of cases) {
      expect({ call, owners: await findOwner(client, call) }).toEqual({ call, owners });
      expect({ call, owners: batch.get(call) }).toEqual({ call, owners });
    }
    // Narrowed to sessions, the recorders own nothing.
    const sessionsOnly = await findOwners(client, [cases[0]?.call as CallIds], SESSION_WORKFLOW_TYPE);
    expect([...sessionsOnly.values()]).toEqual([{ running: [] }]);

    // Once every workflow of the binding has closed, the ids are still known.
    await Promise.all([oldest, holder, newest, other].map((handle) => handle.signal(stopRecorderSignal)));
    await indexed(client, `NppBindId = '${bindId}' AND ExecutionStatus = 'Running'`, 0);
    expect(await findOwner(client, { callId: unique('late'), bindId })).toEqual({ running: [] });
    const known = await findAnyWithIds(client, { callId: unique('late'), bindId });
    expect([closed, oldest, holder, newest].map((handle) => handle.workflowId)).toContain(known);
    expect(await findAnyWithIds(client, { callId: unique('late'), bindId: unique('bind') })).toBeUndefined();
  });
});
