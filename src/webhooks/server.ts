import { parse as parseForm } from 'node:querystring';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyError, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { type CodecServerOptions, codecServerPlugin } from '../codec/codecServer.ts';
import { CALLBACK_PATH_PREFIX } from '../npp/callbacks/urls.ts';
import { callbackRoutesPlugin, callbackTokenCheck, kindLabel } from './callbackRoutes.ts';
import type { WebhookSecrets } from './config.ts';
import {
  DEFAULT_INGRESS_LIMITS,
  type IngressLimits,
  registerIngressProtection,
  serverLimitOptions,
  type TrustProxy,
  trustProxyOption,
} from './ingress.ts';
import { createWebhookLogger } from './logging.ts';
import { createWebhookMetrics } from './metrics.ts';
import { registerOpsRoutes } from './opsRoutes.ts';
import type { VisibilityRetry } from './signal.ts';

export interface WebhookServerOptions {
  /** Temporal client the signals go through. Its connection stays the caller's to close. */
  client: Client;
  secrets: WebhookSecrets;
  /** Enables console-default URLs (`/npp/callbacks/:kind?token=<sharedToken>`). */
  sharedToken?: string;
  logger?: Logger;
  /** Largest accepted body in bytes. Default 64 KiB. */
  bodyLimit?: number;
  /** Console-default lookups retried while visibility catches up. Default 5 × 200 ms. */
  visibilityRetry?: VisibilityRetry;
  /** Deadline of each Temporal call made for one request. Default 5 s. */
  temporalTimeoutMs?: number;
  /** Retry-After of 503 answers, in seconds. Default 5. */
  retryAfterSeconds?: number;
  /** Rate limit, timeouts and header size; defaults in DEFAULT_INGRESS_LIMITS. */
  limits?: Partial<IngressLimits>;
  /** Proxies whose X-Forwarded-For names the client (rate limit per client, not per proxy). Off unless given. */
  trustProxy?: TrustProxy;
  /** Serves Temporal UI's remote codec at /codec/decode and /codec/encode. Off unless given. */
  codecServer?: CodecServerOptions;
}

/** The webhook's fastify instance, routes registered, not listening yet. */
export function createWebhookServer(options: WebhookServerOptions): FastifyInstance {
  const bodyLimit = options.bodyLimit ?? 65536;
  const limits = { ...DEFAULT_INGRESS_LIMITS, ...options.limits };
  const app = Fastify({
    loggerInstance: createWebhookLogger(options.logger),
    // Fastify's request log lines carry the URL with its token; callback routes log their own.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    ...serverLimitOptions(limits),
    ...(options.trustProxy === undefined ? {} : { trustProxy: trustProxyOption(options.trustProxy) }),
  }) as unknown as FastifyInstance;
  const authorized = callbackTokenCheck(options.secrets, options.sharedToken);
  registerIngressProtection(app, limits, authorized);
  const metrics = createWebhookMetrics();

  // The platform posts JSON; form-encoded bodies are accepted too. Nothing else (not text/plain).
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, parseForm(body as string));
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    const reason =
      status === 429
        ? 'rate_limited'
        : status === 413
          ? 'payload_too_large'
          : status === 415
            ? 'unsupported_media_type'
            : status < 500
              ? 'invalid_payload'
              : 'internal_error';
    const kind = kindLabel(request);
    metrics.rejected.inc({ kind, reason });
    if (status >= 500) request.log.error({ kind, err: error }, 'request failed');
    else request.log.info({ kind, status, error: reason, code: error.code }, 'callback rejected');
    // Parser messages may quote the body: only a fixed reason goes back.
    return reply.code(status).send(status === 400 ? { error: reason, reason: 'malformed body' } : { error: reason });
  });

  // An in-flight answer during close() ends its keep-alive socket, which would otherwise hold
  // close() open until the keep-alive timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not_found' }));

  // Routes in a plugin: it loads after the ingress protection's hooks are in place.
  app.register(async (routes) => {
    registerOpsRoutes(routes, options.client, metrics);
    await routes.register(callbackRoutesPlugin, {
      prefix: CALLBACK_PATH_PREFIX,
      client: options.client,
      authorized,
      metrics,
      visibilityRetry: options.visibilityRetry ?? { attempts: 5, delayMs: 200 },
      temporalTimeoutMs: options.temporalTimeoutMs ?? 5000,
      retryAfterSeconds: options.retryAfterSeconds ?? 5,
    });
    if (options.codecServer) await routes.register(codecServerPlugin, { prefix: '/codec', ...options.codecServer });
  });
  return app;
}

export interface StartedWebhookServer {
  app: FastifyInstance;
  /** http://host:port the server listens on. */
  url: string;
  /** Stops accepting connections and resolves once in-flight requests are answered. */
  close(): Promise<void>;
}

export async function startWebhookServer(
  options: WebhookServerOptions & { port: number; host: string },
): Promise<StartedWebhookServer> {
  const app = createWebhookServer(options);
  const url = await app.listen({ port: options.port, host: options.host });
  return { app, url, close: () => app.close() };
}
