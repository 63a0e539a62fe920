import { Client, Connection } from '@temporalio/client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { parseCodecKeys } from '../../src/codec/keys.ts';
import { maskPhone } from '../../src/phone.ts';
import { createDataConverter } from '../../src/temporal/dataConverter.ts';
import { freePort, startDevServer, type TemporalServer } from '../../src/temporal/devServer.ts';
import { type StartedWebhookServer, startWebhookServer } from '../../src/webhooks/server.ts';
import { test } from '../helpers/fixtures.ts';
import { phone, startSession, waitUntilBound } from '../helpers/session.ts';
import { TEST_CODEC_KEYS } from '../helpers/temporal.ts';
import { launchChromium, withUiServerWorker } from '../helpers/ui.ts';

// What `npm start` sets up: the dev server's UI decodes payloads through the webhook's codec server,
// with the token in the endpoint's path (the UI sends no credentials of its own).

const CODEC_TOKEN = 'ui-codec-test-token-0123456789';
let server: TemporalServer;
let webhook: StartedWebhookServer;
let webhookClient: Client;
let browser: Browser;
// The session is still open when the test ends, its binding with it.
test.override('leakCheck', false);

beforeAll(async () => {
  const [webhookPort, uiPort] = [await freePort(), await freePort()];
  // The webhook only serves the codec here; its Temporal client is never used.
  webhookClient = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  webhook = await startWebhookServer({
    client: webhookClient,
    secrets: { current: 'ui-codec-test-webhook-secret' },
    port: webhookPort,
    host: '127.0.0.1',
    codecServer: {
      token: CODEC_TOKEN,
      corsOrigins: [`http://127.0.0.1:${uiPort}`],
      codec: createDataConverter(parseCodecKeys(TEST_CODEC_KEYS)).codec,
    },
  });
  [server, browser] = await Promise.all([
    startDevServer({ ui: true, uiPort, uiCodecEndpoint: `${webhook.url}/codec/${CODEC_TOKEN}` }),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await webhook?.close();
  await webhookClient?.connection.close();
});

describe('Temporal UI with the codec server', () => {
  test('shows the decoded memo: masked numbers, readable to whoever may use the codec', async ({ npp }) => {
    const page = await browser.newPage();
    try {
      await withUiServerWorker(server, npp, async (client, taskQueue) => {
        const [src, dst] = [phone(), phone()];
        const handle = await startSession(client, taskQueue, { mode: 'AXB', src, dst });
        await waitUntilBound(handle);
        const { runId } = await handle.describe();
        await page.goto(`${server.uiUrl}/namespaces/${server.namespace}/workflows/${handle.workflowId}/${runId}/memo`);
        await expect.poll(async () => page.content(), { timeout: 20_000, interval: 500 }).toContain(maskPhone(dst));
        expect(await page.content()).toContain(maskPhone(src));
      });
    } finally {
      await page.close();
    }
  });
});
