import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { ReconcileActivities } from '../activities/reconcileActivities.ts';
import { RECONCILE_ACTIVITY_OPTIONS } from '../activities/reconcileOptions.ts';
import {
  type CdrWindow,
  DEFAULT_RECONCILE_LOOKBACK_SECONDS,
  type ReconcileInput,
  type ReconcileResult,
} from '../contract/reconcile.ts';

const { reconcileSessionCdrs, reconcileCallBackCdrs } =
  proxyActivities<ReconcileActivities>(RECONCILE_ACTIVITY_OPTIONS);

/**
 * One reconciliation pass, run by the `npp-reconcile-cdrs` schedule: hands every CDR of the window
 * to its running workflow unless that workflow already has it. The CDRs never pass through this
 * workflow: an hour of them can exceed Temporal's payload limit, so each activity fetches, matches
 * and signals on its own and answers only counts.
 */
export async function reconcileCdrs(input: ReconcileInput = {}): Promise<ReconcileResult> {
  const lookback = input.lookbackSeconds ?? DEFAULT_RECONCILE_LOOKBACK_SECONDS;
  if (!Number.isInteger(lookback) || lookback <= 0) {
    throw ApplicationFailure.nonRetryable('lookbackSeconds must be a positive whole number', 'InvalidReconcileInput');
  }
  const end = Math.floor(Date.now() / 1000);
  const window: CdrWindow = { start: end - lookback, end, ...(input.bizAppId ? { bizAppId: input.bizAppId } : {}) };
  const [sessions, callBacks] = await Promise.all([reconcileSessionCdrs(window), reconcileCallBackCdrs(window)]);
  return { window, sessions, callBacks };
}
