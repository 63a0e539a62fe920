// How a session starts: afresh, or from what the previous run handed over when it continued as new.
// Imports only @temporalio/workflow and pure modules.
import { uuid4 } from '@temporalio/workflow';
import type { CarriedNotifications } from '../contract/notifications.ts';
import type { CallRecord, CarriedSession, SessionState } from '../contract/session.ts';
import { maskPhone } from '../phone.ts';
import { carriedCalls } from './calls.ts';
import { eventIdsToCarry } from './continueAsNew.ts';
import type { ResolvedSessionInput } from './sessionInput.ts';

/** A new session's state, before it binds. */
export function newSession(input: ResolvedSessionInput): CarriedSession {
  return {
    state: {
      sessionKey: input.sessionKey,
      mode: input.mode,
      status: 'open',
      ...(input.src ? { src: maskPhone(input.src) } : {}),
      dst: maskPhone(input.dst),
      record: input.record,
      ttlMode: input.ttlMode,
      // BizId allows 16 letters or digits: 12 identify the session, 4 the request within it.
      bizId: uuid4().replace(/-/g, '').slice(0, 12),
      heldReferences: 0,
      calls: [],
      createdAt: new Date().toISOString(),
    },
    seenEventIds: [],
    bizIdsIssued: 0,
  };
}

/** What the running session has that the next run needs. */
export interface RunningSession {
  state: SessionState;
  seenEventIds: ReadonlySet<string>;
  bizIdsIssued: number;
  /** Calls whose recording is being archived right now. */
  archiving: readonly string[];
  /** The notifier's queue and what it notified (sessions with a notifyUrl). */
  notifications?: CarriedNotifications | undefined;
}

/**
 * The session as the next run starts it: only the most recent calls, plus those with work pending
 * (archiving under way, or a binding still to release), and the archiving the next run takes over.
 */
export function handOver({
  state,
  seenEventIds,
  bizIdsIssued,
  archiving,
  notifications,
}: RunningSession): CarriedSession {
  const pending = (call: CallRecord) =>
    archiving.includes(call.callId) || (call.bindId !== undefined && call.bindId !== state.bindId);
  const { calls, earlierCalls } = carriedCalls(state.calls, state.earlierCalls, pending);
  return {
    state: { ...state, calls, ...(earlierCalls ? { earlierCalls } : {}) },
    seenEventIds: eventIdsToCarry(seenEventIds),
    bizIdsIssued,
    ...(archiving.length > 0 ? { archivesHandedOver: [...archiving] } : {}),
    ...(notifications ? { notifications } : {}),
  };
}
