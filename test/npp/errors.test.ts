import { describe, expect, it } from 'vitest';
import {
  BUSINESS_ERROR_CODES,
  classifyApiErrorCode,
  classifyBusinessErrorCode,
  NppError,
} from '../../src/npp/errors.ts';

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

  it('does not know other codes', () => {
    expect(classifyBusinessErrorCode('999')).toBeUndefined();
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
