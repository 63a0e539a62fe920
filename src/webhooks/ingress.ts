import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';

// What protects the public ingress: per-IP rate limit, timeouts against slow clients, header size,
// and security headers on every answer.

export interface IngressLimits {
  /** Requests one client IP may make per window before answers turn to 429. */
  rateLimitMax: number;
  rateLimitWindowMs: number;
  /** Time to receive a whole request (headers and body). */
  requestTimeoutMs: number;
  /** Time to receive the request headers; at most requestTimeoutMs. */
  headersTimeoutMs: number;
  /** Largest request head (request line and headers) in bytes. */
  maxHeaderBytes: number;
}

// The limit stops floods of requests without a valid callback token; the platform's own callbacks
// (from a few addresses, several per call) carry one and are never limited.
export const DEFAULT_INGRESS_LIMITS: IngressLimits = {
  rateLimitMax: 1200,
  rateLimitWindowMs: 60_000,
  requestTimeoutMs: 10_000,
  headersTimeoutMs: 5_000,
  maxHeaderBytes: 16 * 1024,
};

/**
 * Which peers may name the client in X-Forwarded-For, so that the rate limit counts clients and
 * not the proxy in front: every peer (`true`), the nearest `n` hops, or these addresses / CIDR ranges
 * (and proxy-addr's names `loopback`, `linklocal`, `uniquelocal`).
 */
export type TrustProxy = true | number | string[];

/** The fastify `trustProxy` option for a setting. */
export function trustProxyOption(setting: TrustProxy) {
  // Fastify 5 trusts no hop for a bare number (the nearest peer is not checked), so the count is
  // spelled out as proxy-addr's function of the hop index.
  return typeof setting === 'number' ? (_address: string, hop: number) => hop < setting : setting;
}

/** Probes and scrapes come from the orchestrator and Prometheus, often; they are never limited. */
const UNLIMITED_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'strict-transport-security': 'max-age=31536000',
};

/** The fastify constructor options that enforce the timeouts and the header limit. */
export function serverLimitOptions(limits: IngressLimits) {
  return {
    requestTimeout: limits.requestTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      maxHeaderSize: limits.maxHeaderBytes,
      // Node checks the two timeouts on this interval (default 30 s, which would dwarf them).
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
  };
}

/**
 * Register before any route. `exempt` names requests the rate limit never counts: the webhook passes
 * those bearing a valid callback token, so a burst of real callbacks is never answered 429.
 */
export function registerIngressProtection(
  app: FastifyInstance,
  limits: IngressLimits,
  exempt: (request: FastifyRequest) => boolean = () => false,
): void {
  app.register(rateLimit, { global: false });
  // A root hook runs before every route's own onRequest (the callback token check), so a flood of
  // unauthenticated requests is limited too, and so are answers of the not-found handler.
  app.after(() => {
    app.addHook(
      'onRequest',
      app.rateLimit({
        max: limits.rateLimitMax,
        timeWindow: limits.rateLimitWindowMs,
        allowList: (request: FastifyRequest) => UNLIMITED_ROUTES.has(request.routeOptions.url ?? '') || exempt(request),
      }),
    );
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
}
