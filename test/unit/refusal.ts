import { ApplicationFailure } from '@temporalio/common';
import { expect } from 'vitest';

/** The ApplicationFailure `fn` refuses its input with; fails the test when `fn` throws anything else, or nothing. */
export function refusal(fn: () => unknown): ApplicationFailure {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  }
  throw new Error('expected the input to be refused');
}
