import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { callbackToken } from '../../src/npp/callbacks/urls.ts';
import { callbackTokenCheck } from '../../src/webhooks/callbackRoutes.ts';

const SECRET = 'token-check-secret';
const WORKFLOW_ID = 'npp-session-token-check';

/** A request as the check reads it: the workflow id from the path, the token from the query. */
function request(token: string): FastifyRequest {
  return { params: { kind: 'status', workflowId: WORKFLOW_ID }, query: { token } } as unknown as FastifyRequest;
}

describe('callbackTokenCheck', () => {
  it('accepts the token signed for the workflow, under the current or the previous secret, and nothing else', () => {
    const check = callbackTokenCheck({ current: 'rotated-secret', previous: SECRET }, undefined);
    expect(check(request(callbackToken('rotated-secret', WORKFLOW_ID)))).toBe(true);
    expect(check(request(callbackToken(SECRET, WORKFLOW_ID)))).toBe(true);
    expect(check(request(callbackToken('other-secret', WORKFLOW_ID)))).toBe(false);
    expect(check(request(callbackToken(SECRET, 'npp-session-other')))).toBe(false);
  });

  it('decides once per request: the rate limit and the route share the verdict', () => {
    const check = callbackTokenCheck({ current: SECRET }, undefined);
    const valid = request(callbackToken(SECRET, WORKFLOW_ID));
    expect(check(valid)).toBe(true);
    // The same request asked again is not verified again (its token no longer matters)...
    (valid.query as { token: string }).token = 'forged';
    expect(check(valid)).toBe(true);
    // ...while every other request is verified on its own.
    expect(check(request('forged'))).toBe(false);
  });
});
