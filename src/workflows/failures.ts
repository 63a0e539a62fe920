// How workflows read the failures of the activities they call. Imports only @temporalio/workflow.
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';

/** What an activity failure said, as code (the ApplicationFailure type, or Timeout) and message. */
export function failureOf(error: unknown): { code: string; message: string } {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) return { code: cause.type ?? 'Unknown', message: cause.message };
  if (cause instanceof TimeoutFailure) return { code: 'Timeout', message: cause.message };
  return { code: 'Unknown', message: error instanceof Error ? error.message : String(error) };
}
