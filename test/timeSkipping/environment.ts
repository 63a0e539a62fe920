// The time-skipping tier: the product's workflows on Temporal's time-skipping test server, where a
// 24-hour timer passes in milliseconds, with activities over the NPP simulator on loopback.
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { resolveTestServer } from '../../scripts/testServer.ts';
import { NPP_SEARCH_ATTRIBUTES } from '../../src/contract/searchAttributes.ts';
import { NppClient } from '../../src/npp/client.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';

const SECRET_ID = 'AKIDtimeskipping';
const SECRET_KEY = 'time-skipping-secret-key';
const BIZ_APP_ID = '1400000077';

// Worker chatter, the warnings of activities failing on purpose and the core's warnings about the test
// server's missing capabilities would drown the output: errors only.
Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
});

/** Random valid 0086 mobile numbers, so no two runs share a participant. */
export function phone(): string {
  return `00861${3 + Math.floor(Math.random() * 7)}${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
}

export interface TimeSkippingStack {
  env: TestWorkflowEnvironment;
  sim: Simulator;
  /** The real NPP client, signing requests to the simulator. */
  client: NppClient;
  /**
   * Runs `fn` while a worker of the product's workflows polls a fresh task queue with `activities`;
   * the worker stops when `fn` settles.
   */
  withWorker<T>(activities: WorkerOptions['activities'], fn: (taskQueue: string) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Starts the time-skipping test server (found or built by scripts/testServer.ts: a missing Java or
 * Maven fails here, naming it), registers the project's search attributes (the workflows upsert
 * them), bundles src/workflows once, and starts the simulator.
 */
export async function startTimeSkippingStack(): Promise<TimeSkippingStack> {
  const [path, { code }] = await Promise.all([
    resolveTestServer(),
    bundleWorkflowCode({
      workflowsPath: new URL('../../src/workflows/index.ts', import.meta.url).pathname,
      logger: new DefaultLogger('WARN'),
    }),
  ]);
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path } },
  });
  try {
    await registerSearchAttributes(env);
    const sim = await startSimulator({ secretId: SECRET_ID, secretKey: SECRET_KEY });
    const client = new NppClient({
      endpoint: sim.url,
      secretId: SECRET_ID,
      secretKey: SECRET_KEY,
      bizAppId: BIZ_APP_ID,
    });
    return stackOn(env, sim, client, code);
  } catch (error) {
    await env.teardown();
    throw error;
  }
}

/** The test server knows only its built-in search attributes; an upsert of any other fails the workflow task. */
async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  const { IndexedValueType } = proto.temporal.api.enums.v1;
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      NPP_SEARCH_ATTRIBUTES.map((key) => [
        key.name,
        key.type === 'KEYWORD_LIST'
          ? IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST
          : IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
}

function stackOn(env: TestWorkflowEnvironment, sim: Simulator, client: NppClient, code: string): TimeSkippingStack {
  return {
    env,
    sim,
    client,
    async withWorker(activities, fn) {
      const taskQueue = `time-skipping-${randomUUID()}`;
      const worker = await Worker.create({
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue,
        workflowBundle: { code },
        activities,
      });
      return worker.runUntil(fn(taskQueue));
    },
    async close() {
      await client.close();
      await sim.close();
      await env.teardown();
    },
  };
}

/**
 * Wraps an activity so each call is recorded with the moment the workflow scheduled it, in the test
 * server's time (which jumps when time is skipped): pauses between calls are then measurable.
 */
export function recorded<A extends unknown[], R>(
  activity: (...args: A) => Promise<R>,
): { activity: (...args: A) => Promise<R>; scheduledAtMs: number[] } {
  const scheduledAtMs: number[] = [];
  return {
    scheduledAtMs,
    activity: (...args: A) => {
      scheduledAtMs.push(Context.current().info.currentAttemptScheduledTimestampMs);
      return activity(...args);
    },
  };
}
