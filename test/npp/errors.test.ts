import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ActivityFailure, type ApplicationFailure, RetryState } from '@temporalio/common';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toApplicationFailure } from '../../src/activities/nppActivities.ts';
import { NppClient } from '../../src/npp/client.ts';
import {
  BUSINESS_ERROR_CODES,
  classifyApiErrorCode,
  classifyBusinessErrorCode,
  NppError,
} from '../../src/npp/errors.ts';
import { bindFailureOutcome } from '../../src/workflows/bindOutcome.ts';
import { failureOf } from '../../src/workflows/failures.ts';

describe('classifyApiErrorCode', () => {
  it.each([
    ['AuthFailure', false],
    ['AuthFailure.SignatureFailure', false],
    ['AuthFailure.SignatureExpire', false],
    ['AuthFailure.SecretIdNotFound', false],
    ['InvalidParameter', false],
    ['InvalidParameter.Format', false],
    ['InvalidParameterValue', false],
    ['InvalidParameterValue.Mobile', false],
    ['MissingParameter', false],
    ['UnsupportedOperation', false],
    ['InvalidAction', false],
    ['UnknownParameter', false],
    ['UnauthorizedOperation', false],
    ['UnauthorizedOperation.NoPermission', false],
    ['ResourceNotFound', false],
    ['ResourceNotFound.Binding', false],
    ['FailedOperation', false],
    ['FailedOperation.Busy', false],
    ['LimitExceeded', false],
    ['RequestLimitExceeded', true],
    ['RequestLimitExceeded.UinLimitExceeded', true],
    ['InternalError', true],
    ['InternalError.DbError', true],
    ['ResourceUnavailable', true],
    ['ResourceUnavailable.Maintenance', true],
    ['ResourceInsufficient', true],
    ['ResourceInsufficient.Pool', true],
    ['SomethingNew', false],
    ['', false],
  ])('%s → retryable %s', (code, retryable) => {
    expect(classifyApiErrorCode(code).retryable).toBe(retryable);
  });

  it('matches families on a dot boundary only', () => {
    expect(classifyApiErrorCode('InternalErrorX').family).toBe('Unknown');
    expect(classifyApiErrorCode('RequestSizeLimitExceeded').retryable).toBe(false);
    expect(classifyApiErrorCode('AuthFailure.TokenFailure').family).toBe('AuthFailure');
  });
});

describe('BUSINESS_ERROR_CODES', () => {
  it('has unique codes, with 0 as success and 107 as the city without numbers', () => {
    const codes = Object.values(BUSINESS_ERROR_CODES).map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(BUSINESS_ERROR_CODES.Success.code).toBe('0');
    expect(BUSINESS_ERROR_CODES.CityHasNoNumbers.code).toBe('107');
  });

  it.each([
    ['101', 'NoVirtualNumberAvailable', false],
    ['102', 'VirtualNumberInUse', false],
    ['103', 'BindingNotFound', false],
    ['104', 'BizIdAlreadyUsed', false],
    ['105', 'CallerNotAccredited', false],
    ['106', 'InvalidPhoneNumber', false],
    ['107', 'CityHasNoNumbers', false],
    ['108', 'CallNotFound', false],
    ['109', 'CallNotCancellable', false],
    ['110', 'RateLimited', true],
    ['111', 'InternalPlatformError', true],
  ])('%s is %s, retryable %s', (code, name, retryable) => {
    expect(classifyBusinessErrorCode(code)).toMatchObject({ code, name, retryable });
  });

  it('does not know other codes, and matches none loosely', () => {
    for (const code of ['999', '1030', '0103', '103 ', '01', ''])
      expect(classifyBusinessErrorCode(code)).toBeUndefined();
  });

  it('marks only 107 as documented: it is the one code the API models name', async () => {
    const seed = Object.values(BUSINESS_ERROR_CODES).filter((entry) => entry.source === 'seed');
    expect(seed.map((entry) => entry.code)).toEqual(['107']);
    // src/npp/models.ts carries the seed's doc comments (GetVirtualNumRequest.CityId: "error 107").
    const models = await readFile('src/npp/models.ts', 'utf8');
    const named = [...models.matchAll(/\berror (\d+)\b/g)].map((match) => match[1]);
    expect(named).toEqual(['107']);
  });
});

