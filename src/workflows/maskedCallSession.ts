import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  setHandler,
} from '@temporalio/workflow';
import {
  addReferenceUpdate,
  type CallRecord,
  callHangupSignal,
  callRecordingSignal,
  callStatusSignal,
  closeSessionUpdate,
  extendTtlUpdate,
  keyPressSignal,
  releaseReferenceUpdate,
  type SessionClosedReason,
  type SessionInput,
  type SessionState,
  sessionStateQuery,
} from '../contract/session.ts';
import { CallLog } from './callLog.ts';
import { applyHangup, applyKeyPress, applyRecording, applyStatus } from './calls.ts';
import { continueAsNewDue, SESSION_RUN_EVENTS } from './continueAsNew.ts';
import { bindFailed, failureOf } from './failures.ts';
import { NOTIFY_FINAL_WAIT_MS } from './notificationQueue.ts';
import { isPatched } from './patches.ts';
import { RecordingArchiver } from './recordingArchiver.ts';
import { SessionReferences } from './references.ts';
import { handOver, newSession } from './sessionCarryOver.ts';
import { CdrBackfill, collectAfterUnbinding, collectBeforeUnbinding } from './sessionClosing.ts';
import { SessionDisplay } from './sessionDisplay.ts';
import { resolveSessionInput } from './sessionInput.ts';
import { SessionNotifier } from './sessionNotifier.ts';
import { expiryAtBind, extendedExpiry, msUntilExpiry, slidExpiry } from './ttl.ts';

/**
 * A masked-call session: binds a virtual number, follows its calls through signals, and closes when
 * it holds no reference (`refnum-zero`), the binding is gone, the TTL passes, the app closes it or it
 * is cancelled. Handlers and one main loop; the rules live in small modules (references, ttl,
 * callLog, recordingArchiver, sessionClosing). docs/sessions.md explains references and long sessions.
 */
