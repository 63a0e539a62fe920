import { connect } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackUrl } from '../../src/npp/callbacks/urls.ts';
import { loadIngressConfig } from '../../src/webhooks/config.ts';
import { DEFAULT_INGRESS_LIMITS, type TrustProxy } from '../../src/webhooks/ingress.ts';
import { SECRET, SHARED_TOKEN, startTestWebhook, type TestWebhook } from '../webhooks/helpers.ts';

// Ingress hardening of the webhook server: per-IP rate limit, timeouts, header limit, security headers.

const LIMIT = 5;
let client: Client;
let webhook: TestWebhook;
// More client addresses: loopback is all of 127/8, so the server sees 127.0.0.2 as another IP.
const otherIp = new Agent({ localAddress: '127.0.0.2' });
const thirdIp = new Agent({ localAddress: '127.0.0.3' });

beforeAll(async () => {
  client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  webhook = await startTestWebhook(client, {
    limits: { rateLimitMax: LIMIT, rateLimitWindowMs: 60_000, headersTimeoutMs: 300, requestTimeoutMs: 600 },
  });
});

afterAll(async () => {
  await otherIp.close();
  await thirdIp.close();
  await webhook.close();
  await client.connection.close();
});

const SECURITY_HEADERS = ['x-content-type-options', 'x-frame-options', 'content-security-policy', 'referrer-policy'];

function expectSecurityHeaders(headers: Headers): void {
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('cache-control')).toBe('no-store');
}

/** Sends raw bytes and resolves with what the server answered before closing the socket. */
function rawExchange(base: string, bytes: string): Promise<{ answer: string; elapsedMs: number }> {
  const { hostname, port } = new URL(base);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(bytes));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += String(chunk);
    });
    socket.on('close', () => resolve({ answer, elapsedMs: Date.now() - started }));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('the server never closed the connection')));
  });
}

describe('webhook ingress hardening', () => {
  it('answers 429 past the per-IP limit while another client IP keeps being served', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++) statuses.push((await fetch(`${webhook.base}/npp/callbacks/status`)).status);
    expect(statuses.slice(0, LIMIT).every((status) => status !== 429)).toBe(true);
    expect(statuses.slice(LIMIT)).toEqual([429, 429]);

    const limited = await fetch(`${webhook.base}/npp/callbacks/status`, { method: 'POST' });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({ error: 'rate_limited' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expectSecurityHeaders(limited.headers);

    // Another address is served as usual, past the first one's limit.
    for (let i = 0; i < LIMIT; i++) {
      const served = await undiciFetch(`${webhook.base}/nowhere`, { dispatcher: otherIp });
      expect(served.status).toBe(404);
      await served.arrayBuffer();
    }
    // Probes and scrapes are never limited.
    expect((await fetch(`${webhook.base}/healthz`)).status).toBe(200);
    expect((await fetch(`${webhook.base}/metrics`)).status).toBe(200);
  });

  it("never counts the platform's callbacks (a valid token) against the limit; forged ones are", async () => {
    const platform = new Agent({ localAddress: '127.0.0.4' });
    try {
      const signed = callbackUrl({ publicUrl: webhook.base, secret: SECRET }, 'status', 'npp-session-limit');
      const shared = `${webhook.base}/npp/callbacks/status?token=${SHARED_TOKEN}`;
      const post = async (url: string) => {
        const answer = await undiciFetch(url, {
          dispatcher: platform,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        await answer.arrayBuffer();
        return answer.status;
      };
      const statuses: number[] = [];
      for (let i = 0; i < LIMIT * 2; i++) statuses.push(await post(i % 2 ? signed : shared));
      // A burst twice the limit: refused for its content (400), never for its rate.
      expect(statuses).toEqual(Array(LIMIT * 2).fill(400));
      const forged: number[] = [];
      for (let i = 0; i < LIMIT + 1; i++) forged.push(await post(`${webhook.base}/npp/callbacks/status?token=forged`));
      expect(forged).toEqual([...Array(LIMIT).fill(401), 429]);
    } finally {
      await platform.close();
    }
  });

  it('puts security headers on every answer', async () => {
    const health = await undiciFetch(`${webhook.base}/healthz`, { dispatcher: thirdIp });
    expect(health.status).toBe(200);
    expectSecurityHeaders(health.headers as unknown as Headers);
    const tooLarge = await undiciFetch(`${webhook.base}/npp/callbacks/status?token=${SHARED_TOKEN}`, {
      dispatcher: thirdIp,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(70_000) }),
    });
    expect(tooLarge.status).toBe(413);
    for (const name of SECURITY_HEADERS) expect(tooLarge.headers.get(name), name).not.toBeNull();
    const unauthorized = await undiciFetch(`${webhook.base}/npp/callbacks/status?token=wrong`, {
      dispatcher: thirdIp,
      method: 'POST',
    });
    expect(unauthorized.status).toBe(401);
    for (const name of SECURITY_HEADERS) expect(unauthorized.headers.get(name), name).not.toBeNull();
  });

  it('drops a client that sends its headers too slowly (408), and refuses oversized headers (431)', async () => {
    const slow = await rawExchange(webhook.base, 'GET /healthz HTTP/1.1\r\nHost: x\r\n');
    expect(slow.answer).toMatch(/^HTTP\/1\.1 408/);
    expect(slow.elapsedMs).toBeLessThan(3000);
    const huge = await rawExchange(
      webhook.base,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
    );
    expect(huge.answer).toMatch(/^HTTP\/1\.1 431/);
  });
});

