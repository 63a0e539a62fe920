// Timeouts and retry policy of the reconciliation activities. Pure data: workflows import it.
import type { ActivityOptions } from '@temporalio/workflow';

export const RECONCILE_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  // The next scheduled run covers the same window again: no point retrying for long.
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 4 },
};
