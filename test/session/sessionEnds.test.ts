// How a session ends beyond the happy path: the drain window after unbinding, a binding the platform
// dropped on its own, and an unbind that keeps failing for a while.
import { afterEach, describe, expect } from 'vitest';
import { NPP_ACTIVITY_OPTIONS } from '../../src/activities/options.ts';
import {
  callHangupSignal,
  callRecordingSignal,
  callStatusSignal,
  closeSessionUpdate,
  releaseReferenceUpdate,
} from '../../src/contract/session.ts';
import { BUSINESS_ERROR_CODES } from '../../src/npp/errors.ts';
import { test } from '../helpers/fixtures.ts';
import {
  addFault,
  answeredCallEvents,
  expectNoBindings,
  phone,
  simBindings,
  startSession,
  waitUntilBound,
} from '../helpers/session.ts';

/** How far the simulator's clock runs ahead of the real one. */
let clockAhead = 0;
test.override('simulatorOptions', { now: () => Date.now() + clockAhead });
// Back to the real clock before the leak check (a fixture, so after this hook): a binding left
// behind must not pass for one the platform expired.
afterEach(() => {
  clockAhead = 0;
});

type Handle = Awaited<ReturnType<typeof startSession>>;
type HistoryEvent = NonNullable<Awaited<ReturnType<Handle['fetchHistory']>>['events']>[number];

const isUnbindScheduled = (event: HistoryEvent) =>
  event.activityTaskScheduledEventAttributes?.activityType?.name === 'delVirtualNum';

describe('maskedCallSession drain window', () => {
  test('collects the hangup and recording that arrive after unbinding, then completes', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const [a, b] = [phone(), phone()];
    const handle = await startSession(client, taskQueue, { mode: 'AXB', src: a, dst: b, drainSeconds: 3 });
    const { bindId } = await waitUntilBound(handle);
    const events = answeredCallEvents({
      callId: 'late-call',
      bindId: bindId as string,
      caller: a,
      callee: b,
      start: 1_800_000_000,
      talkSeconds: 12,
      recordUrl: 'http://127.0.0.1:1/rec/late.wav',
    });
    // The call is under way when the app closes the session...
    for (const status of events.statuses.slice(0, 4)) await handle.signal(callStatusSignal, status);
    const closed = await handle.executeUpdate(closeSessionUpdate);
    expect(closed).toMatchObject({ status: 'closed', closedReason: 'closed-by-app', heldReferences: 0 });
    expect(closed.calls).toMatchObject([{ callId: 'late-call', state: 'answered' }]);
    await expectNoBindings(npp.sim);

    // ...and its hangup CDR and recording reach the workflow only after the number was given back.
    await handle.signal(callHangupSignal, events.hangup);
    await handle.signal(callRecordingSignal, events.recording as NonNullable<typeof events.recording>);
    const summary = await handle.result();
    expect(summary.calls).toMatchObject([
      {
        callId: 'late-call',
        state: 'ended',
        endStatusText: 'normal',
        dstDuration: 12,
        recordUrl: 'http://127.0.0.1:1/rec/late.wav',
      },
    ]);
    expect(summary).toMatchObject({ status: 'closed', closedReason: 'closed-by-app', closedAt: closed.closedAt });
    const { closeTime } = await handle.describe();
    expect((closeTime as Date).getTime() - Date.parse(closed.closedAt as string)).toBeGreaterThanOrEqual(3000);
  });
});

describe('maskedCallSession when the platform dropped the binding', () => {
  test('releaseReference on a binding past its MaxAssignTime ends the session as binding-gone', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const handle = await startSession(client, taskQueue, {
      mode: 'XB',
      dst: phone(),
      ttlSeconds: 100,
      maxTtlSeconds: 100,
    });
    await waitUntilBound(handle);
    expect(await simBindings(npp.sim)).toHaveLength(1);
    // The platform's clock passes MaxAssignTime (still within the 5 min signature window): it unbinds.
    clockAhead = 120_000;
    await expectNoBindings(npp.sim);

    expect(await handle.executeUpdate(releaseReferenceUpdate)).toEqual({ heldReferences: 0, platformRefNum: 0 });
    const summary = await handle.result();
    expect(summary).toMatchObject({
      status: 'closed',
      closedReason: 'binding-gone',
      heldReferences: 0,
      platformRefNum: 0,
    });
    // One DelVirtualNum, answered BindingNotFound; nothing retried, nothing else released.
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter(isUnbindScheduled)).toHaveLength(1);
    const failed = events.find((e) => e.activityTaskFailedEventAttributes);
    expect(failed?.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type).toBe(
      BUSINESS_ERROR_CODES.BindingNotFound.code,
    );
  });

  test('close on a binding the platform already dropped completes without retrying the unbind', async ({
    worker: { client, taskQueue },
  }) => {
    const handle = await startSession(client, taskQueue, {
      mode: 'AXB',
      src: phone(),
      ttlSeconds: 100,
      maxTtlSeconds: 100,
    });
    await waitUntilBound(handle);
    clockAhead = 120_000;
    const closed = await handle.executeUpdate(closeSessionUpdate);
    // The app's close is why the session ended; the platform's BindingNotFound only confirms the unbind.
    expect(closed).toMatchObject({
      status: 'closed',
      closedReason: 'closed-by-app',
      heldReferences: 0,
      platformRefNum: 0,
    });
    await handle.result();
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter(isUnbindScheduled)).toHaveLength(1);
  });
});

describe('maskedCallSession unbinding', () => {
  test('has no attempt limit on DelVirtualNum', () => {
    expect(NPP_ACTIVITY_OPTIONS.DelVirtualNum.retry).not.toHaveProperty('maximumAttempts');
  });

  test('keeps retrying an unbind through consecutive 5xx answers until the platform confirms', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const handle = await startSession(client, taskQueue, { mode: 'AXB', src: phone() });
    await waitUntilBound(handle);
    await addFault(npp.sim, { action: 'DelVirtualNum', kind: '5xx', count: 3 });
    const closed = await handle.executeUpdate(closeSessionUpdate);
    expect(closed).toMatchObject({ status: 'closed', closedReason: 'closed-by-app', heldReferences: 0 });
    await expectNoBindings(npp.sim);
    await handle.result();

    // One activity, three failed attempts inside it (retried by Temporal), the fourth succeeded.
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter(isUnbindScheduled)).toHaveLength(1);
    const scheduledAt = events.findIndex(isUnbindScheduled);
    // The server got no attempt limit either (0 = unlimited).
    expect(events[scheduledAt]?.activityTaskScheduledEventAttributes?.retryPolicy?.maximumAttempts ?? 0).toBe(0);
    const started = events.slice(scheduledAt).find((e) => e.activityTaskStartedEventAttributes);
    expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(4);
    expect(started?.activityTaskStartedEventAttributes?.lastFailure?.applicationFailureInfo?.type).toBe('HTTP_503');
  }, 60_000);
});
