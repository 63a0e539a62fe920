import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BUSINESS_ERROR_CODES } from '../npp/errors.ts';
import { NPP_API_VERSION } from '../npp/models.ts';
import { type ActionContext, isAction, runAction } from './actions.ts';
import { verifyTc3 } from './auth.ts';
import { ApiFailure, BusinessFailure } from './failures.ts';
import { applyTransportFault, type Faults } from './faults.ts';
import type { Params } from './params.ts';

/*
 * The Tencent Cloud API 3.0 surface: POST / with X-TC-* headers, TC3 signature, JSON body. Every
 * answer is HTTP 200 with `Response.RequestId` (a uuid); framework refusals carry `Response.Error`,
 * NPP refusals `ErrorCode` ≠ "0" and `Msg`. Injected "5xx" and dropped connections are the only
 * non-200 outcomes.
 */

export interface ApiOptions {
  ctx: ActionContext;
  faults: Faults;
  secretId: string;
  secretKey: string;
}

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export async function apiPlugin(app: FastifyInstance, options: ApiOptions): Promise<void> {
  // The signature covers the exact body bytes, so this scope keeps every body raw.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post('/', (request, reply) => handle(options, request, reply));
  app.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH'],
    url: '/',
    handler: (_request, reply) =>
      fail(reply, randomUUID(), new ApiFailure('UnsupportedProtocol', 'This endpoint accepts POST requests only.')),
  });
}

async function handle(options: ApiOptions, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const requestId = randomUUID();
  const { ctx, faults } = options;
  try {
    const action = header(request, 'x-tc-action');
    const version = header(request, 'x-tc-version');
    if (!action) throw new ApiFailure('MissingParameter', 'The request is missing the X-TC-Action header.');
    if (!version) throw new ApiFailure('MissingParameter', 'The request is missing the X-TC-Version header.');
    if (!header(request, 'x-tc-timestamp'))
      throw new ApiFailure('MissingParameter', 'The request is missing the X-TC-Timestamp header.');
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const contentType = header(request, 'content-type');
    verifyTc3(
      {
        authorization: header(request, 'authorization'),
        timestamp: header(request, 'x-tc-timestamp'),
        host: header(request, 'host'),
        contentType,
        body,
      },
      options.secretId,
      options.secretKey,
      Math.floor(ctx.now() / 1000),
    );
    if (!isAction(action)) throw new ApiFailure('InvalidAction', `The action ${action} does not exist.`);
    if (version !== NPP_API_VERSION)
      throw new ApiFailure('NoSuchVersion', `The API version ${version} does not exist.`);
    if (!/^application\/json\b/i.test(contentType ?? '')) {
      throw new ApiFailure('UnsupportedProtocol', 'TC3 requests must send Content-Type application/json.');
    }
    const params = parseParams(body);
    const id = (name: string) =>
      typeof params[name] === 'string' && params[name] !== '' ? { [name]: params[name] } : {};
    ctx.state.logRequest({ action, ...id('BizAppId'), ...id('BindId'), ...id('BizId'), ...id('CallId') });

    const fault = faults.take(action);
    if (await applyTransportFault(fault, request, reply)) return reply;
    if (fault?.kind === 'RequestLimitExceeded')
      throw new ApiFailure('RequestLimitExceeded', 'Your request rate exceeds the limit.');
    if (fault?.kind === 'InternalError') throw new ApiFailure('InternalError', 'An internal error occurred.');
    if (fault?.kind === 'business') {
      const code = fault.errorCode ?? BUSINESS_ERROR_CODES.InternalPlatformError.code;
      return reply.send({
        Response: { ErrorCode: code, Msg: `Injected business error ${code}.`, RequestId: requestId },
      });
    }
    const result = runAction(ctx, action, params);
    // Processed, then answered too late: the caller cannot tell whether the action happened.
    if (fault?.kind === 'late-answer') await sleep(fault.latencyMs ?? 1000);
    return reply.send({ Response: { ...result, RequestId: requestId } });
  } catch (error) {
    if (error instanceof BusinessFailure) {
      return reply.send({ Response: { ErrorCode: error.code, Msg: error.message, RequestId: requestId } });
    }
    if (error instanceof ApiFailure) return fail(reply, requestId, error);
    request.log.error({ err: error }, 'simulator action failed');
    return fail(reply, requestId, new ApiFailure('InternalError', 'An internal error occurred.'));
  }
}

function fail(reply: FastifyReply, requestId: string, failure: ApiFailure): FastifyReply {
  return reply.send({ Response: { Error: { Code: failure.code, Message: failure.message }, RequestId: requestId } });
}

function parseParams(body: Buffer): Params {
  let params: unknown;
  try {
    params = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    throw new ApiFailure('InvalidParameter', 'The request body is not valid JSON.');
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new ApiFailure('InvalidParameter', 'The request body must be a JSON object.');
  }
  return params as Params;
}
