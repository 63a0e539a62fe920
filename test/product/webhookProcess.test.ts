// The standalone webhook server, `node src/webhooks/main.ts`, as an operator runs it beside workers.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/temporal/devServer.ts';
import { type NodeProcess, spawnNode, waitForStatus } from '../helpers/process.ts';
import { TEST_CODEC_KEYS } from '../helpers/temporal.ts';

const SCRIPT = 'src/webhooks/main.ts';
const spawned: NodeProcess[] = [];

async function webhookEnv(): Promise<Record<string, string>> {
  return {
    WEBHOOK_PORT: String(await freePort()),
    WEBHOOK_SECRET: randomBytes(24).toString('base64url'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    NPP_CODEC_KEYS: TEST_CODEC_KEYS,
    LOG_LEVEL: 'info',
  };
}

function start(env: Record<string, string | undefined>): NodeProcess {
  const webhook = spawnNode(SCRIPT, env);
  spawned.push(webhook);
  return webhook;
}

afterAll(() => {
  for (const child of spawned) child.kill();
});

describe('node src/webhooks/main.ts', () => {
  let webhook: NodeProcess;
  let env: Record<string, string>;
  let base: string;

  beforeAll(async () => {
    env = await webhookEnv();
    base = `http://127.0.0.1:${env.WEBHOOK_PORT}`;
    webhook = start(env);
    await webhook.waitForOutput('webhook server listening', 30_000);
  });

  it('answers /healthz and, with Temporal reachable, /readyz', async () => {
    expect(await (await waitForStatus(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    await waitForStatus(`${base}/readyz`);
  });

  it('logs where it listens, never its secret or codec key', () => {
    expect(webhook.output()).toContain(`"url":"${base}"`);
    expect(webhook.output()).not.toContain(env.WEBHOOK_SECRET);
    expect(webhook.output()).not.toContain(TEST_CODEC_KEYS.split(':')[1]);
  });

  it('stops on SIGTERM with exit code 0 and closes its port', async () => {
    const { code } = await webhook.stop('SIGTERM');
    expect(code).toBe(0);
    expect(webhook.output()).toContain('webhook server stopped');
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});

describe('node src/webhooks/main.ts, misconfigured', () => {
  it('refuses to start without WEBHOOK_SECRET, naming the variable', async () => {
    const { WEBHOOK_SECRET: _secret, ...env } = await webhookEnv();
    const webhook = start(env);
    const code = await webhook.exited;
    expect(code).toBe(1);
    expect(webhook.output()).toBe('webhook server not started: WEBHOOK_SECRET is required\n');
  });

  it('refuses a short WEBHOOK_SECRET without echoing it', async () => {
    const webhook = start({ ...(await webhookEnv()), WEBHOOK_SECRET: 'short-secret-1' });
    const code = await webhook.exited;
    expect(code).toBe(1);
    expect(webhook.output()).toBe('webhook server not started: WEBHOOK_SECRET must be at least 16 characters\n');
    expect(webhook.output()).not.toContain('short-secret-1');
  });
});
