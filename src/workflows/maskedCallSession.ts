import {
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import { WORKFLOW_FAILURES } from '../contract/failures.ts';
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
import { continueAsNewDue } from './continueAsNew.ts';
import { failureOf } from './failures.ts';
import { RecordingArchiver } from './recordingArchiver.ts';
import { SessionReferences } from './references.ts';
import { handOver, newSession } from './sessionCarryOver.ts';
import { awaitedCalls, CdrBackfill } from './sessionClosing.ts';
import { SessionDisplay } from './sessionDisplay.ts';
import { resolveSessionInput } from './sessionInput.ts';
import { expiryAtBind, extendedExpiry, msUntilExpiry } from './ttl.ts';

/** Longest wait, once the recordings are in, for their archiving to finish before unbinding. */
const ARCHIVE_WAIT_MS = 120_000;

/**
 * A masked-call session: binds a virtual number, follows its calls through signals, and unbinds when
 * the session holds no reference any more (`refnum-zero`), the platform no longer knows the binding
 * (`binding-gone`), the TTL passes, the app closes it or it is cancelled. Its references are kept by
 * SessionReferences (./references.ts), its lifetime rule by ./ttl.ts, its recordings by
 * RecordingArchiver; docs/sessions.md explains references, double binds and long sessions.
 *
 * The workflow function is its message handlers and one main loop. Call events (signals) are folded
 * into the call records in any order, once each. A long session continues as new when Temporal
 * suggests it, carrying its most recent calls and handing over the recordings still being archived.
 */
export async function maskedCallSession(rawInput: SessionInput): Promise<SessionState> {
  const input = resolveSessionInput(rawInput);
  const { state, seenEventIds, bizIdsIssued, archivesHandedOver } = input.carried ?? newSession(input);
  const display = new SessionDisplay(state, input);
  const callLog = new CallLog(state, seenEventIds);
  const references = new SessionReferences(state, input, bizIdsIssued, (note) => display.show(note));
  const archiver = new RecordingArchiver((callId, outcome) => callLog.update(callId, outcome));
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
    display.callChanged(change.isNew);
    archiveOnceKnown(change.call);
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
      throw ApplicationFailure.create({
        type: WORKFLOW_FAILURES.bindFailed,
        message: `bind-failed: ${failure.code}: ${failure.message}`,
        nonRetryable: true,
        details: [state],
      });
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
      if (continueAsNewDue(input.continueAsNewAfterEvents)) {
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
            }),
          });
        }
        continue;
      }
      await condition(() => endReason !== undefined || continueAsNewDue(input.continueAsNewAfterEvents), remaining);
    }
  }

  /**
   * Closing: waits (bounded) for the calls to end and their recordings to arrive and be archived,
   * backfills what the webhook lost, then gives back every reference and any binding the session's
   * calls revealed that is not its own. A cancelled session does not wait, but still backfills.
   */
  async function close(): Promise<void> {
    state.closingAt = new Date().toISOString();
    display.setStatus('closing');
    const maxExpiresAt = Date.parse(state.maxExpiresAt ?? '') || 0;
    const waitFor = async (done: () => boolean, forMs: number) => {
      const left = Math.min(Date.now() + forMs, maxExpiresAt) - Date.now();
      if (!done() && left > 0) await condition(done, left);
    };
    const waitMs = endReason === 'cancelled' ? 0 : input.recordingWaitSeconds * 1000;
    await waitFor(() => Object.values(awaitedCalls(state)).every((ids) => ids.length === 0), waitMs);
    await backfill.lookUp();
    // Recordings found by now are stored before the binding goes; a stalled download is not waited for long.
    await waitFor(() => archiver.idle, ARCHIVE_WAIT_MS);
    noteMissingRecordings();
    const releasedByPlatform = await references.releaseAll();
    state.closedReason = releasedByPlatform ? 'released-by-platform' : endReason;
    state.closedAt = new Date().toISOString();
    display.closed();
  }

  function noteMissingRecordings(): void {
    const { unrecorded } = awaitedCalls(state);
    if (unrecorded.length > 0) state.missingRecordings = unrecorded;
    else delete state.missingRecordings;
  }

  for (const callId of archivesHandedOver ?? []) {
    const call = state.calls.find((candidate) => candidate.callId === callId);
    if (call) archiveOnceKnown(call);
  }

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
    await CancellationScope.nonCancellable(() => archiver.allSettled());
    throw cancellation;
  }
  // Late hangup and recording events still arrive after unbinding; collect them, then finish.
  try {
    // A zero-length timer still costs a round trip to the server: none for 0.
    if (input.drainSeconds > 0) await sleep(input.drainSeconds * 1000);
  } catch (error) {
    if (!isCancellation(error)) throw error;
  }
  // Calls first seen while draining are backfilled too, so no lost CDR depends on the drain window.
  await backfill.lookUp();
  await archiver.allSettled();
  noteMissingRecordings();
  return state;
}
