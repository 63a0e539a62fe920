import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { type ParsedCallback, signalParsed } from '../npp/callbacks/events.ts';
import { findAnyWithIds, findOwner } from '../temporal/ownership.ts';

// Handing a parsed callback to its workflow. Only two outcomes are final for the platform:
// Temporal accepted the signal, or the workflow is gone. Anything else must be redelivered.

export type SignalOutcome = 'accepted' | 'ignored';

/**
 * Runs one Temporal call of a request under its deadline: without one the SDK keeps retrying an
 * unreachable server far beyond the platform's timeout.
 */
export function withDeadline<T>(client: Client, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  return client.connection.withDeadline(Date.now() + timeoutMs, fn);
}

/** Signals the workflow; resolves once Temporal has accepted the signal (or knows the workflow is gone). */
export async function signalWorkflow(
  client: Client,
  workflowId: string,
  parsed: ParsedCallback,
  timeoutMs: number,
): Promise<SignalOutcome> {
  try {
    await withDeadline(client, timeoutMs, () => signalParsed(client.workflow.getHandle(workflowId), parsed));
    return 'accepted';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'ignored';
    throw error;
  }
}

export interface VisibilityRetry {
  attempts: number;
  delayMs: number;
}

/**
 * The workflow a console-default callback belongs to: the most likely running owner (findOwner),
 * else a closed one that lists the call (the signal is then ignored: the call is not a sharer's),
 * else a closed one with the ids (ignored too). Visibility lags behind upserts, so when nothing has
 * the ids it is looked up again a few times; undefined then.
 */
export async function findWorkflowId(
  client: Client,
  parsed: ParsedCallback,
  retry: VisibilityRetry,
  timeoutMs: number,
): Promise<string | undefined> {
  for (let attempt = 1; ; attempt++) {
    const owners = await withDeadline(client, timeoutMs, () => findOwner(client, parsed));
    const chosen =
      owners.running[0]?.workflowId ??
      owners.closedHolder ??
      (await withDeadline(client, timeoutMs, () => findAnyWithIds(client, parsed)));
    if (chosen !== undefined) return chosen;
    if (attempt >= retry.attempts) return undefined;
    await sleep(retry.delayMs);
  }
}
