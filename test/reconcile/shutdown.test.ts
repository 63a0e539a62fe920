// A worker that stops while reconciliation fetches CDRs must hand the activity back for a retry, as
// every NPP activity does, not fail the pass for good on the client's "aborted".
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { describe, expect, onTestFinished } from 'vitest';
import { createActivities } from '../../src/activities/index.ts';
import { reconcileCdrs } from '../../src/workflows/reconcileCdrs.ts';
import { test } from '../helpers/fixtures.ts';
import { addFault } from '../helpers/session.ts';
import { connectClient, startStoppableWorker } from '../helpers/temporal.ts';

const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

describe('worker shutdown during a CDR fetch', () => {
  test('cancels the reconciliation activity as retryable, and the next worker completes the pass', async ({ npp }) => {
    const client = await connectClient();
    onTestFinished(() => client.connection.close());
    const taskQueue = `reconcile-shutdown-${randomUUID()}`;
    // No shutdown grace: the in-flight Get400Cdr is cancelled at once.
    const startWorker = () =>
      startStoppableWorker(taskQueue, createActivities({ client: npp.client, temporal: client }));
    // The platform holds Get400Cdr 3 s before answering: the first worker stops meanwhile.
    await addFault(npp.sim, { action: 'Get400Cdr', kind: 'latency', latencyMs: 3000, count: 1 });
    const first = await startWorker();
    const handle = await client.workflow.start(reconcileCdrs, {
      args: [{ lookbackSeconds: 60 }],
      taskQueue,
      workflowId: `reconcile-${randomUUID()}`,
    });
    const pending = async () =>
      ((await handle.describe()).raw.pendingActivities ?? []).map((activity) => ({
        type: activity.activityType?.name,
        started: activity.state === STARTED,
      }));
    try {
      await expect.poll(pending, { timeout: 10_000 }).toEqual([{ type: 'reconcileSessionCdrs', started: true }]);
    } finally {
      await first.stop();
    }

    const second = await startWorker();
    try {
      const result = await handle.result();
      expect(result.sessions).toEqual({
        cdrs: 0,
        signalled: 0,
        alreadyApplied: 0,
        noOwner: 0,
        maybeDropped: 0,
        unclaimed: 0,
        invalid: 0,
      });
      // The second attempt is the one that answered.
      const history = await handle.fetchHistory();
      const attempts = (history.events ?? []).flatMap((event) =>
        event.activityTaskStartedEventAttributes ? [event.activityTaskStartedEventAttributes.attempt] : [],
      );
      expect(attempts).toContain(2);
    } finally {
      await second.stop();
    }
  });
});
