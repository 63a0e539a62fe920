// Validation and defaults of a session's input. Pure: runs first thing in the workflow, so bad input
// fails the run at once, non-retryable, with a reason that names the field (never the number).

import type { SessionInput, TtlMode } from '../contract/session.ts';
import { ALL_STATUS_FLAGS } from '../npp/models.ts';
import { isPlatformNumber } from '../phone.ts';
import { inputChecks } from './inputChecks.ts';

export const DEFAULT_TTL_SECONDS = 24 * 3600;
/** GetVirtualNum.MaxAssignTime cannot exceed 168 hours. */
export const MAX_TTL_SECONDS = 168 * 3600;
export const DEFAULT_DRAIN_SECONDS = 300;
/** The wait for calls to end and recordings to arrive before unbinding (GetVirtualNum.Record asks for it). */
export const DEFAULT_RECORDING_WAIT_SECONDS = 600;
export const MAX_ACCREDIT_LIST = 30;

export const INVALID_SESSION_INPUT = 'InvalidSessionInput';

/** The input with every default applied. */
export interface ResolvedSessionInput extends SessionInput {
  record: boolean;
  ttlSeconds: number;
  ttlMode: TtlMode;
  maxTtlSeconds: number;
  statusFlag: number;
  drainSeconds: number;
  recordingWaitSeconds: number;
}

const {
  reject,
  wholeNumber,
  key,
  statusFlag: checkStatusFlag,
  platformDst,
  notifyUrl,
} = inputChecks(INVALID_SESSION_INPUT);

export function resolveSessionInput(input: SessionInput): ResolvedSessionInput {
  if (typeof input !== 'object' || input === null) reject('input must be an object');
  key(input.sessionKey, 'sessionKey');
  if (input.mode !== 'AXB' && input.mode !== 'XB') reject('mode must be "AXB" or "XB"');
  platformDst(input.dst);
  if (input.mode === 'AXB') {
    if (!isPlatformNumber(input.src)) reject('src is required in AXB mode and must be 0086-prefixed like dst');
    if (input.src === input.dst) reject('src and dst must differ');
    if (input.accreditList !== undefined) reject('accreditList applies to XB mode only');
  } else if (input.src !== undefined) {
    reject('src must be absent in XB mode (anyone, or the accreditList, may call dst)');
  }
  if (input.accreditList !== undefined) {
    if (!Array.isArray(input.accreditList) || input.accreditList.length > MAX_ACCREDIT_LIST) {
      reject(`accreditList must be a list of at most ${MAX_ACCREDIT_LIST} numbers`);
    }
    for (const [i, n] of input.accreditList.entries()) {
      if (!isPlatformNumber(n)) reject(`accreditList[${i}] is not a 0086-prefixed number`);
    }
  }
  if (input.assignVirtualNum !== undefined && !isPlatformNumber(input.assignVirtualNum)) {
    reject('assignVirtualNum must be a 0086-prefixed number');
  }
  if (input.cityId !== undefined && !/^\d{1,8}$/.test(input.cityId)) reject('cityId must be digits');
  if (input.record !== undefined && typeof input.record !== 'boolean') reject('record must be true or false');

  const ttlSeconds = input.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  wholeNumber(ttlSeconds, 'ttlSeconds', 1, MAX_TTL_SECONDS);
  const ttlMode = input.ttlMode ?? 'fixed';
  if (ttlMode !== 'fixed' && ttlMode !== 'sliding') reject('ttlMode must be "fixed" or "sliding"');
  const maxTtlSeconds = input.maxTtlSeconds ?? Math.min(2 * ttlSeconds, MAX_TTL_SECONDS);
  wholeNumber(maxTtlSeconds, 'maxTtlSeconds', ttlSeconds, MAX_TTL_SECONDS);
  const statusFlag = input.statusFlag ?? ALL_STATUS_FLAGS;
  checkStatusFlag(statusFlag);
  const drainSeconds = input.drainSeconds ?? DEFAULT_DRAIN_SECONDS;
  wholeNumber(drainSeconds, 'drainSeconds', 0, 7 * 24 * 3600);
  const recordingWaitSeconds = input.recordingWaitSeconds ?? DEFAULT_RECORDING_WAIT_SECONDS;
  wholeNumber(recordingWaitSeconds, 'recordingWaitSeconds', 0, MAX_TTL_SECONDS);
  notifyUrl(input.notifyUrl);
  if (input.continueAsNewAfterEvents !== undefined) {
    wholeNumber(input.continueAsNewAfterEvents, 'continueAsNewAfterEvents', 100, 50_000);
  }
  return {
    ...input,
    record: input.record ?? false,
    ttlSeconds,
    ttlMode,
    maxTtlSeconds,
    statusFlag,
    drainSeconds,
    recordingWaitSeconds,
  };
}
