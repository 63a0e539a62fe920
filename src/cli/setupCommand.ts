// `npp-temporal setup`: idempotent preparation of a Temporal namespace for this app: the search
// attributes and the CDR reconciliation schedule. Safe to run on every deployment.
import type { ConnectedApp } from '../client/connect.ts';
import { NPP_SEARCH_ATTRIBUTES } from '../contract/searchAttributes.ts';
import {
  ensureReconcileSchedule,
  RECONCILE_SCHEDULE_ID,
  reconcileInputFromEnv,
} from '../schedules/reconcileSchedule.ts';
import { registerSearchAttributes } from '../temporal/devServer.ts';
import { type Output, printResult, withApp } from './output.ts';

export async function setupCommand(connect: () => Promise<ConnectedApp>, output: Output): Promise<void> {
  await withApp(connect, async (app) => {
    const namespace = app.client.options.namespace;
    await registerSearchAttributes(app.connection, namespace);
    const schedule = await ensureReconcileSchedule(app.client, {
      taskQueue: app.taskQueue,
      input: reconcileInputFromEnv(),
    });
    const result = {
      namespace,
      searchAttributes: NPP_SEARCH_ATTRIBUTES.map((attribute) => `${attribute.name} (${attribute.type})`),
      schedule: { id: RECONCILE_SCHEDULE_ID, outcome: schedule },
    };
    printResult(output, result, () =>
      [
        `namespace ${namespace}: search attributes registered`,
        ...result.searchAttributes.map((name) => `  ${name}`),
        `schedule ${RECONCILE_SCHEDULE_ID}: ${schedule}`,
      ].join('\n'),
    );
  });
}