export async function maskedCallSession(rawInput: SessionInput): Promise<SessionState> {
  const input = resolveSessionInput(rawInput);
  const runEvents =
    input.continueAsNewAfterEvents ?? (isPatched('boundedSessionRuns') ? SESSION_RUN_EVENTS : undefined);
  const { state, seenEventIds, bizIdsIssued, archivesHandedOver } = input.carried ?? newSession(input);
  const notifier = new SessionNotifier(input.notifyUrl, state, input.carried?.notifications);
  const display = new SessionDisplay(state, input, () => notifier.notice());
  const callLog = new CallLog(state, seenEventIds);
  const references = new SessionReferences(state, input, bizIdsIssued, (note) => display.show(note));
  const archiver = new RecordingArchiver((callId, outcome) => {
    callLog.update(callId, outcome);
    notifier.notice();
  });
  const backfill = new CdrBackfill(state, input.bizAppId, (hangup) =>
    onCallEvent(hangup, applyHangup, hangup.endCallTime),
  );
  let endReason: SessionClosedReason | undefined;

  function onCallEvent<E extends { eventId: string; callId: string }>(
    event: E,
    fold: (call: CallRecord, event: E) => CallRecord,
    at: number | undefined,
  ): void {
    const change = callLog.apply(event, fold, at);
    if (!change) return;
    if (input.ttlMode === 'sliding') slideExpiry();
    display.callChanged(change.isNew);
    archiveOnceKnown(change.call);
  }

  /** Sliding TTL: the expiry follows the last interaction (its event time, never later than now). */
  function slideExpiry(): void {
    const { expiresAt, maxExpiresAt, lastInteractionAt } = state;
    if (!expiresAt || !maxExpiresAt || !lastInteractionAt || endReason !== undefined) return;
    const interactionMs = Math.min(Date.parse(lastInteractionAt), Date.now());
    state.expiresAt = slidExpiry({ expiresAt, maxExpiresAt }, interactionMs, input.ttlSeconds);
  }

  /** The recording URL comes with the recording event or the hangup CDR, whichever is first. */
  function archiveOnceKnown(call: CallRecord): void {
    if (call.recordUrl && !call.archive && !call.archiveFailure) archiver.archive(call.callId, call.recordUrl);
  }

  setHandler(callStatusSignal, (event) => onCallEvent(event, applyStatus, event.timestamp));
  setHandler(callHangupSignal, (event) => onCallEvent(event, applyHangup, event.endCallTime));
  setHandler(callRecordingSignal, (event) => onCallEvent(event, applyRecording, undefined));
  setHandler(keyPressSignal, (event) => onCallEvent(event, applyKeyPress, event.timestamp));
  setHandler(sessionStateQuery, () => state);

  const refuseUnlessOpen = () => {
    if (endReason !== undefined || state.bindId === undefined) throw new Error('the session is not open');
  };

  setHandler(
    closeSessionUpdate,
    async () => {
      endReason ??= 'closed-by-app';
      // Unbinding follows the closing wait; a caller that only needs the session ended waits for
      // the update's acceptance instead (SessionClient.closeSession without `wait`).
      await condition(() => state.status === 'closed');
      return state;
    },
    { description: 'End the session: answers its state once unbound, after its calls and recordings are in.' },
  );

  setHandler(
    extendTtlUpdate,
    ({ additionalSeconds }) => {
      state.expiresAt = extendedExpiry(state, additionalSeconds);
      display.show();
      return { expiresAt: state.expiresAt };
    },
    {
      validator: ({ additionalSeconds }) => {
        refuseUnlessOpen();
        extendedExpiry(state, additionalSeconds);
      },
    },
  );

  setHandler(addReferenceUpdate, () => references.add(`add reference ${display.parties}`), {
    validator: () => {
      refuseUnlessOpen();
      if (input.mode !== 'XB') throw new Error('only an XB session can take further references on its number');
    },
  });

  setHandler(
    releaseReferenceUpdate,
    async () => {
      const { result, ending } = await references.release();
      if (ending) endReason ??= ending;
      return result;
    },
    {
      validator: () => {
        refuseUnlessOpen();
        if (state.heldReferences === 0) throw new Error('the session holds no reference');
      },
    },
  );

  async function bind(): Promise<void> {
    const requestedAt = Date.now();
    try {
      await references.bind(`bind ${display.parties}`);
    } catch (error) {
      const failure = failureOf(error);
      display.failed('bind-failed', failure);
      await notifier.flush(NOTIFY_FINAL_WAIT_MS);
      throw bindFailed(failure, state);
    }
    const boundAt = Date.now();
    state.boundAt = new Date(boundAt).toISOString();
    Object.assign(state, expiryAtBind(requestedAt, boundAt, input.ttlSeconds, input.maxTtlSeconds));
    display.bound();
  }

  /** Follows the session until it ends, continuing as new when the history grows large. */
  async function runUntilEnd(): Promise<void> {
    while (endReason === undefined) {
      const remaining = msUntilExpiry(state.expiresAt, Date.now());
      if (remaining <= 0) {
        endReason = 'ttl-expired';
        return;
      }
      if (continueAsNewDue(runEvents)) {
        // An update cannot move to the next run: let those in flight finish first. Archiving can take
        // hours, so it is handed over instead. The session may end meanwhile (close, TTL): then it ends.
        await condition(() => endReason !== undefined || allHandlersFinished(), remaining);
        const expired = msUntilExpiry(state.expiresAt, Date.now()) <= 0;
        if (endReason === undefined && !expired && allHandlersFinished()) {
          await continueAsNew<typeof maskedCallSession>({
            ...rawInput,
            carried: handOver({
              state,
              seenEventIds: callLog.seen,
              bizIdsIssued: references.bizIdsIssued,
              archiving: archiver.inProgress(),
              notifications: notifier.carry(),
            }),
          });
        }
        continue;
      }
      await condition(() => endReason !== undefined || continueAsNewDue(runEvents), remaining);
    }
  }

  /**
   * Closing: collects the calls, recordings and lost CDRs (bounded waits, none for a cancelled
   * session), then gives back every reference and any binding the calls revealed that is not its own.
   */
  async function close(): Promise<void> {
    state.closingAt = new Date().toISOString();
    display.setStatus('closing');
    const waitMs = endReason === 'cancelled' ? 0 : input.recordingWaitSeconds * 1000;
    await collectBeforeUnbinding(state, waitMs, backfill, archiver);
    const releasedByPlatform = await references.releaseAll();
    state.closedReason = releasedByPlatform ? 'released-by-platform' : endReason;
    state.closedAt = new Date().toISOString();
    display.closed();
  }

  for (const callId of archivesHandedOver ?? []) {
    const call = state.calls.find((candidate) => candidate.callId === callId);
    if (call) archiveOnceKnown(call);
  }

  // Beside the session for its whole run: a slow receiver never holds the session up.
  void notifier.deliverInOrder();
  let cancellation: unknown;
  try {
    if (!input.carried) {
      display.opened();
      // Not cancellable: a bind the platform performed must be known, to be undone.
      await CancellationScope.nonCancellable(bind);
    }
    await runUntilEnd();
  } catch (error) {
    if (!isCancellation(error)) throw error;
    endReason = 'cancelled';
    cancellation = error;
  }
  // Unbinding runs to the end whatever happens to the run meanwhile.
  await CancellationScope.nonCancellable(close);
  if (cancellation) {
    await CancellationScope.nonCancellable(async () => {
      await archiver.allSettled();
      await notifier.flush(NOTIFY_FINAL_WAIT_MS);
    });
    throw cancellation;
  }
  await collectAfterUnbinding(state, input.drainSeconds, backfill, archiver);
  await notifier.flush(NOTIFY_FINAL_WAIT_MS);
  return state;
}