// A business code the table does not know, as the workflows receive it: answered by an endpoint,
// classified by the real client, turned into the activity's failure, wrapped as Temporal wraps it.
describe('an unknown business code', () => {
  let server: Server;
  let client: NppClient;
  let answerCode = '';

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ Response: { ErrorCode: answerCode, Msg: 'refused', RequestId: 'r-1' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new NppClient({
      env: {},
      endpoint: `http://127.0.0.1:${port}`,
      secretId: 'AKIDerrors',
      secretKey: 'k',
      bizAppId: '1400000042',
    });
  });

  afterAll(async () => {
    await client.close();
    await new Promise((resolve) => server.close(resolve));
  });

  /** What the workflow's catch sees after GetVirtualNum was answered `code`. */
  async function activityFailureFor(code: string): Promise<{ error: NppError; failure: ActivityFailure }> {
    answerCode = code;
    const error = await client.getVirtualNum({ Dst: '008613800000000', BizId: 'b' }).then(
      () => expect.unreachable(`ErrorCode ${code} was taken as success`),
      (thrown: unknown) => thrown as NppError,
    );
    const cause = toApplicationFailure(error) as ApplicationFailure;
    const failure = new ActivityFailure(
      'activity failed',
      'getVirtualNum',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      'w',
      cause,
    );
    return { error, failure };
  }

  const { BindingNotFound, BizIdAlreadyUsed } = BUSINESS_ERROR_CODES;

  it.each(['999', '1030', '0103', '0104'])(
    '%s is not retryable, a refusal, never "binding gone" or "BizId taken"',
    async (code) => {
      const { error, failure } = await activityFailureFor(code);
      expect(error).toMatchObject({ layer: 'business', code, retryable: false });
      expect(failure.cause).toMatchObject({ type: code, nonRetryable: true });
      // The code reaches the workflows unchanged; references.ts and bindOutcome.ts compare it exactly.
      expect(failureOf(failure).code).toBe(code);
      expect(failureOf(failure).code).not.toBe(BindingNotFound.code);
      expect(bindFailureOutcome(failure)).toBe('refused');
    },
  );

  it('holds for any code outside the table', async () => {
    const known = new Set<string>(Object.values(BUSINESS_ERROR_CODES).map((entry) => entry.code));
    const unknown = fc.stringMatching(/^\d{1,5}$/).filter((code) => !known.has(code));
    await fc.assert(
      fc.asyncProperty(unknown, async (code) => {
        const { error, failure } = await activityFailureFor(code);
        expect(classifyBusinessErrorCode(code)).toBeUndefined();
        expect(error.retryable).toBe(false);
        expect<string[]>([BindingNotFound.code, BizIdAlreadyUsed.code]).not.toContain(failureOf(failure).code);
        expect(bindFailureOutcome(failure)).toBe('refused');
      }),
      { numRuns: 50 },
    );
  });

  it("leaves the table's own codes read as such (the control)", async () => {
    expect(failureOf((await activityFailureFor(BindingNotFound.code)).failure).code).toBe(BindingNotFound.code);
    expect(bindFailureOutcome((await activityFailureFor(BizIdAlreadyUsed.code)).failure)).toBe('taken');
  });
});

describe('NppError', () => {
  it('carries its classification', () => {
    const err = new NppError({
      action: 'CreateCallBack',
      code: '108',
      message: 'm',
      layer: 'business',
      retryable: false,
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('NppError');
    expect(err).toMatchObject({ action: 'CreateCallBack', code: '108', layer: 'business', retryable: false });
    expect(err.requestId).toBeUndefined();
    expect(err.httpStatus).toBeUndefined();
  });
});
