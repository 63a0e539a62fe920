import { timingSafeEqual } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ParsedCallback, parseCallback } from '../npp/callbacks/events.ts';
import { InvalidPayloadError } from '../npp/callbacks/fields.ts';
import { CALLBACK_KINDS, type CallbackKind, verifyCallbackToken } from '../npp/callbacks/urls.ts';
import { findOwner, workflowHasCall } from '../temporal/ownership.ts';
import { CallRoutes } from './callRoutes.ts';
import { acceptedSecrets, type WebhookSecrets } from './config.ts';
import type { WebhookMetrics } from './metrics.ts';
import { findWorkflowId, signalWorkflow, type VisibilityRetry, withDeadline } from './signal.ts';

// POST <prefix>/:kind/:workflowId?token=… (per-session URLs) and
// POST <prefix>/:kind?token=… (console-default URLs, routed by bindId / callId); mounted with
// prefix CALLBACK_PATH_PREFIX.
// Order of checks: route (404) → method (405) → token (401, before the body is read) → body
// (415 / 413 / 400) → Temporal (200 accepted or ignored, 503 to make the platform redeliver).
// An event for a closed workflow goes to a running session sharing its binding or call, if any,
// unless the closed workflow had that call itself (its NppCallId lists it).

export interface CallbackRouteOptions {
  client: Client;
  /** Whether a request bears a valid callback token (callbackTokenCheck). */
  authorized: (request: FastifyRequest) => boolean;
  metrics: WebhookMetrics;
  visibilityRetry: VisibilityRetry;
  temporalTimeoutMs: number;
  retryAfterSeconds: number;
}

interface CallbackRoute {
  Params: { kind: string; workflowId?: string };
  Querystring: { token?: unknown };
}

type CallbackRequest = FastifyRequest<CallbackRoute>;

const SESSION_URL = '/:kind/:workflowId';
const CONSOLE_DEFAULT_URL = '/:kind';
const OTHER_METHODS = ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

export function isCallbackKind(value: string): value is CallbackKind {
  return (CALLBACK_KINDS as readonly string[]).includes(value);
}

/** The kind as a metric label: a bounded set, whatever the path says. */
export function kindLabel(request: FastifyRequest): string {
  const kind = (request.params as { kind?: string } | undefined)?.kind ?? '';
  return isCallbackKind(kind) ? kind : 'unknown';
}

/**
 * The callback routes as an encapsulated plugin: its hooks see only its own routes. Mount with a
 * prefix, e.g. `app.register(callbackRoutesPlugin, { prefix: CALLBACK_PATH_PREFIX, ...options })`.
 */
