// The delivery half of notifications, shared by sessions and callback calls: a queue delivered one
// at a time, in order, by deliverNotification. Imports only @temporalio/workflow and pure modules.
import { CancellationScope, condition, log, metricMeter, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { NotifyActivities } from '../activities/notifyActivities.ts';
import { NOTIFY_ACTIVITY_OPTIONS, notifyTaskQueue } from '../activities/notifyOptions.ts';
import type { Notification, NotificationStats, NotificationType } from '../contract/notifications.ts';
import { failureOf } from './failures.ts';

/** Longest wait, at the end of a run, for notifications still on their way to the app. */
export const NOTIFY_FINAL_WAIT_MS = 10 * 60_000;

/** Whose notifications these are: a session's or a callback call's. */
export type NotificationSubject = { sessionKey: string } | { callKey: string };

/**
 * Queues notifications with stable ids (`<workflow id>:<sequence>`, so a redelivery after a crash is
 * recognisable) and delivers them beside the run: a receiver that is down or refuses never holds the
 * run up; outcomes are counted in `stats`.
 */
export class NotificationQueue {
  readonly url: string;
  private readonly subject: NotificationSubject;
  private readonly stats: NotificationStats;
  private readonly pending: Notification[];
  private sequence: number;
  private delivering = false;

  constructor(
    url: string,
    subject: NotificationSubject,
    stats: NotificationStats,
    carried: { pending: Notification[]; sequence: number } | undefined,
  ) {
    this.url = url;
    this.subject = subject;
    this.stats = stats;
    this.pending = carried ? [...carried.pending] : [];
    this.sequence = carried?.sequence ?? 0;
  }

  push(type: NotificationType, data: Record<string, unknown>): void {
    this.pending.push({
      id: `${workflowInfo().workflowId}:${++this.sequence}`,
      type,
      ...this.subject,
      at: new Date().toISOString(),
      data,
    });
  }

  /**
   * Delivers the queue in order, for as long as the run lives. Started once, not awaited; not
   * cancellable: a cancelled run still tells its app how it ended.
   */
  deliverInOrder(): Promise<void> {
    return CancellationScope.nonCancellable(async () => {
      const { deliverNotification } = proxyActivities<NotifyActivities>({
        ...NOTIFY_ACTIVITY_OPTIONS,
        taskQueue: notifyTaskQueue(workflowInfo().taskQueue),
      });
      for (;;) {
        await condition(() => this.pending.length > 0);
        // One more pass of the workflow's conditions before scheduling: whatever else this activation
        // schedules (an archive, an unbinding) is then always scheduled first. Without it the order
        // would hang on how many async steps each path takes, which interceptors (tracing) change.
        await nextConditionPass();
        const next = this.pending[0] as Notification;
        this.delivering = true;
        try {
          await deliverNotification(this.url, next);
          this.stats.delivered++;
        } catch (error) {
          this.stats.failed++;
          this.stats.lastFailure = failureOf(error);
          log.warn('notification not delivered', { id: next.id, type: next.type, ...this.stats.lastFailure });
          // Not emitted again on replay (the SDK's workflow metrics skip replayed code).
          metricMeter
            .createCounter('npp_notifications_failed', 'notifications', 'Notifications given up after every retry')
            .add(1, { type: next.type });
        }
        this.delivering = false;
        this.pending.shift();
      }
    });
  }

  /** Waits, at most `ms`, until every queued notification was delivered or given up. */
  async flush(ms: number): Promise<void> {
    await condition(() => this.pending.length === 0 && !this.delivering, ms);
  }

  /** The queue for the next run: the head again if it was on its way (its id tells the receiver). */
  carry(): { pending: Notification[]; sequence: number } {
    return { pending: [...this.pending], sequence: this.sequence };
  }
}

/**
 * Resolves at the workflow's next pass over its conditions, once every step already under way in
 * this activation has run (a condition already true would resolve at once instead).
 */
function nextConditionPass(): Promise<void> {
  let passed = false;
  const next = condition(() => passed);
  passed = true;
  return next;
}

/** The queue of a run with a notifyUrl; its outcomes count in `holder.notifications`. */
export function queueFor(
  url: string,
  subject: NotificationSubject,
  holder: { notifications?: NotificationStats },
  carried: { pending: Notification[]; sequence: number } | undefined,
): NotificationQueue {
  holder.notifications ??= { delivered: 0, failed: 0 };
  return new NotificationQueue(url, subject, holder.notifications, carried);
}

/**
 * What SessionNotifier and CallBackNotifier share: their queue (none without a notifyUrl), delivered
 * beside the run and flushed before it ends.
 */
export abstract class QueuedNotifier {
  protected readonly queue: NotificationQueue | undefined;

  constructor(queue: NotificationQueue | undefined) {
    this.queue = queue;
  }

  /** Delivers the queue beside the run (see NotificationQueue.deliverInOrder). */
  deliverInOrder(): Promise<void> {
    return this.queue?.deliverInOrder() ?? Promise.resolve();
  }

  /** Waits, at most `ms`, until every queued notification was delivered or given up. */
  async flush(ms: number): Promise<void> {
    await this.queue?.flush(ms);
  }
}
