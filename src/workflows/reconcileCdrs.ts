import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { ReconcileActivities } from '../activities/reconcileActivities.ts';
import { RECONCILE_ACTIVITY_OPTIONS } from '../activities/reconcileOptions.ts';
import {
  type CdrWindow,
  DEFAULT_LONGEST_CALL_SECONDS,
  DEFAULT_RECONCILE_LOOKBACK_SECONDS,
  type ReconcileCounts,
  type ReconcileInput,
  type ReconcileResult,
} from '../contract/reconcile.ts';

const { reconcileSessionCdrs, reconcileCallBackCdrs } =
  proxyActivities<ReconcileActivities>(RECONCILE_ACTIVITY_OPTIONS);

/**
 * One reconciliation pass, run by the `npp-reconcile-cdrs` schedule: hands every CDR of the window
 * to its running workflow unless that workflow already has it, for each BizAppId of the deployment.
 * The CDRs never pass through this workflow: an hour of them can exceed Temporal's payload limit, so
 * each activity fetches (page by page), matches and signals on its own and answers only counts.
 */
export async function reconcileCdrs(input: ReconcileInput = {}): Promise<ReconcileResult> {
  const lookback = input.lookbackSeconds ?? DEFAULT_RECONCILE_LOOKBACK_SECONDS;
  const longestCall = input.longestCallSeconds ?? DEFAULT_LONGEST_CALL_SECONDS;
  if (!Number.isInteger(lookback) || lookback <= 0) {
    throw ApplicationFailure.nonRetryable('lookbackSeconds must be a positive whole number', 'InvalidReconcileInput');
  }
  if (!Number.isInteger(longestCall) || longestCall < 0) {
    throw ApplicationFailure.nonRetryable('longestCallSeconds must be a whole number ≥ 0', 'InvalidReconcileInput');
  }
  const end = Math.floor(Date.now() / 1000);
  const start = end - lookback - longestCall;
  // An empty list asks with the worker's own NPP_BIZ_APP_ID.
  const bizAppIds: (string | undefined)[] = input.bizAppIds?.length ? input.bizAppIds : [undefined];
  const passes = await Promise.all(
    bizAppIds.map(async (bizAppId) => {
      const window: CdrWindow = { start, end, ...(bizAppId ? { bizAppId } : {}) };
      const [sessions, callBacks] = await Promise.all([reconcileSessionCdrs(window), reconcileCallBackCdrs(window)]);
      return { window, sessions, callBacks };
    }),
  );
  const [first] = passes as [ReconcileResult, ...ReconcileResult[]];
  return {
    window: first.window,
    sessions: sumCounts(passes.map((pass) => pass.sessions)),
    callBacks: sumCounts(passes.map((pass) => pass.callBacks)),
  };
}

function sumCounts(counts: ReconcileCounts[]): ReconcileCounts {
  const [first, ...rest] = counts as [ReconcileCounts, ...ReconcileCounts[]];
  const total = { ...first };
  for (const more of rest) for (const key of Object.keys(total) as (keyof ReconcileCounts)[]) total[key] += more[key];
  return total;
}
