import {
  type Client,
  ScheduleAlreadyRunning,
  type ScheduleOptionsStartWorkflowAction,
  ScheduleOverlapPolicy,
} from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { RECONCILE_WORKFLOW_TYPE, type ReconcileInput } from '../contract/reconcile.ts';
import type { reconcileCdrs } from '../workflows/reconcileCdrs.ts';

/** The one reconciliation schedule of a namespace. */
export const RECONCILE_SCHEDULE_ID = 'npp-reconcile-cdrs';

export interface ReconcileScheduleOptions {
  /** Task queue of the workers that run reconcileCdrs and its activities. */
  taskQueue: string;
  /** Time between runs. Default 10 minutes; keep it well under the input's lookbackSeconds. */
  every?: Duration;
  input?: ReconcileInput;
  /** Default RECONCILE_SCHEDULE_ID; another id only for tests or a second application. */
  scheduleId?: string;
}

/**
 * Creates the reconciliation schedule, or brings an existing one to these options: safe to run on
 * every deployment. Answers which of the two happened.
 */
export async function ensureReconcileSchedule(
  client: Client,
  options: ReconcileScheduleOptions,
): Promise<'created' | 'updated'> {
  const scheduleId = options.scheduleId ?? RECONCILE_SCHEDULE_ID;
  const action: ScheduleOptionsStartWorkflowAction<typeof reconcileCdrs> = {
    type: 'startWorkflow',
    workflowType: RECONCILE_WORKFLOW_TYPE,
    // The schedule appends each run's time to this id.
    workflowId: scheduleId,
    taskQueue: options.taskQueue,
    args: [options.input ?? {}],
  };
  const spec = { intervals: [{ every: options.every ?? '10m' }] };
  // A pass still running when the next is due makes the next one redundant.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies }));
  return 'updated';
}

/**
 * The schedule's input from the environment: NPP_RECONCILE_BIZ_APP_IDS, a comma-separated list of
 * every BizAppId the deployment's sessions and callback calls use (those given per session too);
 * unset, each pass asks with the worker's NPP_BIZ_APP_ID.
 */
export function reconcileInputFromEnv(env: NodeJS.ProcessEnv = process.env): ReconcileInput {
  const bizAppIds = (env.NPP_RECONCILE_BIZ_APP_IDS ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  for (const id of bizAppIds) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new Error(`NPP_RECONCILE_BIZ_APP_IDS has an invalid BizAppId: ${id}`);
  }
  return bizAppIds.length > 0 ? { bizAppIds } : {};
}
