// Timeouts and retry policy of deliverNotification. Pure data: workflows import it.
import type { ActivityOptions } from '@temporalio/workflow';

export const NOTIFY_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '15s',
  // A receiver down for a while gets its notifications later; after an hour one is counted as failed.
  scheduleToCloseTimeout: '1h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
};

/** The task queue of deliverNotification: a slow receiver never holds the slots NPP calls need. */
export function notifyTaskQueue(taskQueue: string): string {
  return `${taskQueue}-notify`;
}
