import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { DEFAULT_INGRESS_LIMITS, type IngressLimits, type TrustProxy } from './ingress.ts';

// Webhook server settings, read from the environment in one place.

export interface WebhookSecrets {
  current: string;
  /** The secret being rotated out: its tokens stay valid until it is removed. */
  previous?: string;
}

/** Every secret whose tokens are accepted: the current one, and the one being rotated out. */
export function acceptedSecrets(secrets: WebhookSecrets): string[] {
  return [secrets.current, ...(secrets.previous ? [secrets.previous] : [])];
}

export interface WebhookConfig {
  port: number;
  host: string;
  /** Base URL the platform reaches this server at; callback URLs are built on it. */
  publicUrl: string;
  secrets: WebhookSecrets;
  /** Token of the console-default callback URLs (routed by bindId / callId). */
  sharedToken?: string;
  /** True when WEBHOOK_SECRET was unset and a random one was made for this process only. */
  secretGenerated: boolean;
}

export interface LoadWebhookConfigOptions {
  /** Make a random secret when WEBHOOK_SECRET is unset. Default: unless NODE_ENV=production. */
  allowGeneratedSecret?: boolean;
}

const MIN_SECRET_LENGTH = 16;

export function loadWebhookConfig(
  env: Record<string, string | undefined>,
  options: LoadWebhookConfigOptions = {},
): WebhookConfig {
  const port = parsePort(env.WEBHOOK_PORT ?? '8787');
  const host = nonEmpty(env.WEBHOOK_HOST) ?? '127.0.0.1';
  const publicUrl = parsePublicUrl(nonEmpty(env.WEBHOOK_PUBLIC_URL) ?? `http://127.0.0.1:${port}`);
  const allowGenerated = options.allowGeneratedSecret ?? env.NODE_ENV !== 'production';
  const configured = nonEmpty(env.WEBHOOK_SECRET);
  if (configured === undefined && !allowGenerated) throw new Error('WEBHOOK_SECRET is required');
  const current = configured ?? randomBytes(32).toString('base64url');
  const previous = nonEmpty(env.WEBHOOK_PREVIOUS_SECRET);
  const sharedToken = nonEmpty(env.WEBHOOK_SHARED_TOKEN);
  checkLength('WEBHOOK_SECRET', current);
  if (previous !== undefined) checkLength('WEBHOOK_PREVIOUS_SECRET', previous);
  if (sharedToken !== undefined) checkLength('WEBHOOK_SHARED_TOKEN', sharedToken);
  return {
    port,
    host,
    publicUrl,
    secrets: previous === undefined ? { current } : { current, previous },
    ...(sharedToken === undefined ? {} : { sharedToken }),
    secretGenerated: configured === undefined,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new Error(`WEBHOOK_PORT is not a port: ${value}`);
  return port;
}

function parsePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`WEBHOOK_PUBLIC_URL is not a URL: ${value}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('WEBHOOK_PUBLIC_URL must be http(s)');
  return value.replace(/\/+$/, '');
}

// The values themselves never appear in messages: they are secrets.
function checkLength(name: string, value: string): void {
  if (value.length < MIN_SECRET_LENGTH) throw new Error(`${name} must be at least ${MIN_SECRET_LENGTH} characters`);
}

/** Ingress limits, proxy trust and the optional codec server, from WEBHOOK_* and CODEC_* variables. */
export interface IngressConfig {
  limits: IngressLimits;
  /** Set when WEBHOOK_TRUST_PROXY is: client addresses then come from X-Forwarded-For. */
  trustProxy?: TrustProxy;
  /** Set when CODEC_SERVER_TOKEN is: the webhook then serves /codec/decode and /codec/encode. */
  codecServer?: { token: string; corsOrigins?: string[] };
}

export function loadIngressConfig(env: Record<string, string | undefined>): IngressConfig {
  const limit = (name: string, fallback: number, min: number) => {
    const raw = nonEmpty(env[name]);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`${name} must be a whole number ≥ ${min}: ${raw}`);
    return Number(raw);
  };
  const defaults = DEFAULT_INGRESS_LIMITS;
  const limits: IngressLimits = {
    rateLimitMax: limit('WEBHOOK_RATE_LIMIT_MAX', defaults.rateLimitMax, 1),
    rateLimitWindowMs: limit('WEBHOOK_RATE_LIMIT_WINDOW_MS', defaults.rateLimitWindowMs, 1000),
    requestTimeoutMs: limit('WEBHOOK_REQUEST_TIMEOUT_MS', defaults.requestTimeoutMs, 100),
    headersTimeoutMs: limit('WEBHOOK_HEADERS_TIMEOUT_MS', defaults.headersTimeoutMs, 100),
    maxHeaderBytes: limit('WEBHOOK_MAX_HEADER_BYTES', defaults.maxHeaderBytes, 1024),
  };
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new Error('WEBHOOK_HEADERS_TIMEOUT_MS must not exceed WEBHOOK_REQUEST_TIMEOUT_MS');
  }
  const trustProxy = parseTrustProxy(nonEmpty(env.WEBHOOK_TRUST_PROXY));
  const config: IngressConfig = trustProxy === undefined ? { limits } : { limits, trustProxy };
  const token = nonEmpty(env.CODEC_SERVER_TOKEN);
  if (token === undefined) return config;
  checkLength('CODEC_SERVER_TOKEN', token);
  // Comma-separated: the same UI is often opened as both localhost and 127.0.0.1.
  const corsOrigins = nonEmpty(env.CODEC_CORS_ORIGIN)
    ?.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of corsOrigins ?? []) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new Error(`CODEC_CORS_ORIGIN must list origins like http://localhost:8233: ${origin}`);
    }
  }
  return { ...config, codecServer: corsOrigins?.length ? { token, corsOrigins } : { token } };
}

/** The address ranges proxy-addr (fastify's trustProxy) knows by name. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `true`, a hop count, or a comma-separated list of addresses, CIDR ranges and range names. */
function parseTrustProxy(raw: string | undefined): TrustProxy | undefined {
  if (raw === undefined || raw === 'false') return undefined;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) {
    if (Number(raw) < 1) throw new Error('WEBHOOK_TRUST_PROXY hop count must be at least 1 (unset: no proxy)');
    return Number(raw);
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    if (!NAMED_RANGES.has(entry) && !isAddressOrRange(entry)) {
      throw new Error(`WEBHOOK_TRUST_PROXY must be true, a hop count or addresses / CIDR ranges: ${entry}`);
    }
  }
  return entries;
}

function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d+$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}
