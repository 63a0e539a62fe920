// What a failed GetVirtualNum tells the session about the reference it asked for, from the failure
// objects Temporal hands a workflow: an ActivityFailure whose cause says what happened.
import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUSINESS_ERROR_CODES } from '../../src/npp/errors.ts';
import { bindFailureOutcome } from '../../src/workflows/bindOutcome.ts';

const TAKEN = BUSINESS_ERROR_CODES.BizIdAlreadyUsed.code;

/** How the workflow sees an activity that failed with `cause`. */
const activityFailure = (cause: Error, retryState: RetryState = RetryState.NON_RETRYABLE_FAILURE) =>
  new ActivityFailure('activity failed', 'getVirtualNum', '1', retryState, 'worker', cause);
const refusal = (code: string, nonRetryable: boolean) =>
  ApplicationFailure.create({ type: code, message: `GetVirtualNum: ${code}`, nonRetryable });

describe('bindFailureOutcome', () => {
  it('reads BizIdAlreadyUsed as taken: an earlier attempt of this request took the reference', () => {
    expect(bindFailureOutcome(activityFailure(refusal(TAKEN, true)))).toBe('taken');
    // However the client classified it, and also when not wrapped.
    expect(bindFailureOutcome(activityFailure(refusal(TAKEN, false), RetryState.MAXIMUM_ATTEMPTS_REACHED))).toBe(
      'taken',
    );
    expect(bindFailureOutcome(refusal(TAKEN, true))).toBe('taken');
  });

  it('reads any other non-retryable refusal as refused: nothing was taken', () => {
    const { NoVirtualNumberAvailable, VirtualNumberInUse, InvalidPhoneNumber } = BUSINESS_ERROR_CODES;
    for (const { code } of [NoVirtualNumberAvailable, VirtualNumberInUse, InvalidPhoneNumber]) {
      expect(bindFailureOutcome(activityFailure(refusal(code, true)))).toBe('refused');
    }
    expect(bindFailureOutcome(activityFailure(refusal('AuthFailure.SignatureFailure', true)))).toBe('refused');
  });

  it('reads timeouts, transient faults that ran out of attempts and anything else as unknown', () => {
    const timeout = new TimeoutFailure('start-to-close', undefined, TimeoutType.START_TO_CLOSE);
    expect(bindFailureOutcome(activityFailure(timeout, RetryState.TIMEOUT))).toBe('unknown');
    const { InternalPlatformError } = BUSINESS_ERROR_CODES;
    const exhausted = activityFailure(refusal(InternalPlatformError.code, false), RetryState.MAXIMUM_ATTEMPTS_REACHED);
    expect(bindFailureOutcome(exhausted)).toBe('unknown');
    expect(bindFailureOutcome(activityFailure(refusal('HTTP_503', false)))).toBe('unknown');
    expect(bindFailureOutcome(new Error('something else'))).toBe('unknown');
    expect(bindFailureOutcome('not even an error')).toBe('unknown');
  });

  it('depends only on the code and the retry verdict of the cause', () => {
    const code = fc.oneof(
      fc.constantFrom(...Object.values(BUSINESS_ERROR_CODES).map((entry) => entry.code)),
      fc.stringMatching(/^[A-Za-z]+(\.[A-Za-z]+)?$/),
    );
    fc.assert(
      fc.property(code, fc.boolean(), fc.boolean(), (type, nonRetryable, wrapped) => {
        const cause = refusal(type, nonRetryable);
        const outcome = bindFailureOutcome(wrapped ? activityFailure(cause) : cause);
        expect(outcome).toBe(type === TAKEN ? 'taken' : nonRetryable ? 'refused' : 'unknown');
      }),
    );
  });
});
