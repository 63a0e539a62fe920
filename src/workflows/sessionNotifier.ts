// What a session tells its app, and in which order: every change of its state becomes a
// notification (delivery: NotificationQueue). Imports only @temporalio/workflow and pure modules.
import type { CarriedNotifications, NotificationType } from '../contract/notifications.ts';
import type { CallRecord, SessionState } from '../contract/session.ts';
import { type NotificationQueue, QueuedNotifier, queueFor } from './notificationQueue.ts';

/** Per call, what was notified already. */
const CALL_NOTIFIED = { started: 1, answered: 2, ended: 4, archived: 8 } as const;

/** The session statuses notified, with their notification. */
const STATUS_NOTIFIED: Partial<Record<SessionState['status'], NotificationType>> = {
  closing: 'closing',
  closed: 'closed',
  failed: 'failed',
};

/**
 * Notifies the app at the session's notifyUrl of what changed since the last `notice()`, in order
 * and once each (see NotificationQueue for delivery); outcomes are counted in `state.notifications`.
 */
export class SessionNotifier extends QueuedNotifier {
  private readonly state: SessionState;
  private readonly notifiedCalls: Record<string, number>;
  private notifiedStatus: string;

  constructor(url: string | undefined, state: SessionState, carried: CarriedNotifications | undefined) {
    super(url ? queueFor(url, { sessionKey: state.sessionKey }, state, carried) : undefined);
    this.state = state;
    this.notifiedCalls = { ...carried?.notifiedCalls };
    this.notifiedStatus = carried?.notifiedStatus ?? state.status;
  }

  /** Queues a notification for every change since the last call. */
  notice(): void {
    const { state, queue } = this;
    if (!queue) return;
    if (state.boundAt && this.notifiedStatus === 'open') {
      this.notifiedStatus = 'bound';
      queue.push('bound', this.sessionData());
    }
    for (const call of state.calls) this.noticeCall(queue, call);
    const statusType = STATUS_NOTIFIED[state.status];
    if (statusType && this.notifiedStatus !== state.status) {
      this.notifiedStatus = state.status;
      queue.push(statusType, this.sessionData());
    }
  }

  /** What the next run needs: the queue and what was notified of the calls it still lists. */
  carry(): CarriedNotifications | undefined {
    if (!this.queue) return undefined;
    const listed = new Set(this.state.calls.map((call) => call.callId));
    const notifiedCalls = Object.fromEntries(
      Object.entries(this.notifiedCalls).filter(([callId]) => listed.has(callId)),
    );
    return { ...this.queue.carry(), notifiedCalls, notifiedStatus: this.notifiedStatus };
  }

  private noticeCall(queue: NotificationQueue, call: CallRecord): void {
    const ended = this.state.status === 'closed';
    const done = this.notifiedCalls[call.callId] ?? 0;
    const due: [number, NotificationType, boolean][] = [
      [CALL_NOTIFIED.started, 'call-started', true],
      [CALL_NOTIFIED.answered, 'call-answered', call.answeredAt !== undefined],
      // With its CDR, or as it stands once the session closed without one.
      [CALL_NOTIFIED.ended, 'call-ended', call.endStatus !== undefined || (ended && call.state === 'ended')],
      [CALL_NOTIFIED.archived, 'recording-archived', call.archive !== undefined],
    ];
    let now = done;
    for (const [bit, type, reached] of due) {
      if (reached && (now & bit) === 0) {
        now |= bit;
        queue.push(type, { call });
      }
    }
    if (now !== done) this.notifiedCalls[call.callId] = now;
  }

  private sessionData(): Record<string, unknown> {
    const { status, mode, virtualNum, bindId, expiresAt, closedReason, failedReason, failure } = this.state;
    return Object.fromEntries(
      Object.entries({ status, mode, virtualNum, bindId, expiresAt, closedReason, failedReason, failure }).filter(
        ([, value]) => value !== undefined,
      ),
    );
  }
}
