// What a failed GetVirtualNum says about the reference it asked for. Imports only @temporalio/workflow.
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { BUSINESS_ERROR_CODES } from '../npp/errors.ts';
import { failureOf } from './failures.ts';

/** Times one BizId is asked for while its outcome stays unknown (each ask runs its own retries). */
export const MAX_ASKS_PER_BIZ_ID = 3;
/** Lost answers one bind or addReference recovers before it gives up. */
export const MAX_LOST_ANSWERS = 4;

/**
 * - `taken`: refused as BizIdAlreadyUsed. The BizId is this request's own and the platform takes a
 *   BizId once, so an earlier attempt of it took the reference and its answer was lost.
 * - `refused`: any other refusal; the platform checks the BizId first, so nothing was taken.
 * - `unknown`: timeouts, or transient faults until the attempts ran out; an earlier attempt may have
 *   been performed after all.
 */
export type BindFailureOutcome = 'taken' | 'refused' | 'unknown';

export function bindFailureOutcome(error: unknown): BindFailureOutcome {
  if (failureOf(error).code === BUSINESS_ERROR_CODES.BizIdAlreadyUsed.code) return 'taken';
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof ApplicationFailure && cause.nonRetryable ? 'refused' : 'unknown';
}
