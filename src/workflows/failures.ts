// How workflows read the failures of the activities they call, and the failures they end with.
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import { WORKFLOW_FAILURES } from '../contract/failures.ts';

/** What an activity failure said, as code (the ApplicationFailure type, or Timeout) and message. */
export function failureOf(error: unknown): { code: string; message: string } {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) return { code: cause.type ?? 'Unknown', message: cause.message };
  if (cause instanceof TimeoutFailure) return { code: 'Timeout', message: cause.message };
  return { code: 'Unknown', message: error instanceof Error ? error.message : String(error) };
}

/** The session's failure when GetVirtualNum failed for good: not retryable, its last state in the details. */
export function bindFailed(failure: { code: string; message: string }, state: object): ApplicationFailure {
  return ApplicationFailure.create({
    type: WORKFLOW_FAILURES.bindFailed,
    message: `bind-failed: ${failure.code}: ${failure.message}`,
    nonRetryable: true,
    details: [state],
  });
}
