import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/temporal/devServer.ts';
import { post, sessionUrl, startTestWebhook, type TestWebhook } from './helpers.ts';
import { statusBody } from './payloads.ts';

// Temporal unreachable: a client whose connection targets a loopback port nobody listens on.
let client: Client;
let webhook: TestWebhook;

beforeAll(async () => {
  const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
  client = new Client({ connection });
  webhook = await startTestWebhook(client, { temporalTimeoutMs: 1000, retryAfterSeconds: 7 });
});

afterAll(async () => {
  await webhook.close();
  await client.connection.close();
});

describe('with Temporal unreachable', () => {
  it('answers callbacks 503 with Retry-After, so the platform redelivers', async () => {
    const answer = await post(sessionUrl(webhook, 'status', 'npp-session-x'), statusBody('c1'));
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('7');
    expect(answer.body).toEqual({ error: 'temporal_unavailable' });
  });

  it('is live but not ready', async () => {
    expect((await fetch(`${webhook.base}/healthz`)).status).toBe(200);
    expect((await fetch(`${webhook.base}/readyz`)).status).toBe(503);
  });

  it('still rejects bad requests first: 401 and 400 do not wait for Temporal', async () => {
    expect((await post(`${webhook.base}/npp/callbacks/status/x?token=nope`, statusBody('c1'))).status).toBe(401);
    expect((await post(sessionUrl(webhook, 'status', 'x'), { callId: 'c1' })).status).toBe(400);
  });

  it('answers an in-flight request before close() resolves', async () => {
    const inFlight = post(sessionUrl(webhook, 'status', 'npp-session-y'), statusBody('c2'));
    // The request is waiting on Temporal (up to its 1 s deadline) when close() starts.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const closed = webhook.close();
    expect((await inFlight).status).toBe(503);
    await closed;
    await expect(fetch(`${webhook.base}/healthz`)).rejects.toThrow();
  });
});
