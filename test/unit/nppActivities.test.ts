// What the NPP activities decide themselves, run in MockActivityEnvironment against the simulator
// over HTTP: which failures Temporal may retry, a CreateCallBack retry refused for its own BizId, and
// cancellation in the middle of a request.
import { randomUUID } from 'node:crypto';
import type { Info } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNppActivities, type NppActivities, toApplicationFailure } from '../../src/activities/nppActivities.ts';
import { CALL_MADE_BY_EARLIER_ATTEMPT } from '../../src/contract/failures.ts';
import { NppClient } from '../../src/npp/client.ts';
import { BUSINESS_ERROR_CODES, NppError } from '../../src/npp/errors.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';

const SECRET_ID = 'AKIDactivitytests';
const SECRET_KEY = 'activity-test-secret-key';
const CALLER = '008613800138000';
const CALLEE = '008613900139000';

let sim: Simulator;
let client: NppClient;
let activities: NppActivities;

beforeAll(async () => {
  sim = await startSimulator({ secretId: SECRET_ID, secretKey: SECRET_KEY });
  client = new NppClient({ endpoint: sim.url, secretId: SECRET_ID, secretKey: SECRET_KEY, bizAppId: '1400000099' });
  activities = createNppActivities({ client });
});
afterEach(() => sim.reset());
afterAll(async () => {
  await client.close();
  await sim.close();
});

/** Makes the simulator answer the next request of `action` with a fault (see /_sim/faults in docs/callbacks.md). */
async function fault(rule: { action: string; kind: string; errorCode?: string; latencyMs?: number }): Promise<void> {
  const response = await fetch(`${sim.url}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ count: 1, ...rule }),
  });
  expect(response.status).toBe(200);
}

/** The failure an activity run ends with. */
async function failureOf(run: Promise<unknown>): Promise<unknown> {
  try {
    await run;
  } catch (error) {
    return error;
  }
  throw new Error('expected the activity to fail');
}

/** An activity context with the given info; failing on purpose is the point, so only errors are logged. */
const activityEnvironment = (info: Partial<Info> = {}) =>
  new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });

const callBackRequest = (bizId: string) => ({ Src: CALLER, Dst: CALLEE, BizId: bizId });

describe('createCallBack refused for its BizId', () => {
  it('on a first attempt keeps the platform’s code: the BizId was already taken by something else', async () => {
    const bizId = randomUUID().replaceAll('-', '');
    await activityEnvironment({ attempt: 1 }).run(activities.createCallBack, callBackRequest(bizId));
    const failure = await failureOf(
      activityEnvironment({ attempt: 1 }).run(activities.createCallBack, callBackRequest(bizId)),
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: BUSINESS_ERROR_CODES.BizIdAlreadyUsed.code, nonRetryable: true });
  });

  it('on a retry becomes CallMadeByEarlierAttempt, non-retryable, with the platform’s details', async () => {
    const bizId = randomUUID().replaceAll('-', '');
    // The first attempt made the call; say its answer was lost on the way back.
    await activityEnvironment({ attempt: 1 }).run(activities.createCallBack, callBackRequest(bizId));
    for (const attempt of [2, 5]) {
      const failure = await failureOf(
        activityEnvironment({ attempt }).run(activities.createCallBack, callBackRequest(bizId)),
      );
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ type: CALL_MADE_BY_EARLIER_ATTEMPT, nonRetryable: true });
      expect((failure as ApplicationFailure).details?.[0]).toMatchObject({
        action: 'CreateCallBack',
        code: BUSINESS_ERROR_CODES.BizIdAlreadyUsed.code,
        layer: 'business',
      });
    }
  });

  it('leaves other refusals of a retry alone', async () => {
    await fault({
      action: 'CreateCallBack',
      kind: 'business',
      errorCode: BUSINESS_ERROR_CODES.InvalidPhoneNumber.code,
    });
    const failure = await failureOf(
      activityEnvironment({ attempt: 3 }).run(activities.createCallBack, callBackRequest('b1')),
    );
    expect(failure).toMatchObject({ type: BUSINESS_ERROR_CODES.InvalidPhoneNumber.code, nonRetryable: true });
  });
});

describe('failures Temporal may retry', () => {
  it('lets Temporal retry what the client marks retryable, and only that', async () => {
    const cases = [
      { kind: '5xx', type: 'HTTP_503', nonRetryable: false },
      { kind: 'InternalError', type: 'InternalError', nonRetryable: false },
      { kind: 'RequestLimitExceeded', type: 'RequestLimitExceeded', nonRetryable: false },
      { kind: 'business', type: BUSINESS_ERROR_CODES.RateLimited.code, nonRetryable: false },
      { kind: 'business', type: BUSINESS_ERROR_CODES.NoVirtualNumberAvailable.code, nonRetryable: true },
    ];
    for (const { kind, type, nonRetryable } of cases) {
      await fault({ action: 'GetVirtualNum', kind, ...(kind === 'business' ? { errorCode: type } : {}) });
      const failure = await failureOf(
        activityEnvironment().run(activities.getVirtualNum, { Src: CALLER, Dst: CALLEE }),
      );
      expect(failure, kind).toBeInstanceOf(ApplicationFailure);
      expect(failure, kind).toMatchObject({ type, nonRetryable });
      expect((failure as ApplicationFailure).details?.[0], kind).toMatchObject({ action: 'GetVirtualNum', code: type });
    }
  });

  it('turns a refused credential into a non-retryable failure', async () => {
    const stranger = new NppClient({ endpoint: sim.url, secretId: 'AKIDunknown', secretKey: 'x', bizAppId: '1' });
    try {
      const failure = await failureOf(
        activityEnvironment().run(createNppActivities({ client: stranger }).delVirtualNum, { BindId: 'b' }),
      );
      expect(failure).toMatchObject({ type: 'AuthFailure.SecretIdNotFound', nonRetryable: true });
    } finally {
      await stranger.close();
    }
  });

  it('passes errors that are not the client’s through unchanged', () => {
    const error = new TypeError('a bug');
    expect(toApplicationFailure(error)).toBe(error);
    const retryable = new NppError({
      action: 'Get400Cdr',
      code: 'ECONNRESET',
      layer: 'transport',
      retryable: true,
      message: 'm',
    });
    expect(toApplicationFailure(retryable)).toMatchObject({ type: 'ECONNRESET', nonRetryable: false });
  });
});

describe('an activity cancelled in the middle of a request', () => {
  it('fails as cancelled at once, not as the client’s non-retryable abort', async () => {
    // The simulator holds the request for 10 s; the cancellation comes long before.
    await fault({ action: 'DelVirtualNum', kind: 'latency', latencyMs: 10_000 });
    const env = activityEnvironment();
    const started = performance.now();
    const run = failureOf(env.run(activities.delVirtualNum, { BindId: 'bind-1' }));
    setTimeout(() => env.cancel('CANCELLED'), 200);
    const failure = await run;
    expect(failure).toBeInstanceOf(CancelledFailure);
    expect(failure).not.toBeInstanceOf(ApplicationFailure);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
