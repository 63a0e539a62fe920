// `npm start` without TEMPORAL_ADDRESS: the embedded stack starts its own Temporal dev server (with
// its UI) on the ports it is given, or attaches to a server already listening on that port.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SessionClient } from '../../src/client/sessions.ts';
import { type EmbeddedStack, startEmbeddedStack } from '../../src/embedded.ts';
import { freePort } from '../../src/temporal/devServer.ts';
import { isPortOpen, sleep, waitForStatus } from '../helpers/process.ts';
import { phone } from '../helpers/session.ts';
import { TEST_CODEC_KEYS, testDataConverter } from '../helpers/temporal.ts';

const logger = pino({ level: 'warn' });
let dir: string;
let temporalPort: number;
let uiPort: number;
let owner: EmbeddedStack | undefined;
let attached: EmbeddedStack | undefined;
let client: Client | undefined;

/** The embedded stack's environment: no TEMPORAL_ADDRESS, every port its own. */
async function stackEnv(): Promise<Record<string, string | undefined>> {
  const simPort = await freePort();
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NPP_TASK_QUEUE: `embedded-dev-${randomUUID()}`,
    NPP_CODEC_KEYS: TEST_CODEC_KEYS,
    NPP_SIM_PORT: String(simPort),
    WEBHOOK_PORT: String(await freePort()),
    NPP_ARCHIVE_DIR: join(dir, `archive-${simPort}`),
    LOG_LEVEL: 'warn',
  };
}

async function startStack(): Promise<EmbeddedStack> {
  return startEmbeddedStack({
    logger,
    env: await stackEnv(),
    temporalPort,
    temporalUiPort: uiPort,
    temporalDbFile: join(dir, 'dev-server.sqlite'),
    workflowBundlePath: inject('workflowBundlePath'),
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'npp-embedded-dev-'));
  [temporalPort, uiPort] = [await freePort(), await freePort()];
  owner = await startStack();
  client = new Client({
    connection: await Connection.connect({ address: owner.temporal.address }),
    namespace: owner.temporal.namespace,
    dataConverter: testDataConverter(),
  });
}, 120_000);

afterAll(async () => {
  await client?.connection.close();
  await attached?.stop();
  await owner?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('startEmbeddedStack without TEMPORAL_ADDRESS', () => {
  it('starts and owns a dev server on the given port, its UI on the given UI port', async () => {
    const stack = owner as EmbeddedStack;
    expect(stack.production).toBe(false);
    expect(stack.temporal.owned).toBe(true);
    expect(stack.temporal.address).toMatch(new RegExp(`:${temporalPort}$`));
    expect(stack.temporal.address).not.toBe(inject('temporalAddress'));
    expect(stack.temporal.uiUrl).toBe(`http://127.0.0.1:${uiPort}`);
    const ui = await waitForStatus(stack.temporal.uiUrl as string);
    expect(await ui.text()).toMatch(/<html/i);
  });

  it('binds a session on its own simulator through its own server', async () => {
    const stack = owner as EmbeddedStack;
    const sessions = new SessionClient({ client: client as Client, taskQueue: stack.taskQueue });
    const key = `embedded-dev-${randomUUID().slice(0, 8)}`;
    await sessions.startSession({ sessionKey: key, mode: 'AXB', src: phone(), dst: phone(), drainSeconds: 0 });
    let state = await sessions.getSession(key);
    for (let attempt = 0; attempt < 100 && !state.bindId; attempt++) {
      await sleep(200);
      state = await sessions.getSession(key);
    }
    expect(state).toMatchObject({ status: 'open' });
    const bindings = (await (await fetch(`${stack.simulator?.url}/_sim/bindings`)).json()) as { BindId: string }[];
    expect(bindings.map((binding) => binding.BindId)).toEqual([state.bindId]);
    expect(await sessions.closeSession(key, { wait: true })).toMatchObject({ status: 'closed' });
  });

  it('attaches to a server already listening on the given port instead of starting another', async () => {
    attached = await startStack();
    expect(attached.temporal.owned).toBe(false);
    expect(attached.temporal.address).toBe(`127.0.0.1:${temporalPort}`);
    // Stopping the attached stack leaves the owner's server up.
    await attached.stop();
    attached = undefined;
    expect(await isPortOpen(temporalPort)).toBe(true);
  });

  it('refuses to join a task queue that other workers already serve', async () => {
    const env = { ...(await stackEnv()), NPP_TASK_QUEUE: (owner as EmbeddedStack).taskQueue };
    await expect(
      startEmbeddedStack({
        logger,
        env,
        temporalPort,
        temporalUiPort: uiPort,
        workflowBundlePath: inject('workflowBundlePath'),
      }),
    ).rejects.toThrow(/already has workers on task queue embedded-dev-.*; set NPP_TASK_QUEUE/);
  });

  it('stops its dev server and UI on stop()', async () => {
    await client?.connection.close();
    client = undefined;
    await (owner as EmbeddedStack).stop();
    owner = undefined;
    expect(await isPortOpen(temporalPort)).toBe(false);
    expect(await isPortOpen(uiPort)).toBe(false);
  });
});
