import { ALL_STATUS_FLAGS, type KeyList, type RreCallerHandle } from '../npp/models.ts';
import { ApiFailure, BusinessFailure } from './failures.ts';

/** Reading and checking action parameters; framework-level faults are Tencent's common codes. */

export type Params = Record<string, unknown>;

/** An optional string parameter; "" counts as absent, as clients send it for "not set". */
export function optional(p: Params, name: string): string | undefined {
  const value = p[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ApiFailure('InvalidParameter', `The parameter ${name} must be a string.`);
  return value;
}

export function required(p: Params, name: string): string {
  const value = optional(p, name);
  if (value === undefined)
    throw new ApiFailure('MissingParameter', `The request is missing a required parameter ${name}.`);
  return value;
}

const invalid = (name: string, why: string): ApiFailure =>
  new ApiFailure('InvalidParameterValue', `The value of the parameter ${name} is invalid: ${why}.`);

/** 0086 followed by a mobile (11 digits) or landline (area code + number) number. */
export function phone(p: Params, name: string): string | undefined {
  const value = optional(p, name);
  if (value !== undefined && !isPhone(value))
    throw new BusinessFailure('InvalidPhoneNumber', `${name} is not a 0086 number.`);
  return value;
}

export const isPhone = (value: string): boolean => /^0086\d{10,12}$/.test(value);

/** A required 0086 + 11-digit mobile number (CreateCallBack's Src: "必须为 11 位手机号"). */
export function mobile(p: Params, name: string): string {
  const value = required(p, name);
  if (!/^00861\d{10}$/.test(value)) throw invalid(name, 'expected 0086 followed by an 11-digit mobile number');
  return value;
}

/** An optional string of at most `maxBytes` bytes in UTF-8. */
export function bounded(p: Params, name: string, maxBytes: number): string | undefined {
  const value = optional(p, name);
  if (value !== undefined && Buffer.byteLength(value, 'utf8') > maxBytes) {
    throw invalid(name, `at most ${maxBytes} bytes (UTF-8)`);
  }
  return value;
}

/** A decimal integer given as a string, within [min, max]. */
export function integer(p: Params, name: string, min: number, max: number): number | undefined {
  const value = optional(p, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw invalid(name, `expected an integer within ${min}..${max}`);
  return n;
}

export function flag(p: Params, name: string): boolean {
  return integer(p, name, 0, 1) === 1;
}

export function statusFlag(p: Params): number {
  const value = integer(p, 'StatusFlag', 0, ALL_STATUS_FLAGS) ?? 0;
  if ((value & ~ALL_STATUS_FLAGS) !== 0) throw invalid('StatusFlag', 'unknown status bits');
  return value;
}

export function url(p: Params, name: string): string | undefined {
  const value = optional(p, name);
  if (value !== undefined && !/^https?:\/\/\S+$/.test(value)) throw invalid(name, 'expected an http(s) URL');
  return value;
}

export function bizId(p: Params, maxBytes: number): string | undefined {
  const value = optional(p, 'BizId');
  if (value !== undefined && (!/^[0-9A-Za-z]+$/.test(value) || value.length > maxBytes)) {
    throw invalid('BizId', `letters and digits, at most ${maxBytes} bytes`);
  }
  return value;
}

export function accreditList(p: Params): string[] {
  const value = p.AccreditList;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 30 || !value.every((v) => typeof v === 'string')) {
    throw invalid('AccreditList', 'expected at most 30 numbers');
  }
  if (!value.every(isPhone))
    throw new BusinessFailure('InvalidPhoneNumber', 'AccreditList holds a number that is not a 0086 number.');
  return value;
}

export function preCallerHandle(p: Params): RreCallerHandle | undefined {
  const value = p.PreCallerHandle;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ApiFailure('InvalidParameter', 'PreCallerHandle must be an object.');
  const h = value as Params;
  const keyList = h.KeyList;
  if (!Array.isArray(keyList) || keyList.length === 0)
    throw new ApiFailure('MissingParameter', 'PreCallerHandle requires KeyList.');
  const keys: KeyList[] = keyList.map((k: unknown) => {
    const entry = (k ?? {}) as Params;
    const key = required(entry, 'Key');
    const operate = required(entry, 'Operate');
    if (!/^[0-9*#A-D]$/.test(key) || !['1', '2', '3'].includes(operate))
      throw invalid('PreCallerHandle.KeyList', 'bad Key or Operate');
    return { Key: key, Operate: operate };
  });
  const gender = optional(h, 'PromptGender') ?? '1';
  if (gender !== '1' && gender !== '2') throw invalid('PreCallerHandle.PromptGender', "'1' (female) or '2' (male)");
  return {
    ReadPrompt: optional(h, 'ReadPrompt') ?? '',
    InterruptPrompt: optional(h, 'InterruptPrompt') ?? '',
    KeyList: keys,
    RepeatTimes: String(integer(h, 'RepeatTimes', 0, 100) ?? 0),
    // "如果为空不回调": an empty URL stays empty, so the call sends no keypress callback.
    KeyPressUrl: url(h, 'KeyPressUrl') ?? '',
    PromptGender: gender,
  };
}
