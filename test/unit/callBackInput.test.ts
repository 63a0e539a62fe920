// A callback call's input: the defaults derived from MaxAllowTime (when to poll, how long), the
// bounds, and refusals that name the field.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CallBackInput } from '../../src/contract/callBack.ts';
import { ALL_STATUS_FLAGS } from '../../src/npp/models.ts';
import {
  DEFAULT_MAX_ALLOW_MINUTES,
  DEFAULT_POLL_INTERVAL_SECONDS,
  DEFAULT_RECORDING_WAIT_SECONDS,
  INVALID_CALLBACK_INPUT,
  MIN_DEFAULT_POLLING_LIMIT_SECONDS,
  RINGING_ALLOWANCE_SECONDS,
  resolveCallBackInput,
} from '../../src/workflows/callBackInput.ts';
import { refusal } from './refusal.ts';

const call = (fields: Partial<CallBackInput> = {}): CallBackInput => ({
  callKey: 'call-1',
  src: '008613800138000',
  dst: '0086075512345678',
  ...fields,
});
const refused = (input: unknown) => refusal(() => resolveCallBackInput(input as CallBackInput));
const handle = (fields: Partial<NonNullable<CallBackInput['preCallerHandle']>> = {}) =>
  ({
    readPrompt: 'welcome',
    interruptPrompt: 'press 1',
    keyList: [{ key: '1', operate: 1 }],
    ...fields,
  }) as NonNullable<CallBackInput['preCallerHandle']>;

describe('resolveCallBackInput', () => {
  it('defaults: 30 minutes, every StatusFlag, polling from the call’s longest life for at least an hour', () => {
    const longestLife = RINGING_ALLOWANCE_SECONDS + DEFAULT_MAX_ALLOW_MINUTES * 60;
    expect(resolveCallBackInput(call())).toEqual({
      ...call(),
      record: false,
      maxAllowTime: DEFAULT_MAX_ALLOW_MINUTES,
      statusFlag: ALL_STATUS_FLAGS,
      hangupTimeoutSeconds: longestLife,
      pollIntervalSeconds: DEFAULT_POLL_INTERVAL_SECONDS,
      pollingLimitSeconds: MIN_DEFAULT_POLLING_LIMIT_SECONDS,
      recordingWaitSeconds: DEFAULT_RECORDING_WAIT_SECONDS,
    });
  });

  it('waits for the hangup as long as the call can last, and polls at least that long again', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 24 * 60 }), (maxAllowTime) => {
        const resolved = resolveCallBackInput(call({ maxAllowTime }));
        const longestLife = RINGING_ALLOWANCE_SECONDS + maxAllowTime * 60;
        expect(resolved.hangupTimeoutSeconds).toBe(longestLife);
        expect(resolved.pollingLimitSeconds).toBe(Math.max(longestLife, MIN_DEFAULT_POLLING_LIMIT_SECONDS));
      }),
    );
  });

  it('keeps the timings it is given, within their bounds', () => {
    const given = { hangupTimeoutSeconds: 1, pollIntervalSeconds: 3600, pollingLimitSeconds: 7 * 24 * 3600 };
    expect(resolveCallBackInput(call(given))).toMatchObject(given);
    const outOfBounds: [Partial<CallBackInput>, string][] = [
      [{ maxAllowTime: 0 }, 'maxAllowTime (minutes) must be a whole number between 1 and 1440'],
      [{ hangupTimeoutSeconds: 2 * 24 * 3600 + 1 }, 'hangupTimeoutSeconds must be a whole number between 1 and 172800'],
      [{ pollIntervalSeconds: 0 }, 'pollIntervalSeconds must be a whole number between 1 and 3600'],
      [{ pollingLimitSeconds: 0.5 }, 'pollingLimitSeconds must be a whole number between 1 and 604800'],
      [{ pollAttempts: 21 }, 'pollAttempts must be a whole number between 1 and 20'],
      [{ recordingWaitSeconds: -1 }, 'recordingWaitSeconds must be a whole number between 0 and 86400'],
      [{ continueAsNewAfterEvents: 50_001 }, 'continueAsNewAfterEvents must be a whole number between 100 and 50000'],
    ];
    for (const [fields, message] of outOfBounds) expect(refused(call(fields)).message).toBe(message);
  });

  it('fails as InvalidCallBackInput, non-retryable, naming the field', () => {
    const cases: [Partial<CallBackInput> | null, RegExp][] = [
      [null, /^input must be an object/],
      [{ callKey: '' }, /^callKey must be/],
      [{ notifyUrl: 'mailto:ops@example.com' }, /^notifyUrl must be an http/],
      // CreateCallBack rings only mobiles first.
      [{ src: '0086075512345678', dst: '008613800138000' }, /^src must be a mobile number/],
      [{ dst: '075512345678' }, /^dst must be a number in the platform format/],
      [{ dst: '008613800138000' }, /^src and dst must differ/],
      [{ srcDisplayNum: '95000' }, /^srcDisplayNum must be a 0086-prefixed number/],
      [{ chooseDisplayNumbers: 1 as unknown as boolean }, /^chooseDisplayNumbers must be true or false/],
      [{ preCallerHandle: handle({ keyList: [] }) }, /^preCallerHandle.keyList must list at least one key/],
      [{ preCallerHandle: handle({ keyList: [{ key: 'E', operate: 1 }] }) }, /keyList\[0\].key must be one of/],
      [
        { preCallerHandle: handle({ keyList: [{ key: '#', operate: 4 as 1 }] }) },
        /keyList\[0\].operate must be 1, 2 or 3/,
      ],
      [{ preCallerHandle: handle({ promptGender: 3 as 1 }) }, /^preCallerHandle.promptGender must be 1/],
      [{ bizId: 'has-dash' }, /^bizId must be 1-64 letters or digits/],
      [{ orderId: 'x'.repeat(65) }, /^orderId must be 1-64 characters/],
      [{ lastCallId: 'bad id' }, /^lastCallId must be/],
      [{ statusFlag: 128 }, /^statusFlag must be a sum/],
    ];
    for (const [fields, reason] of cases) {
      const failure = refused(fields === null ? null : call(fields));
      expect(failure).toMatchObject({ type: INVALID_CALLBACK_INPUT, nonRetryable: true });
      expect(failure.message).toMatch(reason);
    }
  });

  it('accepts an IVR with keys 0-9 * # A-D', () => {
    const keyList = [...'0123456789*#ABCD'].map((key, i) => ({ key, operate: ((i % 3) + 1) as 1 | 2 | 3 }));
    expect(resolveCallBackInput(call({ preCallerHandle: handle({ keyList }) })).preCallerHandle?.keyList).toEqual(
      keyList,
    );
  });
});
