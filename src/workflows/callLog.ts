// A session's calls as its events arrive: each event applied once, folded into its call's record.
// Pure (no workflow APIs): the workflow adds what follows from a change (search attributes, archive).

import type { CallRecord, SessionState } from '../contract/session.ts';
import { emptyCall, sortCalls } from './calls.ts';

/** The call an event changed, and whether the event was the first one of that call. */
export interface CallChange {
  call: CallRecord;
  isNew: boolean;
}

/** The session's `calls`, and the event ids already applied (redeliveries are ignored). */
export class CallLog {
  private readonly state: Pick<SessionState, 'calls' | 'lastInteractionAt'>;
  /** Event ids applied, oldest first. */
  readonly seen: Set<string>;

  constructor(state: Pick<SessionState, 'calls' | 'lastInteractionAt'>, seenEventIds: readonly string[]) {
    this.state = state;
    this.seen = new Set(seenEventIds);
  }

  /**
   * Folds `event` into its call with `fold`, unless it was applied before (then undefined). `at` (unix
   * seconds) is when the interaction happened, if the event tells.
   */
  apply<E extends { eventId: string; callId: string }>(
    event: E,
    fold: (call: CallRecord, event: E) => CallRecord,
    at: number | undefined,
  ): CallChange | undefined {
    if (this.seen.has(event.eventId)) return undefined;
    this.seen.add(event.eventId);
    const { state } = this;
    const existing = state.calls.find((call) => call.callId === event.callId);
    const call = fold(existing ?? emptyCall(event.callId), event);
    state.calls = sortCalls([...state.calls.filter((other) => other !== existing), call]);
    if (at !== undefined) {
      const iso = new Date(at * 1000).toISOString();
      if (!state.lastInteractionAt || iso > state.lastInteractionAt) state.lastInteractionAt = iso;
    }
    return { call, isNew: !existing };
  }

  /** Sets fields of one call (e.g. where its recording was archived). */
  update(callId: string, fields: Partial<CallRecord>): void {
    this.state.calls = this.state.calls.map((call) => (call.callId === callId ? { ...call, ...fields } : call));
  }
}
