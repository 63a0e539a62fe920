import { createHash, timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PayloadDecryptionError } from './aesGcmCodec.ts';

// Temporal UI's "remote codec endpoint": POST <endpoint>/decode and /encode with `{payloads: [...]}`
// in protobuf JSON (metadata values and data in base64), answered in the same shape.

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Bearer token every encode/decode request must carry. */
  token: string;
  /** The Temporal UI origins allowed to call from the browser (e.g. http://localhost:8233). */
  corsOrigins?: readonly string[];
  /** Largest accepted body in bytes. Default 4 MiB: a history page can hold many payloads. */
  bodyLimit?: number;
}

interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

const CORS_HEADERS = {
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'Authorization, Content-Type, X-Namespace',
  'access-control-allow-credentials': 'true',
  'access-control-max-age': '600',
};

const isRecordOfStrings = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.values(value).every((v) => typeof v === 'string');

function parsePayloads(body: unknown): Payload[] | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  // Protobuf JSON leaves out empty lists: `{}` is an empty Payloads (the Temporal CLI sends it).
  const payloads = (body as { payloads?: unknown }).payloads ?? [];
  if (!Array.isArray(payloads)) return undefined;
  const parsed: Payload[] = [];
  for (const item of payloads as JsonPayload[]) {
    if (typeof item !== 'object' || item === null) return undefined;
    if (item.metadata != null && !isRecordOfStrings(item.metadata)) return undefined;
    if (item.data != null && typeof item.data !== 'string') return undefined;
    parsed.push({
      metadata: Object.fromEntries(Object.entries(item.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
      data: Buffer.from(item.data ?? '', 'base64'),
    });
  }
  return parsed;
}

const toJson = (payload: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
  ),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Mount with a prefix, e.g. `app.register(codecServerPlugin, { prefix: '/codec', ...options })`. */
export async function codecServerPlugin(app: FastifyInstance, options: CodecServerOptions): Promise<void> {
  if (options.token.length < 16) throw new Error('the codec server token must be at least 16 characters');
  const expected = digest(options.token);
  const bodyLimit = options.bodyLimit ?? 4 * 1024 * 1024;

  // Hashing first makes the comparison constant-time whatever the presented length.
  // Temporal UI sends no Authorization header of its own (only an OAuth token when it has one), so
  // the token may also be the endpoint's last path segment: <prefix>/<token>/decode.
  const authorized = (request: FastifyRequest) => {
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const inPath = (request.params as { token?: string } | undefined)?.token;
    const presented = bearer ?? inPath;
    return presented !== undefined && timingSafeEqual(digest(presented), expected);
  };

  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin !== undefined && options.corsOrigins?.includes(origin)) {
      reply.headers({ 'access-control-allow-origin': origin, ...CORS_HEADERS });
    }
    reply.header('vary', 'Origin');
    // Preflights carry no credentials; everything else must, before its body is even read.
    if (request.method !== 'OPTIONS' && !authorized(request)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized' });
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof PayloadDecryptionError) {
      return reply.code(400).send({ error: 'decode_failed', message: error.message });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'codec request failed');
    const reason = status === 429 ? 'rate_limited' : status === 413 ? 'payload_too_large' : 'invalid_request';
    return reply.code(status).send({ error: status >= 500 ? 'internal_error' : reason });
  });

  const route = (operation: 'encode' | 'decode') => async (request: FastifyRequest, reply: FastifyReply) => {
    const payloads = parsePayloads(request.body);
    if (payloads === undefined) {
      return reply.code(400).send({ error: 'invalid_request', message: 'body must be {"payloads": [...]}' });
    }
    const result = await options.codec[operation](payloads);
    return { payloads: result.map(toJson) };
  };
  const preflight = async (_request: FastifyRequest, reply: FastifyReply) => reply.code(204).send();

  for (const operation of ['encode', 'decode'] as const) {
    for (const path of [`/${operation}`, `/:token/${operation}`]) {
      app.post(path, { bodyLimit }, route(operation));
      app.options(path, preflight);
    }
  }
}
