// What operators see of a session in Temporal UI: its status search attribute and current details.
// Imports only @temporalio/workflow; masked numbers only.
import { setCurrentDetails, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import {
  NppBindId,
  NppCallId,
  NppClosedReason,
  NppSessionStatus,
  NppVirtualNum,
} from '../contract/searchAttributes.ts';
import type { SessionFailedReason, SessionState, SessionStatus } from '../contract/session.ts';
import { maskPhone } from '../phone.ts';
import { recentCallIds } from './calls.ts';
import { awaitedCalls } from './sessionClosing.ts';
import type { ResolvedSessionInput } from './sessionInput.ts';

/** Keeps NppSessionStatus and the UI's current details in step with the session's state. */
export class SessionDisplay {
  private readonly state: SessionState;
  private readonly input: ResolvedSessionInput;
  private readonly heading: string;
  private readonly onShow: () => void;

  /** `onShow` runs after every change shown (the session's notifier follows the same changes). */
  constructor(state: SessionState, input: ResolvedSessionInput, onShow: () => void = () => {}) {
    this.state = state;
    this.input = input;
    this.onShow = onShow;
    const who = input.src ? `${maskPhone(input.src)} ↔ ${maskPhone(input.dst)}` : `anyone → ${maskPhone(input.dst)}`;
    this.heading = `${input.mode} ${who}`;
  }

  /** The parties as a summary of activities shows them (masked). */
  get parties(): string {
    return this.heading;
  }

  /** A new session: its memo (masked parties) and status `open`. */
  opened(): void {
    const { input } = this;
    upsertMemo({
      mode: input.mode,
      src: input.src && maskPhone(input.src),
      dst: maskPhone(input.dst),
      record: input.record,
    });
    this.setStatus('open');
  }

  /** The session bound: its binding becomes searchable (the virtual number is the platform's, not a person's). */
  bound(): void {
    const { bindId = '', virtualNum = '' } = this.state;
    upsertSearchAttributes([
      { key: NppBindId, value: bindId },
      { key: NppVirtualNum, value: virtualNum },
    ]);
    upsertMemo({ virtualNum });
    this.show();
  }

  /** An event changed a call (`isNew`: its first event): the session is in progress. */
  callChanged(isNew: boolean): void {
    // Temporal refuses a search attribute value over 2 KiB: only the most recent CallIds are listed.
    if (isNew) upsertSearchAttributes([{ key: NppCallId, value: recentCallIds(this.state.calls) }]);
    if (this.state.status === 'open') this.setStatus('in-progress');
    else this.show();
  }

  /** The session failed for `reason`, with the platform's code and message. */
  failed(reason: SessionFailedReason, failure: { code: string; message: string }): void {
    this.state.failedReason = reason;
    this.state.failure = failure;
    this.state.closedAt = new Date().toISOString();
    this.setStatus('failed');
  }

  /** The session unbound: its reason becomes searchable (e.g. `released-by-platform`). */
  closed(): void {
    upsertSearchAttributes([{ key: NppClosedReason, value: this.state.closedReason ?? '' }]);
    this.setStatus('closed');
  }

  /** Moves the session to `status`, for search and for the UI. */
  setStatus(status: SessionStatus): void {
    this.state.status = status;
    upsertSearchAttributes([{ key: NppSessionStatus, value: status }]);
    this.show();
  }

  /** Shows the state as the run's current details, with an optional note (e.g. a failing unbind). */
  show(note?: string): void {
    const { state } = this;
    const parts = [`**${state.status}**${state.closedReason ? ` (${state.closedReason})` : ''}`, this.heading];
    if (state.virtualNum) parts.push(`via ${state.virtualNum}`);
    const calls = state.calls.length + (state.earlierCalls?.count ?? 0);
    parts.push(`${calls} call(s)`, `${state.heldReferences} reference(s)`);
    if (state.status === 'closing') {
      const { ongoing, unrecorded } = awaitedCalls(state);
      parts.push(`waiting for ${ongoing.length} call(s) to end, ${unrecorded.length} recording(s)`);
    } else if (state.expiresAt && !state.closedAt) {
      parts.push(`expires ${state.expiresAt}${state.ttlMode === 'sliding' ? ' (sliding)' : ''}`);
    }
    if (state.missingRecordings?.length) parts.push(`${state.missingRecordings.length} recording(s) missing`);
    if (note) parts.push(note);
    setCurrentDetails(parts.join(' · '));
    this.onShow();
  }
}
