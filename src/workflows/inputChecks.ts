// Checks shared by the input validation of every workflow. Pure: bad input fails the run at once,
// non-retryable, typed by the workflow so apps can tell whose input was refused.
import { ApplicationFailure } from '@temporalio/workflow';

export interface InputChecks {
  /** Refuses the input with a reason that names the field (never its value: it may be a number). */
  reject(reason: string): never;
  /** Refuses `value` unless it is an integer within min..max. */
  wholeNumber(value: unknown, field: string, min: number, max: number): void;
}

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
  };
}