export async function callbackRoutesPlugin(app: FastifyInstance, options: CallbackRouteOptions): Promise<void> {
  const { metrics, client, temporalTimeoutMs, authorized } = options;
  const callRoutes = new CallRoutes();

  const reject = (request: FastifyRequest, reply: FastifyReply, status: number, error: string, reason?: string) => {
    metrics.rejected.inc({ kind: kindLabel(request), reason: error });
    request.log.info({ kind: kindLabel(request), status, error, reason }, 'callback rejected');
    return reply.code(status).send(reason === undefined ? { error } : { error, reason });
  };

  // Runs before the body is read: an unauthenticated sender gets nothing parsed.
  const admit = async (request: CallbackRequest, reply: FastifyReply) => {
    if (!isCallbackKind(request.params.kind)) return reject(request, reply, 404, 'unknown_kind');
    metrics.received.inc({ kind: request.params.kind });
    if (!authorized(request)) return reject(request, reply, 401, 'unauthorized');
  };

  const handle = async (request: CallbackRequest, reply: FastifyReply) => {
    const kind = request.params.kind as CallbackKind;
    let parsed: ParsedCallback;
    try {
      parsed = parseCallback(kind, request.body);
    } catch (error) {
      if (error instanceof InvalidPayloadError) return reject(request, reply, 400, 'invalid_payload', error.message);
      throw error;
    }
    try {
      const consoleDefault = request.params.workflowId === undefined;
      const eventId = parsed.event.eventId;
      // A later event of a call already routed goes where its first one went, without a lookup.
      const routed = consoleDefault ? callRoutes.get(parsed.callId) : undefined;
      if (routed !== undefined) {
        if ((await signalWorkflow(client, routed, parsed, temporalTimeoutMs)) === 'accepted') {
          return signaled(request, reply, kind, { workflowId: routed, eventId });
        }
        callRoutes.forget(parsed.callId);
      }
      const workflowId =
        request.params.workflowId ?? (await findWorkflowId(client, parsed, options.visibilityRetry, temporalTimeoutMs));
      if (workflowId === undefined) {
        // Maybe not indexed yet: the platform's redelivery gets another chance.
        return unavailable(request, reply, 'workflow_not_found_yet');
      }
      if ((await signalWorkflow(client, workflowId, parsed, temporalTimeoutMs)) === 'accepted') {
        if (consoleDefault) callRoutes.remember(parsed.callId, workflowId);
        return signaled(request, reply, kind, { workflowId, eventId });
      }
      // A late event (hangup, recording) of a call the closed workflow had is its own: a session
      // sharing the binding must not count it.
      if (await withDeadline(client, temporalTimeoutMs, () => workflowHasCall(client, workflowId, parsed.callId))) {
        return ignored(request, reply, kind, { workflowId, eventId }, 'call of a closed workflow');
      }
      // The platform pushes to the URLs of the session that bound the number first; in XB other
      // sessions share the binding and must get its events once that one has ended.
      const owners = await withDeadline(client, temporalTimeoutMs, () => findOwner(client, parsed));
      const sharer = owners.running[0]?.workflowId;
      if (
        sharer !== undefined &&
        sharer !== workflowId &&
        (await signalWorkflow(client, sharer, parsed, temporalTimeoutMs)) === 'accepted'
      ) {
        if (consoleDefault) callRoutes.remember(parsed.callId, sharer);
        return signaled(request, reply, kind, { workflowId: sharer, eventId, closedWorkflowId: workflowId });
      }
      return ignored(request, reply, kind, { workflowId, eventId }, 'workflow closed or not found');
    } catch (error) {
      request.log.warn({ kind, err: error }, 'Temporal did not accept the signal');
      return unavailable(request, reply, 'temporal_unavailable');
    }
  };

  const signaled = (
    request: FastifyRequest,
    reply: FastifyReply,
    kind: CallbackKind,
    fields: { workflowId: string; eventId: string; closedWorkflowId?: string },
  ) => {
    metrics.signaled.inc({ kind });
    request.log.info({ kind, ...fields }, 'callback signaled');
    return reply.code(200).send({ status: 'accepted', eventId: fields.eventId });
  };

  const ignored = (
    request: FastifyRequest,
    reply: FastifyReply,
    kind: CallbackKind,
    fields: { workflowId: string; eventId: string },
    reason: string,
  ) => {
    metrics.ignored.inc({ kind });
    request.log.warn({ kind, ...fields, reason }, `callback ignored: ${reason}`);
    return reply.code(200).send({ status: 'ignored', reason });
  };

  const unavailable = (request: FastifyRequest, reply: FastifyReply, error: string) => {
    reply.header('retry-after', String(options.retryAfterSeconds));
    return reject(request, reply, 503, error);
  };

  const methodNotAllowed = async (request: CallbackRequest, reply: FastifyReply) => {
    if (!isCallbackKind(request.params.kind)) return reject(request, reply, 404, 'unknown_kind');
    reply.header('allow', 'POST');
    return reject(request, reply, 405, 'method_not_allowed');
  };

  // Encapsulated: runs for this plugin's routes only.
  app.addHook('onResponse', async (request, reply) => {
    metrics.latency.observe({ kind: kindLabel(request), status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  for (const url of [SESSION_URL, CONSOLE_DEFAULT_URL]) {
    app.route<CallbackRoute>({ method: 'POST', url, onRequest: admit, handler: handle });
    app.route<CallbackRoute>({ method: [...OTHER_METHODS], url, exposeHeadRoute: false, handler: methodNotAllowed });
  }
}

/**
 * The callback token check of one server, its verdict kept per request: the rate limit (which never
 * counts the platform's callbacks) and the route both ask, and the HMAC is computed once.
 */
export function callbackTokenCheck(
  secrets: WebhookSecrets,
  sharedToken: string | undefined,
): (request: FastifyRequest) => boolean {
  const accepted = acceptedSecrets(secrets);
  const verdicts = new WeakMap<FastifyRequest, boolean>();
  return (request) => {
    let verdict = verdicts.get(request);
    if (verdict === undefined) {
      verdict = bearsCallbackToken(request, accepted, sharedToken);
      verdicts.set(request, verdict);
    }
    return verdict;
  };
}

/**
 * Whether the request carries a valid callback token: signed for the workflow its path names, or the
 * console-default shared token. Only the platform (given the URLs by the worker) can send one.
 */
function bearsCallbackToken(
  request: Pick<FastifyRequest, 'params' | 'query'>,
  secrets: readonly string[],
  sharedToken: string | undefined,
): boolean {
  const token = (request.query as { token?: unknown } | undefined)?.token;
  if (typeof token !== 'string' || token === '') return false;
  const workflowId = (request.params as { workflowId?: unknown } | undefined)?.workflowId;
  if (typeof workflowId === 'string') return verifyCallbackToken(secrets, workflowId, token);
  return sharedToken !== undefined && sameToken(sharedToken, token);
}

function sameToken(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
