// The continue-as-new rule both long-lived workflows follow. Imports only @temporalio/workflow.
import { workflowInfo } from '@temporalio/workflow';

/**
 * History events after which a session continues as new when its input names no other limit. A
 * workflow task replays the run's whole history first (the workers keep no run in memory), at about
 * a millisecond per signal: this keeps a task well under a second, and far from its 10 s timeout.
 */
export const SESSION_RUN_EVENTS = 1_000;

/** Event ids a run hands to the next one: redeliveries come within hours, not thousands of events later. */
export const MAX_SEEN_EVENT_IDS = 5000;

/**
 * Whether the run should continue as new now: when Temporal suggests it (history size or length),
 * or once the history reaches `afterEvents` (an input option, used by tests and cautious operators).
 */
export function continueAsNewDue(afterEvents: number | undefined): boolean {
  const { continueAsNewSuggested, historyLength } = workflowInfo();
  return continueAsNewSuggested || (afterEvents !== undefined && historyLength >= afterEvents);
}

/** The most recent event ids, as many as the next run remembers (Set keeps insertion order). */
export function eventIdsToCarry(seen: ReadonlySet<string>): string[] {
  return [...seen].slice(-MAX_SEEN_EVENT_IDS);
}
