// `npm start` (src/main.ts) in production mode: TEMPORAL_ADDRESS, TENCENTCLOUD_* and NPP_ENDPOINT
// set, so it runs against them and starts no simulator. An in-process simulator plays the platform.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ConnectedApp, connectApp } from '../../src/client/connect.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';
import { freePort } from '../../src/temporal/devServer.ts';
import { isPortOpen, type NodeProcess, sleep, spawnNode } from '../helpers/process.ts';
import { phone } from '../helpers/session.ts';
import { TEST_CODEC_KEYS } from '../helpers/temporal.ts';

const SECRET_ID = `AKIDplatform${randomBytes(4).toString('hex')}`;
const SECRET_KEY = randomBytes(18).toString('base64url');

let platform: Simulator;
let main: NodeProcess | undefined;
let app: ConnectedApp | undefined;
let simPort: number;

beforeAll(async () => {
  platform = await startSimulator({ secretId: SECRET_ID, secretKey: SECRET_KEY });
  simPort = await freePort();
  const temporal = {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    NPP_TASK_QUEUE: `production-${randomUUID()}`,
    NPP_CODEC_KEYS: TEST_CODEC_KEYS,
  };
  // No NODE_ENV: production mode follows from the variables alone.
  main = spawnNode('src/main.ts', {
    ...temporal,
    TENCENTCLOUD_SECRET_ID: SECRET_ID,
    TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
    NPP_ENDPOINT: platform.url,
    NPP_BIZ_APP_ID: '1400000088',
    WEBHOOK_SECRET: randomBytes(24).toString('base64url'),
    WEBHOOK_PORT: String(await freePort()),
    // Would be the simulator's port in the embedded default; production must leave it alone.
    NPP_SIM_PORT: String(simPort),
  });
  await main.waitForOutput('ready (Ctrl-C stops everything)', 110_000);
  app = await connectApp(temporal);
}, 120_000);

afterAll(async () => {
  main?.kill();
  await app?.close();
  await platform?.close();
});

describe('npm start in production mode', () => {
  it('says so in its banner and starts no simulator', async () => {
    const output = (main as NodeProcess).output();
    expect(output).toContain('Mode:         production (real NPP, external Temporal)');
    expect(output).toContain(`Temporal:     ${inject('temporalAddress')} (namespace default, reused)`);
    expect(output).not.toMatch(/^Simulator:/m);
    expect(output).not.toContain('Production mode needs');
    // Nothing suggested that only works against the simulator.
    expect(output).not.toMatch(/npm run demo|sim call/);
    expect(await isPortOpen(simPort)).toBe(false);
  });

  it('binds sessions on the platform at NPP_ENDPOINT', async () => {
    const key = `production-${randomUUID().slice(0, 8)}`;
    await (app as ConnectedApp).sessions.startSession({ sessionKey: key, mode: 'XB', dst: phone(), drainSeconds: 0 });
    let state = await (app as ConnectedApp).sessions.getSession(key);
    for (let attempt = 0; attempt < 100 && !state.bindId; attempt++) {
      await sleep(200);
      state = await (app as ConnectedApp).sessions.getSession(key);
    }
    const bindings = (await (await fetch(`${platform.url}/_sim/bindings`)).json()) as { BindId: string }[];
    expect(state.bindId).toBeTruthy();
    expect(bindings.map((binding) => binding.BindId)).toContain(state.bindId);
    expect(await (app as ConnectedApp).sessions.closeSession(key, { wait: true })).toMatchObject({ status: 'closed' });
  });

  it('stops on Ctrl-C with exit code 0, the simulator port still closed', async () => {
    const { code } = await (main as NodeProcess).stop('SIGINT');
    expect(code).toBe(0);
    const output = (main as NodeProcess).output();
    expect(output).toContain('SIGINT: stopping the worker, webhook and Temporal…');
    expect(output).toContain('stopped');
    expect(await isPortOpen(simPort)).toBe(false);
  });
});
