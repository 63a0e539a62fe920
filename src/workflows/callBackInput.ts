// Validation and defaults of a callback call's input. Pure: runs first thing in the workflow, so bad
// input fails the run at once, non-retryable, with a reason that names the field (never the number).

import type { CallBackInput } from '../contract/callBack.ts';
import { ALL_STATUS_FLAGS } from '../npp/models.ts';
import { isPlatformNumber } from '../phone.ts';
import { inputChecks } from './inputChecks.ts';

export const INVALID_CALLBACK_INPUT = 'InvalidCallBackInput';

/** CreateCallBack's own default when MaxAllowTime is absent. */
export const DEFAULT_MAX_ALLOW_MINUTES = 30;
/** Time the platform may spend ringing both legs (and an IVR) before the conversation starts. */
export const RINGING_ALLOWANCE_SECONDS = 5 * 60;
export const DEFAULT_POLL_INTERVAL_SECONDS = 60;
export const DEFAULT_RECORDING_WAIT_SECONDS = 120;
/** Polling goes on at least this long past the call's longest life: platform outages last minutes. */
export const MIN_DEFAULT_POLLING_LIMIT_SECONDS = 3600;

/** 0086 + an 11-digit mobile: the only kind of caller CreateCallBack accepts. */
const MOBILE = /^00861\d{10}$/;
const KEY = /^[0-9*#A-D]$/;
const BIZ_ID = /^[A-Za-z0-9]{1,64}$/;

/** The input with every default applied. */
export interface ResolvedCallBackInput extends CallBackInput {
  record: boolean;
  maxAllowTime: number;
  statusFlag: number;
  hangupTimeoutSeconds: number;
  pollIntervalSeconds: number;
  pollingLimitSeconds: number;
  recordingWaitSeconds: number;
}

const {
  reject,
  wholeNumber,
  key,
  statusFlag: checkStatusFlag,
  platformDst,
  notifyUrl,
} = inputChecks(INVALID_CALLBACK_INPUT);

function validatePreCallerHandle(handle: CallBackInput['preCallerHandle']): void {
  if (handle === undefined) return;
  if (typeof handle !== 'object' || handle === null) reject('preCallerHandle must be an object');
  if (!Array.isArray(handle.keyList) || handle.keyList.length === 0) {
    reject('preCallerHandle.keyList must list at least one key');
  }
  handle.keyList.forEach(({ key, operate }, i) => {
    if (typeof key !== 'string' || !KEY.test(key))
      reject(`preCallerHandle.keyList[${i}].key must be one of 0-9 * # A-D`);
    if (operate !== 1 && operate !== 2 && operate !== 3)
      reject(`preCallerHandle.keyList[${i}].operate must be 1, 2 or 3`);
  });
  if (typeof handle.readPrompt !== 'string' || typeof handle.interruptPrompt !== 'string') {
    reject('preCallerHandle.readPrompt and interruptPrompt must be text');
  }
  if (handle.repeatTimes !== undefined) wholeNumber(handle.repeatTimes, 'preCallerHandle.repeatTimes', 0, 100);
  if (handle.promptGender !== undefined && handle.promptGender !== 1 && handle.promptGender !== 2) {
    reject('preCallerHandle.promptGender must be 1 (female) or 2 (male)');
  }
}

export function resolveCallBackInput(input: CallBackInput): ResolvedCallBackInput {
  if (typeof input !== 'object' || input === null) reject('input must be an object');
  key(input.callKey, 'callKey');
  if (typeof input.src !== 'string' || !MOBILE.test(input.src)) {
    reject('src must be a mobile number in the platform format: 0086 then 11 digits starting with 1');
  }
  platformDst(input.dst);
  if (input.src === input.dst) reject('src and dst must differ');
  for (const field of ['srcDisplayNum', 'dstDisplayNum'] as const) {
    if (input[field] !== undefined && !isPlatformNumber(input[field]))
      reject(`${field} must be a 0086-prefixed number`);
  }
  if (input.chooseDisplayNumbers !== undefined && typeof input.chooseDisplayNumbers !== 'boolean') {
    reject('chooseDisplayNumbers must be true or false');
  }
  if (input.record !== undefined && typeof input.record !== 'boolean') reject('record must be true or false');
  validatePreCallerHandle(input.preCallerHandle);
  if (input.bizId !== undefined && (typeof input.bizId !== 'string' || !BIZ_ID.test(input.bizId))) {
    reject('bizId must be 1-64 letters or digits');
  }
  if (
    input.orderId !== undefined &&
    (typeof input.orderId !== 'string' || input.orderId.length === 0 || input.orderId.length > 64)
  ) {
    reject('orderId must be 1-64 characters');
  }
  if (input.lastCallId !== undefined) key(input.lastCallId, 'lastCallId');

  const maxAllowTime = input.maxAllowTime ?? DEFAULT_MAX_ALLOW_MINUTES;
  wholeNumber(maxAllowTime, 'maxAllowTime (minutes)', 1, 24 * 60);
  const statusFlag = input.statusFlag ?? ALL_STATUS_FLAGS;
  checkStatusFlag(statusFlag);
  const hangupTimeoutSeconds = input.hangupTimeoutSeconds ?? RINGING_ALLOWANCE_SECONDS + maxAllowTime * 60;
  wholeNumber(hangupTimeoutSeconds, 'hangupTimeoutSeconds', 1, 2 * 24 * 3600);
  const pollIntervalSeconds = input.pollIntervalSeconds ?? DEFAULT_POLL_INTERVAL_SECONDS;
  wholeNumber(pollIntervalSeconds, 'pollIntervalSeconds', 1, 3600);
  const pollingLimitSeconds =
    input.pollingLimitSeconds ??
    Math.max(RINGING_ALLOWANCE_SECONDS + maxAllowTime * 60, MIN_DEFAULT_POLLING_LIMIT_SECONDS);
  wholeNumber(pollingLimitSeconds, 'pollingLimitSeconds', 1, 7 * 24 * 3600);
  if (input.pollAttempts !== undefined) wholeNumber(input.pollAttempts, 'pollAttempts', 1, 20);
  notifyUrl(input.notifyUrl);
  if (input.continueAsNewAfterEvents !== undefined) {
    wholeNumber(input.continueAsNewAfterEvents, 'continueAsNewAfterEvents', 100, 50_000);
  }
  const recordingWaitSeconds = input.recordingWaitSeconds ?? DEFAULT_RECORDING_WAIT_SECONDS;
  wholeNumber(recordingWaitSeconds, 'recordingWaitSeconds', 0, 24 * 3600);
  return {
    ...input,
    record: input.record ?? false,
    maxAllowTime,
    statusFlag,
    hangupTimeoutSeconds,
    pollIntervalSeconds,
    pollingLimitSeconds,
    recordingWaitSeconds,
  };
}
