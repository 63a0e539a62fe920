// What a session collects before it unbinds: its calls' ends, their recordings, and the CDRs the
// webhook never brought. Imports only @temporalio/workflow and pure modules.
import { condition, isCancellation, log, proxyActivities, sleep } from '@temporalio/workflow';
import { SESSION_CDR_LOOKUP_OPTIONS } from '../activities/options.ts';
import type { SessionCdrActivities } from '../activities/sessionCdrActivities.ts';
import type { CallHangupEvent, CallRecord, SessionState } from '../contract/session.ts';
import { failureOf } from './failures.ts';

const { lookUpSessionHangups } = proxyActivities<SessionCdrActivities>(SESSION_CDR_LOOKUP_OPTIONS);

/** Slack around the session's lifetime when asking Get400Cdr for its calls (clock skew). */
const CDR_WINDOW_SLACK_SECONDS = 600;

/** Longest wait, once the recordings are in, for their archiving to finish before unbinding. */
const ARCHIVE_WAIT_MS = 120_000;

const answered = (call: CallRecord) => call.answeredAt !== undefined || (call.dstDuration ?? 0) > 0;

/**
 * The calls a closing session still waits for: those still ringing or talking, and, when it records,
 * answered calls whose recording URL has not come yet (the platform asks to unbind only after the
 * recording callback: GetVirtualNumRequest.Record).
 */
export function awaitedCalls(state: SessionState): { ongoing: string[]; unrecorded: string[] } {
  return {
    ongoing: state.calls.filter((call) => call.state !== 'ended').map((call) => call.callId),
    unrecorded: state.record
      ? state.calls.filter((call) => answered(call) && !call.recordUrl).map((call) => call.callId)
      : [],
  };
}

/**
 * Asks the platform (Get400Cdr by CallId) for the CDR of each call that lacks its hangup CDR, or, in
 * a recorded session, its recording URL (the CDR carries it): the session itself backfills what the
 * webhook lost, with no schedule running. Each call is asked for once per run. A lookup that fails
 * is logged and never holds up unbinding; the reconciliation schedule may still find the CDR.
 */
export class CdrBackfill {
  private readonly asked = new Set<string>();
  private readonly state: SessionState;
  private readonly bizAppId: string | undefined;
  private readonly apply: (event: CallHangupEvent) => void;

  /** `apply` folds a found CDR into the session as its webhook event would have been. */
  constructor(state: SessionState, bizAppId: string | undefined, apply: (event: CallHangupEvent) => void) {
    this.state = state;
    this.bizAppId = bizAppId;
    this.apply = apply;
  }

  /** Looks up the calls still lacking their CDR (or recording URL) that were not asked for yet. */
  async lookUp(): Promise<void> {
    const { state } = this;
    const lacking = state.calls.filter(
      (call) =>
        !this.asked.has(call.callId) &&
        (call.endStatus === undefined || (state.record && answered(call) && !call.recordUrl)),
    );
    if (lacking.length === 0) return;
    for (const call of lacking) this.asked.add(call.callId);
    const started = Math.floor(Date.parse(state.createdAt) / 1000);
    const earliest = Math.min(started, ...lacking.map((call) => call.startedAt ?? started));
    try {
      const hangups = await lookUpSessionHangups({
        callIds: lacking.map((call) => call.callId),
        start: earliest - CDR_WINDOW_SLACK_SECONDS,
        end: Math.floor(Date.now() / 1000) + CDR_WINDOW_SLACK_SECONDS,
        ...(this.bizAppId ? { bizAppId: this.bizAppId } : {}),
      });
      for (const hangup of hangups) this.apply(hangup);
    } catch (error) {
      log.warn('looking up missing CDRs failed; reconciliation may still find them', failureOf(error));
    }
  }
}

/**
 * What closing does before DelVirtualNum: waits up to `waitMs` for the calls to end and their
 * recordings to arrive, backfills what the webhook lost, waits (up to ARCHIVE_WAIT_MS) for the
 * recordings found to be archived, and names those still missing. No wait reaches past the binding's
 * MaxAssignTime.
 */
export async function collectBeforeUnbinding(
  state: SessionState,
  waitMs: number,
  backfill: CdrBackfill,
  archiver: { readonly idle: boolean },
): Promise<void> {
  const maxExpiresAt = Date.parse(state.maxExpiresAt ?? '') || 0;
  const waitFor = async (done: () => boolean, forMs: number) => {
    const left = Math.min(Date.now() + forMs, maxExpiresAt) - Date.now();
    if (!done() && left > 0) await condition(done, left);
  };
  await waitFor(() => Object.values(awaitedCalls(state)).every((ids) => ids.length === 0), waitMs);
  await backfill.lookUp();
  await waitFor(() => archiver.idle, ARCHIVE_WAIT_MS);
  noteMissingRecordings(state);
}

/**
 * After DelVirtualNum: late hangup and recording events still arrive for `drainSeconds`; then the
 * calls first seen meanwhile are backfilled too (no lost CDR depends on the drain window), and the
 * archiving still under way ends.
 */
export async function collectAfterUnbinding(
  state: SessionState,
  drainSeconds: number,
  backfill: CdrBackfill,
  archiver: { allSettled(): Promise<void> },
): Promise<void> {
  try {
    // A zero-length timer still costs a round trip to the server: none for 0.
    if (drainSeconds > 0) await sleep(drainSeconds * 1000);
  } catch (error) {
    if (!isCancellation(error)) throw error;
  }
  await backfill.lookUp();
  await archiver.allSettled();
  noteMissingRecordings(state);
}

/** Names in the state the answered calls of a recorded session whose recording never came. */
export function noteMissingRecordings(state: SessionState): void {
  const { unrecorded } = awaitedCalls(state);
  if (unrecorded.length > 0) state.missingRecordings = unrecorded;
  else delete state.missingRecordings;
}
