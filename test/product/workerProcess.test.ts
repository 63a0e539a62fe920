// The worker process, `node src/worker.ts`, as deployed: NPP at NPP_ENDPOINT (here the simulator),
// Prometheus metrics of its runtime, the webhook served in the same process, SIGTERM to stop.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ConnectedApp, connectApp } from '../../src/client/connect.ts';
import type { SessionState } from '../../src/contract/session.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';
import { freePort } from '../../src/temporal/devServer.ts';
import { type NodeProcess, sleep, spawnNode, waitForStatus } from '../helpers/process.ts';
import { phone } from '../helpers/session.ts';
import { TEST_CODEC_KEYS } from '../helpers/temporal.ts';

const SECRET_ID = `AKIDworker${randomBytes(4).toString('hex')}`;
const SECRET_KEY = randomBytes(18).toString('base64url');
/** The worker's SDK waits this long for running tasks on SIGTERM (createNppWorker's shutdownGraceTime). */
const SHUTDOWN_GRACE_MS = 15_000;

let sim: Simulator;
let worker: NodeProcess | undefined;
let app: ConnectedApp | undefined;
let archiveDir: string;
let metricsUrl: string;
let webhookUrl: string;
let workerSecret: string;

beforeAll(async () => {
  sim = await startSimulator({
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    delivery: { baseDelayMs: 20, recordingDelayMs: 0 },
  });
  archiveDir = await mkdtemp(join(tmpdir(), 'npp-worker-archive-'));
  const [metricsPort, webhookPort] = [await freePort(), await freePort()];
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  webhookUrl = `http://127.0.0.1:${webhookPort}`;
  workerSecret = randomBytes(24).toString('base64url');
  const shared = {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    NPP_TASK_QUEUE: `worker-process-${randomUUID()}`,
    NPP_CODEC_KEYS: TEST_CODEC_KEYS,
  };
  worker = spawnNode('src/worker.ts', {
    ...shared,
    WORKER_METRICS_PORT: String(metricsPort),
    NPP_ENDPOINT: sim.url,
    TENCENTCLOUD_SECRET_ID: SECRET_ID,
    TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
    NPP_BIZ_APP_ID: '1400000077',
    NPP_ARCHIVE_DIR: archiveDir,
    WEBHOOK_IN_WORKER: 'true',
    WEBHOOK_PORT: String(webhookPort),
    WEBHOOK_SECRET: workerSecret,
    WEBHOOK_PUBLIC_URL: webhookUrl,
    LOG_LEVEL: 'info',
  });
  // The worker bundles the workflow sources itself before it polls.
  await worker.waitForOutput('worker started', 110_000);
  app = await connectApp(shared);
}, 120_000);

afterAll(async () => {
  worker?.kill();
  await app?.close();
  await sim?.close();
  await rm(archiveDir, { recursive: true, force: true });
});

async function sessionUntil(key: string, done: (state: SessionState) => boolean): Promise<SessionState> {
  let state = await (app as ConnectedApp).sessions.getSession(key);
  for (let attempt = 0; attempt < 100 && !done(state); attempt++) {
    await sleep(200);
    state = await (app as ConnectedApp).sessions.getSession(key);
  }
  return state;
}

describe('node src/worker.ts', () => {
  const key = `worker-process-${randomUUID().slice(0, 8)}`;
  const [src, dst] = [phone(), phone()];

  it('runs a session started by the app client: binds on NPP_ENDPOINT, callbacks through its webhook', async () => {
    const started = await (app as ConnectedApp).sessions.startSession({ sessionKey: key, mode: 'AXB', src, dst });
    expect(started.workflowId).toBe(`npp-session-${key}`);
    const bound = await sessionUntil(key, (state) => !!state.bindId);
    expect(bound).toMatchObject({ status: 'open' });
    const bindings = (await (await fetch(`${sim.url}/_sim/bindings`)).json()) as { BindId: string }[];
    expect(bindings.map((binding) => binding.BindId)).toContain(bound.bindId);

    // The platform pushes the call's events to the per-session URLs under WEBHOOK_PUBLIC_URL.
    const call = await fetch(`${sim.url}/_sim/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ virtualNum: bound.virtualNum, party: 'A', durationSeconds: 20, wait: true }),
    });
    expect(call.status).toBe(200);
    const withCall = await sessionUntil(key, (state) => state.calls.some((entry) => entry.state === 'ended'));
    expect(withCall.status).toBe('in-progress');
    expect(withCall.calls).toMatchObject([{ state: 'ended' }]);

    const closed = await (app as ConnectedApp).sessions.closeSession(key, { wait: true });
    expect(closed).toMatchObject({ status: 'closed', closedReason: 'closed-by-app' });
  });

  it("serves Prometheus metrics of the worker's Temporal runtime on WORKER_METRICS_PORT", async () => {
    const metrics = await (await waitForStatus(metricsUrl)).text();
    expect(metrics).toMatch(/^temporal_\w+/m);
    // Series of this worker's own task queue, from the session above.
    expect(metrics).toMatch(/temporal_workflow_task\w*\{[^}]*task_queue="worker-process-/);
  });

  it('serves the webhook in the same process', async () => {
    expect(await (await waitForStatus(`${webhookUrl}/healthz`)).json()).toEqual({ status: 'ok' });
    await waitForStatus(`${webhookUrl}/readyz`);
  });

  it('never logs participants, secrets or codec keys', () => {
    const output = (worker as NodeProcess).output();
    for (const secret of [src, dst, SECRET_KEY, workerSecret, TEST_CODEC_KEYS.split(':')[1] as string])
      expect(output).not.toContain(secret);
  });

  it('exits 0 on SIGTERM within the shutdown grace, closing metrics and webhook', async () => {
    const { code, ms } = await (worker as NodeProcess).stop('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(SHUTDOWN_GRACE_MS);
    expect((worker as NodeProcess).output()).toContain('worker stopped');
    await expect(fetch(`${webhookUrl}/healthz`)).rejects.toThrow();
    await expect(fetch(metricsUrl)).rejects.toThrow();
  });
});

describe('worker process configuration errors', () => {
  const credentials = { TENCENTCLOUD_SECRET_ID: 'AKIDconfigtest', TENCENTCLOUD_SECRET_KEY: 'config-test-secret-key' };
  it.each([
    [{ ...credentials, WORKER_METRICS_PORT: 'abc' }, 'WORKER_METRICS_PORT is not a port: abc'],
    [
      { ...credentials, WEBHOOK_PUBLIC_URL: 'https://hooks.example.com' },
      'WEBHOOK_PUBLIC_URL is set but WEBHOOK_SECRET is not',
    ],
    [
      { TENCENTCLOUD_SECRET_ID: 'AKIDconfigtest' },
      'NPP client configuration: missing environment variable(s) TENCENTCLOUD_SECRET_KEY',
    ],
  ])('%j exits 1 with one readable line', async (env, message) => {
    const worker = spawnNode('src/worker.ts', { NPP_CODEC_KEYS: TEST_CODEC_KEYS, ...env });
    expect(await worker.exited).toBe(1);
    expect(worker.output().trimEnd().split('\n').at(-1)).toBe(`worker failed: ${message}`);
    expect(worker.output()).not.toMatch(/\n\s+at /);
  });
});