describe('rate limit behind a proxy (WEBHOOK_TRUST_PROXY)', () => {
  /**
   * On a fresh server: LIMIT requests from one forwarded client, then one more from it and one from
   * another client, all through the same peer (this test, as the proxy). Answers their statuses.
   */
  async function forwardedStatuses(trustProxy: TrustProxy | undefined) {
    const proxied = await startTestWebhook(client, {
      limits: { rateLimitMax: LIMIT, rateLimitWindowMs: 60_000 },
      ...(trustProxy === undefined ? {} : { trustProxy }),
    });
    const ask = async (forwardedFor: string) => {
      const answer = await fetch(`${proxied.base}/nowhere`, { headers: { 'x-forwarded-for': forwardedFor } });
      await answer.arrayBuffer();
      return answer.status;
    };
    try {
      for (let i = 0; i < LIMIT; i++) expect(await ask('198.51.100.1')).toBe(404);
      return {
        sameClient: await ask('198.51.100.1'),
        // The proxy appends the address it saw; what the client wrote before it must not count.
        sameClientSpoofing: await ask('203.0.113.9, 198.51.100.1'),
        otherClient: await ask('198.51.100.2'),
      };
    } finally {
      await proxied.close();
    }
  }

  const trusting = (value: string) => loadIngressConfig({ WEBHOOK_TRUST_PROXY: value }).trustProxy;

  it('gives each forwarded client its own bucket when the proxy is trusted by address or hop count', async () => {
    const separate = { sameClient: 429, sameClientSpoofing: 429, otherClient: 404 };
    expect(await forwardedStatuses(trusting('127.0.0.1/32'))).toEqual(separate);
    expect(await forwardedStatuses(trusting('loopback'))).toEqual(separate);
    expect(await forwardedStatuses(trusting('1'))).toEqual(separate);
  });

  it('counts every forwarded client in the peer bucket when the peer is not a trusted proxy', async () => {
    const shared = { sameClient: 429, sameClientSpoofing: 429, otherClient: 429 };
    expect(await forwardedStatuses(undefined)).toEqual(shared);
    expect(await forwardedStatuses(trusting('10.0.0.0/8, 192.0.2.1'))).toEqual(shared);
  });

  it('reads true, hop counts and address lists, and rejects anything else naming the variable', () => {
    expect(loadIngressConfig({}).trustProxy).toBeUndefined();
    expect(trusting('false')).toBeUndefined();
    expect(trusting('true')).toBe(true);
    expect(trusting('2')).toBe(2);
    expect(trusting('10.0.0.1, 172.16.0.0/12,fd00::/8, loopback')).toEqual([
      '10.0.0.1',
      '172.16.0.0/12',
      'fd00::/8',
      'loopback',
    ]);
    for (const bad of ['0', 'yes', '10.0.0.0/33', '10.0.0.1/8/8', 'proxy.example.com', '10.0.0.1,,10.0.0.2']) {
      expect(() => trusting(bad), bad).toThrow('WEBHOOK_TRUST_PROXY');
    }
  });
});

describe('ingress config', () => {
  it('has defaults, reads overrides, and turns the codec server on with a token', () => {
    expect(loadIngressConfig({})).toEqual({ limits: DEFAULT_INGRESS_LIMITS });
    const config = loadIngressConfig({
      WEBHOOK_RATE_LIMIT_MAX: '50',
      WEBHOOK_RATE_LIMIT_WINDOW_MS: '10000',
      CODEC_SERVER_TOKEN: 'a-long-enough-codec-token',
      CODEC_CORS_ORIGIN: 'http://localhost:8233, http://127.0.0.1:8233',
    });
    expect(config.limits).toMatchObject({ rateLimitMax: 50, rateLimitWindowMs: 10_000 });
    expect(config.codecServer).toEqual({
      token: 'a-long-enough-codec-token',
      corsOrigins: ['http://localhost:8233', 'http://127.0.0.1:8233'],
    });
  });

  it('rejects bad values with errors that name the variable, never the token', () => {
    expect(() => loadIngressConfig({ WEBHOOK_RATE_LIMIT_MAX: 'lots' })).toThrow('WEBHOOK_RATE_LIMIT_MAX');
    expect(() => loadIngressConfig({ WEBHOOK_HEADERS_TIMEOUT_MS: '20000' })).toThrow(
      'WEBHOOK_HEADERS_TIMEOUT_MS must not exceed WEBHOOK_REQUEST_TIMEOUT_MS',
    );
    expect(() => loadIngressConfig({ CODEC_SERVER_TOKEN: 'short-tok' })).toThrow(
      'CODEC_SERVER_TOKEN must be at least 16 characters',
    );
    expect(() => loadIngressConfig({ CODEC_SERVER_TOKEN: 'short-tok' })).not.toThrow('short-tok');
    expect(() =>
      loadIngressConfig({ CODEC_SERVER_TOKEN: 'a-long-enough-codec-token', CODEC_CORS_ORIGIN: 'localhost:8233/x' }),
    ).toThrow('CODEC_CORS_ORIGIN must list origins');
  });
});
