// What a session tells its app, and in which order: every change of its state becomes a
// notification, queued and delivered one at a time by deliverNotification. Imports only
// @temporalio/workflow and pure modules.
import { CancellationScope, condition, log, metricMeter, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { NotifyActivities } from '../activities/notifyActivities.ts';
import { NOTIFY_ACTIVITY_OPTIONS, notifyTaskQueue } from '../activities/notifyOptions.ts';
import type {
  CarriedNotifications,
  Notification,
  NotificationStats,
  NotificationType,
} from '../contract/notifications.ts';
import type { CallRecord, SessionState } from '../contract/session.ts';
import { failureOf } from './failures.ts';

/** Per call, what was notified already. */
const CALL_NOTIFIED = { started: 1, answered: 2, ended: 4, archived: 8 } as const;

/** The session statuses notified, with their notification. */
const STATUS_NOTIFIED: Partial<Record<SessionState['status'], NotificationType>> = {
  closing: 'closing',
  closed: 'closed',
  failed: 'failed',
};

/**
 * Notifies the app at `url` of what changed in the session since the last `notice()`, in order and
 * once each (ids are stable, so a redelivery after a crash is recognisable). Delivery runs beside the
 * session: a receiver that is down or refuses never holds the session up; its failures are counted
 * in `state.notifications`.
 */
export class Notifier {
  private readonly url: string | undefined;
  private readonly state: SessionState;
  private readonly carried: CarriedNotifications;
  private readonly stats: NotificationStats;
  private delivering = false;

  constructor(url: string | undefined, state: SessionState, carried: CarriedNotifications | undefined) {
    this.url = url;
    this.state = state;
    this.carried = carried ?? { pending: [], sequence: 0, notifiedCalls: {}, notifiedStatus: state.status };
    this.stats = state.notifications ?? { delivered: 0, failed: 0 };
    if (url) state.notifications = this.stats;
  }

  /** Queues a notification for every change since the last call. */
  notice(): void {
    if (!this.url) return;
    const { state, carried } = this;
    if (state.boundAt && carried.notifiedStatus === 'open') {
      carried.notifiedStatus = 'bound';
      this.queue('bound', this.sessionData());
    }
    for (const call of state.calls) this.noticeCall(call);
    const statusType = STATUS_NOTIFIED[state.status];
    if (statusType && carried.notifiedStatus !== state.status) {
      carried.notifiedStatus = state.status;
      this.queue(statusType, this.sessionData());
    }
  }

  /**
   * Delivers the queue in order, for as long as the run lives. Started once, not awaited; not
   * cancellable: a cancelled session still tells its app how it ended.
   */
  deliverInOrder(): Promise<void> {
    return CancellationScope.nonCancellable(() => this.deliverLoop());
  }

  private async deliverLoop(): Promise<void> {
    if (!this.url) return;
    const { deliverNotification } = proxyActivities<NotifyActivities>({
      ...NOTIFY_ACTIVITY_OPTIONS,
      taskQueue: notifyTaskQueue(workflowInfo().taskQueue),
    });
    for (;;) {
      await condition(() => this.carried.pending.length > 0);
      const next = this.carried.pending[0] as Notification;
      this.delivering = true;
      try {
        await deliverNotification(this.url, next);
        this.stats.delivered++;
      } catch (error) {
        this.stats.failed++;
        this.stats.lastFailure = failureOf(error);
        // Not emitted again on replay (the SDK's workflow metrics skip replayed code).
        metricMeter
          .createCounter('npp_notifications_failed', 'notifications', 'Notifications given up after every retry')
          .add(1, { type: next.type });
        log.warn('notification not delivered', { id: next.id, type: next.type, ...this.stats.lastFailure });
      }
      this.delivering = false;
      this.carried.pending.shift();
    }
  }

  /** Waits, at most `ms`, until every queued notification was delivered or given up. */
  async flush(ms: number): Promise<void> {
    if (!this.url) return;
    await condition(() => this.carried.pending.length === 0 && !this.delivering, ms);
  }

  /** What the next run needs: the queue (the head again if it was on its way) and what was notified. */
  carry(): CarriedNotifications | undefined {
    if (!this.url) return undefined;
    const listed = new Set(this.state.calls.map((call) => call.callId));
    const notifiedCalls = Object.fromEntries(
      Object.entries(this.carried.notifiedCalls).filter(([callId]) => listed.has(callId)),
    );
    return { ...this.carried, pending: [...this.carried.pending], notifiedCalls };
  }

  private noticeCall(call: CallRecord): void {
    const done = this.carried.notifiedCalls[call.callId] ?? 0;
    const due: [number, NotificationType, boolean][] = [
      [CALL_NOTIFIED.started, 'call-started', true],
      [CALL_NOTIFIED.answered, 'call-answered', call.answeredAt !== undefined],
      [CALL_NOTIFIED.ended, 'call-ended', call.state === 'ended'],
      [CALL_NOTIFIED.archived, 'recording-archived', call.archive !== undefined],
    ];
    let now = done;
    for (const [bit, type, reached] of due) {
      if (reached && (now & bit) === 0) {
        now |= bit;
        this.queue(type, { call });
      }
    }
    if (now !== done) this.carried.notifiedCalls[call.callId] = now;
  }

  private sessionData(): Record<string, unknown> {
    const { status, mode, virtualNum, bindId, expiresAt, closedReason, failedReason, failure } = this.state;
    return Object.fromEntries(
      Object.entries({ status, mode, virtualNum, bindId, expiresAt, closedReason, failedReason, failure }).filter(
        ([, value]) => value !== undefined,
      ),
    );
  }

  private queue(type: NotificationType, data: Record<string, unknown>): void {
    const { workflowId } = workflowInfo();
    this.carried.pending.push({
      id: `${workflowId}:${++this.carried.sequence}`,
      type,
      sessionKey: this.state.sessionKey,
      at: new Date().toISOString(),
      data,
    });
  }
}
