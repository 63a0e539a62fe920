import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { NppBindId, NppCallId } from '../workflows/searchAttributes.ts';
import type { ParsedCallback } from './events.ts';

// Handing a parsed callback to its workflow. Only two outcomes are final for the platform:
// Temporal accepted the signal, or the workflow is gone. Anything else must be redelivered.

export type SignalOutcome = 'accepted' | 'ignored';

/** Signals the workflow; resolves once Temporal has accepted the signal (or knows the workflow is gone). */
export async function signalWorkflow(
  client: Client,
  workflowId: string,
  parsed: ParsedCallback,
  timeoutMs: number,
): Promise<SignalOutcome> {
  try {
    // Without a deadline the SDK keeps retrying an unreachable server far beyond the platform's timeout.
    await client.connection.withDeadline(Date.now() + timeoutMs, () =>
      client.workflow.getHandle(workflowId).signal(parsed.signal, parsed.event as never),
    );
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
 * The workflow a console-default callback belongs to, by its binding or, failing that, its call.
 * Visibility lags behind upserts, so an unknown id is looked up again a few times; undefined then.
 * A running workflow wins over closed ones (a binding id can outlive one session in the index).
 */
export async function findWorkflowId(
  client: Client,
  parsed: ParsedCallback,
  retry: VisibilityRetry,
  timeoutMs: number,
): Promise<string | undefined> {
  // Ids are restricted to [A-Za-z0-9._:-] by the parser: safe inside quotes.
  const query =
    parsed.bindId === undefined
      ? `${NppCallId.name} = '${parsed.callId}'`
      : `${NppBindId.name} = '${parsed.bindId}' OR ${NppCallId.name} = '${parsed.callId}'`;
  for (let attempt = 1; ; attempt++) {
    const found = await client.connection.withDeadline(Date.now() + timeoutMs, () => listIds(client, query));
    const chosen = found.find((match) => match.running) ?? found[0];
    if (chosen !== undefined) return chosen.workflowId;
    if (attempt >= retry.attempts) return undefined;
    await sleep(retry.delayMs);
  }
}

const MAX_MATCHES = 10;

async function listIds(client: Client, query: string): Promise<{ workflowId: string; running: boolean }[]> {
  const matches: { workflowId: string; running: boolean }[] = [];
  for await (const execution of client.workflow.list({ query, pageSize: MAX_MATCHES })) {
    matches.push({ workflowId: execution.workflowId, running: execution.status.name === 'RUNNING' });
    if (matches.length >= MAX_MATCHES) break;
  }
  return matches;
}
