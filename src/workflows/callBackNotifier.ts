// What a callback call tells its app: each status it reaches and its archived recording (delivery:
// NotificationQueue). Imports only @temporalio/workflow and pure modules.
import type { CallBackState } from '../contract/callBack.ts';
import type { CarriedNotifications } from '../contract/notifications.ts';
import { QueuedNotifier, queueFor } from './notificationQueue.ts';

/** Notifies the app at the call's notifyUrl of each status change since the last `notice()`. */
export class CallBackNotifier extends QueuedNotifier {
  private readonly state: CallBackState;
  private notifiedStatus: string;
  private archiveNotified: boolean;

  constructor(url: string | undefined, state: CallBackState, carried: CarriedNotifications | undefined) {
    super(url ? queueFor(url, { callKey: state.callKey }, state, carried) : undefined);
    this.state = state;
    this.notifiedStatus = carried?.notifiedStatus ?? '';
    this.archiveNotified = Object.keys(carried?.notifiedCalls ?? {}).length > 0;
  }

  /** Queues the status reached, and the recording once archived, if not notified yet. */
  notice(): void {
    const { state, queue } = this;
    if (!queue) return;
    // `ended` waits for the CDR (endedAt comes with it, or at the end of a run that never got one).
    const settled = state.status !== 'ended' || state.endedAt !== undefined;
    if (state.status !== this.notifiedStatus && settled) {
      this.notifiedStatus = state.status;
      const { status, callId, cdr, failure, cancelledWith } = state;
      queue.push(
        status,
        Object.fromEntries(
          Object.entries({ status, callId, cdr, failure, cancelledWith }).filter(([, value]) => value !== undefined),
        ),
      );
    }
    if (state.archive && !this.archiveNotified) {
      this.archiveNotified = true;
      queue.push('recording-archived', { callId: state.callId, archive: state.archive });
    }
  }

  /** What the next run needs: the queue and what was notified. */
  carry(): CarriedNotifications | undefined {
    if (!this.queue) return undefined;
    const notifiedCalls = this.archiveNotified && this.state.callId ? { [this.state.callId]: 1 } : {};
    return { ...this.queue.carry(), notifiedCalls, notifiedStatus: this.notifiedStatus };
  }
}
