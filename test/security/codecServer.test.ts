import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAesGcmCodec } from '../../src/codec/aesGcmCodec.ts';
import { parseCodecKeys } from '../../src/codec/keys.ts';
import { startTestWebhook, type TestWebhook } from '../webhooks/helpers.ts';

// The remote codec endpoint Temporal UI calls, mounted in the webhook server. Nothing here reaches
// Temporal: the webhook's client is lazy and points nowhere.

const TOKEN = 'codec-server-test-token-0123456789';
const UI_ORIGIN = 'http://localhost:8233';
const SECOND_UI_ORIGIN = 'http://127.0.0.1:8233';
const OLD = `old:${randomBytes(32).toString('base64')}`;
const CURRENT = `current:${randomBytes(32).toString('base64')}`;
const NUMBER = '008613812345678';

let client: Client;
let webhook: TestWebhook;
let plainWebhook: TestWebhook;

beforeAll(async () => {
  client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const codec = createAesGcmCodec(parseCodecKeys(`${CURRENT},${OLD}`));
  webhook = await startTestWebhook(client, {
    codecServer: { codec, token: TOKEN, corsOrigins: [UI_ORIGIN, SECOND_UI_ORIGIN] },
  });
  plainWebhook = await startTestWebhook(client);
});

afterAll(async () => {
  await webhook.close();
  await plainWebhook.close();
  await client.connection.close();
});

/** A payload in the UI's protobuf JSON: metadata values and data in base64. */
function toJson(payload: Payload) {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
    ),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  };
}

const jsonPayload = (value: unknown) => toJson(defaultPayloadConverter.toPayload(value) as Payload);

async function codecCall(operation: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${webhook.base}/codec/${operation}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      'x-namespace': 'default',
      origin: UI_ORIGIN,
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('codec server', () => {
  it('round-trips payloads: encode encrypts, decode gives back the original', async () => {
    const original = [jsonPayload({ dst: NUMBER }), jsonPayload('hello')];
    const encoded = await codecCall('encode', { payloads: original });
    expect(encoded.status).toBe(200);
    const sealed = encoded.body.payloads as ReturnType<typeof toJson>[];
    expect(sealed).toHaveLength(2);
    expect(Buffer.from(sealed[0]?.metadata.encoding ?? '', 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(sealed[0]?.metadata['encryption-key-id'] ?? '', 'base64').toString()).toBe('current');
    expect(JSON.stringify(sealed)).not.toContain(Buffer.from(NUMBER).toString('base64'));
    expect(Buffer.from(sealed[0]?.data ?? '', 'base64').includes(NUMBER)).toBe(false);

    const decoded = await codecCall('decode', { payloads: sealed });
    expect(decoded.status).toBe(200);
    expect(decoded.body).toEqual({ payloads: original });
    expect(decoded.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  });

  it('decodes what a worker encrypted under a rotated-out key, and plaintext payloads as they are', async () => {
    const [fromWorker] = await createAesGcmCodec(parseCodecKeys(OLD)).encode([
      defaultPayloadConverter.toPayload({ src: NUMBER }) as Payload,
    ]);
    const legacy = jsonPayload({ legacy: true });
    const decoded = await codecCall('decode', { payloads: [toJson(fromWorker as Payload), legacy] });
    expect(decoded.body).toEqual({ payloads: [jsonPayload({ src: NUMBER }), legacy] });
  });

  it('an unknown key id is a clear error naming it', async () => {
    const [foreign] = await createAesGcmCodec(
      parseCodecKeys(`elsewhere-7:${randomBytes(32).toString('base64')}`),
    ).encode([defaultPayloadConverter.toPayload(NUMBER) as Payload]);
    const answer = await codecCall('decode', { payloads: [toJson(foreign as Payload)] });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: 'decode_failed',
      message: 'no codec key with id "elsewhere-7" is configured (NPP_CODEC_KEYS)',
    });
  });

  it('a wrong or missing token gets 401, still readable by the UI origin', async () => {
    const body = { payloads: [jsonPayload('x')] };
    for (const authorization of [`Bearer ${TOKEN}x`, 'Bearer ', TOKEN, `Basic ${TOKEN}`, '']) {
      const answer = await codecCall('decode', body, { authorization });
      expect({ authorization, status: answer.status }).toEqual({ authorization, status: 401 });
      expect(answer.body).toEqual({ error: 'unauthorized' });
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      expect(answer.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    }
    const encodeAnswer = await codecCall('encode', body, { authorization: 'Bearer nope-nope-nope-nope' });
    expect(encodeAnswer.status).toBe(401);
  });

  it('takes the token as the path segment before /decode (for the UI), and refuses a wrong one', async () => {
    const body = { payloads: [jsonPayload('x')] };
    const post = (path: string) =>
      fetch(`${webhook.base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: UI_ORIGIN },
        body: JSON.stringify(body),
      });
    const sealed = await post(`/codec/${TOKEN}/encode`);
    expect(sealed.status).toBe(200);
    const decoded = await fetch(`${webhook.base}/codec/${TOKEN}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(await sealed.json()),
    });
    expect(await decoded.json()).toEqual(body);
    for (const path of [`/codec/${TOKEN}x/decode`, '/codec/not-the-token-at-all/encode']) {
      expect((await post(path)).status).toBe(401);
    }
  });

  it('answers the CORS preflight of the configured UI origin only, without a token', async () => {
    const preflight = (origin: string) =>
      fetch(`${webhook.base}/codec/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-namespace',
        },
      });
    const allowed = await preflight(UI_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase().split(/,\s*/)).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'x-namespace']),
    );
    const other = await preflight('http://evil.example');
    expect((await preflight(SECOND_UI_ORIGIN)).headers.get('access-control-allow-origin')).toBe(SECOND_UI_ORIGIN);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const otherPost = await codecCall('decode', { payloads: [] }, { origin: 'http://evil.example' });
    expect(otherPost.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('rejects a body that is not {payloads: [...]} with 400', async () => {
    for (const body of [[], { payloads: 'x' }, { payloads: [{ metadata: { encoding: 1 } }] }, { payloads: [null] }]) {
      const answer = await codecCall('decode', body);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_request');
    }
  });

  it('takes {} as an empty list, as protobuf JSON writes it', async () => {
    expect(await codecCall('decode', {})).toMatchObject({ status: 200, body: { payloads: [] } });
  });

  it('is off unless configured', async () => {
    const response = await fetch(`${plainWebhook.base}/codec/decode`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: [] }),
    });
    expect(response.status).toBe(404);
  });
});
