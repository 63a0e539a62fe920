// Timeouts and retry policy of archiveRecording. Pure data: workflows import it.
import type { ActivityOptions } from '@temporalio/workflow';

export const ARCHIVE_ACTIVITY_OPTIONS: ActivityOptions = {
  // Room for a large recording over a slow link; the heartbeat notices a stalled one much sooner.
  startToCloseTimeout: '15m',
  heartbeatTimeout: '1m',
  // Platform recording URLs expire: retrying for longer than this would only fetch 404s.
  scheduleToCloseTimeout: '2h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
};

/**
 * The task queue archiveRecording runs on, next to the workflows' own: downloads may take minutes,
 * and on a queue of their own they never hold the activity slots binding and unbinding need.
 */
export function archiveTaskQueue(taskQueue: string): string {
  return `${taskQueue}-archive`;
}
