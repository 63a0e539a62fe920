// Checks shared by the input validation of every workflow. Pure: bad input fails the run at once,
// non-retryable, typed by the workflow so apps can tell whose input was refused.
import { ApplicationFailure } from '@temporalio/workflow';
import { ALL_STATUS_FLAGS } from '../npp/models.ts';
import { isPlatformNumber } from '../phone.ts';

export interface InputChecks {
  /** Refuses the input with a reason that names the field (never its value: it may be a number). */
  reject(reason: string): never;
  /** Refuses `value` unless it is an integer within min..max. */
  wholeNumber(value: unknown, field: string, min: number, max: number): void;
  /** Refuses a key (sessionKey, callKey, CallId) that is not 1-128 of [A-Za-z0-9._:-]: it goes into workflow ids and queries. */
  key(value: unknown, field: string): void;
  /** Refuses a StatusFlag that is not a sum of the platform's StatusFlag bits. */
  statusFlag(value: unknown): void;
  /** Refuses a dst that is not in the platform's 0086 format. */
  platformDst(value: unknown): void;
  /** Refuses a notifyUrl that is not http(s) or longer than 2048 characters. */
  notifyUrl(value: unknown): void;
}

const KEY = /^[A-Za-z0-9._:-]{1,128}$/;
/** A notifyUrl: http(s), a host, no spaces, bounded (the URL class is not in every workflow sandbox). */
const NOTIFY_URL = /^https?:\/\/[^\s/?#]+[^\s]{0,2040}$/;

/** The checks of one workflow's input, failing with ApplicationFailure type `failureType`. */
export function inputChecks(failureType: string): InputChecks {
  const reject = (reason: string): never => {
    throw ApplicationFailure.create({ type: failureType, message: reason, nonRetryable: true });
  };
  return {
    reject,
    wholeNumber(value, field, min, max) {
      if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
        reject(`${field} must be a whole number between ${min} and ${max}`);
      }
    },
    key(value, field) {
      if (typeof value !== 'string' || !KEY.test(value)) {
        reject(`${field} must be 1-128 characters of letters, digits, ".", "_", ":" or "-"`);
      }
    },
    statusFlag(value) {
      if (!Number.isInteger(value) || (value as number) < 0 || ((value as number) & ~ALL_STATUS_FLAGS) !== 0) {
        reject(`statusFlag must be a sum of the StatusFlag bits (0 to ${ALL_STATUS_FLAGS})`);
      }
    },
    notifyUrl(value) {
      if (value !== undefined && !(typeof value === 'string' && NOTIFY_URL.test(value))) {
        reject('notifyUrl must be an http:// or https:// URL of at most 2048 characters');
      }
    },
    platformDst(value) {
      if (!isPlatformNumber(value)) {
        reject(
          'dst must be a number in the platform format: 0086 then 11 digits of a mobile or a fixed line with area code',
        );
      }
    },
  };
}
