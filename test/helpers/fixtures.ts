// The set-up of the tests that run workflows against the simulated platform, as vitest fixtures:
// what a test names in its first argument is started for it and stopped after it.
import { test as base } from 'vitest';
import { type Activities, createActivities } from '../../src/activities/index.ts';
import type { SimulatorOptions } from '../../src/simulator/server.ts';
import type { WebhookServerOptions } from '../../src/webhooks/server.ts';
import { SECRET, startTestWebhook, type TestWebhook } from '../webhooks/helpers.ts';
import { expectNoBindings, startNppStack } from './session.ts';
import { connectClient, type WorkerContext, withWorker } from './temporal.ts';

/** What startNppStack sets is enough for sessions. */
const SESSION_SIMULATOR: Partial<SimulatorOptions> = {};
/** Callback calls end on their callbacks: redelivered a little longer than session ones. */
const CALLBACK_SIMULATOR: Partial<SimulatorOptions> = { delivery: { baseDelayMs: 50, maxAttempts: 10 } };
const WEBHOOK_DEFAULTS: Partial<WebhookServerOptions> = {};

/**
 * The test API of the session tests. Per file: `npp`, the simulator over HTTP with the real client
 * and the activities on it, and `webhook`, a webhook server signalling the run's Temporal server.
 * Per test: `worker`, an in-process worker on a fresh task queue (withWorker) registering
 * `activities`. After every test nothing may stay bound on the platform, and the simulator is reset.
 *
 * A file changes the options with `test.override(name, value)` at its top level:
 * `simulatorOptions`, `webhookOptions`, `activities`, and `leakCheck: false` for a file whose
 * tests leave bindings behind on purpose.
 */
export const test = base
  .extend('simulatorOptions', { scope: 'file' }, SESSION_SIMULATOR)
  .extend('npp', { scope: 'file' }, async ({ simulatorOptions }, { onCleanup }) => {
    const npp = await startNppStack(simulatorOptions);
    onCleanup(() => npp.close());
    return npp;
  })
  .extend('webhookOptions', { scope: 'file' }, WEBHOOK_DEFAULTS)
  .extend('webhook', { scope: 'file' }, async ({ webhookOptions }, { onCleanup }): Promise<TestWebhook> => {
    const client = await connectClient();
    const webhook = await startTestWebhook(client, webhookOptions);
    onCleanup(async () => {
      await webhook.close();
      await client.connection.close();
    });
    return webhook;
  })
  .extend('leakCheck', { scope: 'file' }, true as boolean)
  // Registered before `worker`, so it is torn down after it: the check sees what stopped workflows left.
  .extend('noBindingsLeft', { auto: true }, async ({ npp, leakCheck }, { onCleanup }) => {
    if (!leakCheck) return;
    onCleanup(async () => {
      try {
        await expectNoBindings(npp.sim);
      } finally {
        // One failing test must not fail the next ones too.
        npp.sim.reset();
      }
    });
  })
  .extend('activities', { scope: 'file' }, ({ npp }): Activities => npp.activities)
  .extend<{ worker: WorkerContext }>({
    worker: async ({ activities }, use) => {
      await withWorker({ activities }, use);
    },
  });

/**
 * `test` for callback calls: the worker's activities name the file's `webhook` as the platform's
 * callback URL, and the simulator redelivers callbacks longer.
 */
export const callBackTest = test
  .extend('simulatorOptions', { scope: 'file' }, CALLBACK_SIMULATOR)
  .extend(
    'activities',
    { scope: 'file' },
    ({ npp, webhook }): Activities =>
      createActivities({ client: npp.client, callbacks: { publicUrl: webhook.base, secret: SECRET } }),
  );
