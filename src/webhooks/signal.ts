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
 * The workflow a console-default callback belongs to: the running one chosen by
 * findRunningWorkflowId, else a closed one with the ids (the signal is then ignored). Visibility lags
 * behind upserts, so when nothing has the ids it is looked up again a few times; undefined then.
 */
export async function findWorkflowId(
  client: Client,
  parsed: ParsedCallback,
  retry: VisibilityRetry,
  timeoutMs: number,
): Promise<string | undefined> {
  for (let attempt = 1; ; attempt++) {
    const chosen =
      (await findRunningWorkflowId(client, parsed, timeoutMs)) ??
      (await withDeadline(client, timeoutMs, () => firstMatch(client, idsMatch(parsed))));
    if (chosen !== undefined) return chosen;
    if (attempt >= retry.attempts) return undefined;
    await sleep(retry.delayMs);
  }
}

/**
 * The running workflow an event of this binding or call goes to, in one look-up. In XB several
 * sessions share one binding, so this picks, in order: the one that already has the call
 * (NppCallId), then the one started first, then the smallest workflow id, so that every event of a
 * call lands in the same session.
 */
export async function findRunningWorkflowId(
  client: Client,
  parsed: ParsedCallback,
  timeoutMs: number,
): Promise<string | undefined> {
  const running = await withDeadline(client, timeoutMs, () =>
    candidates(client, `ExecutionStatus = 'Running' AND (${idsMatch(parsed)})`, parsed.callId),
  );
  return running.sort(preferred)[0]?.workflowId;
}

interface Candidate {
  workflowId: string;
  startedAt: number;
  hasCall: boolean;
}

function preferred(a: Candidate, b: Candidate): number {
  if (a.hasCall !== b.hasCall) return a.hasCall ? -1 : 1;
  if (a.startedAt !== b.startedAt) return a.startedAt - b.startedAt;
  return a.workflowId < b.workflowId ? -1 : a.workflowId > b.workflowId ? 1 : 0;
}

// Ids are restricted to [A-Za-z0-9._:-] by the parser: safe inside quotes.
function idsMatch(parsed: ParsedCallback): string {
  const byCall = `${NppCallId.name} = '${parsed.callId}'`;
  return parsed.bindId === undefined ? byCall : `${NppBindId.name} = '${parsed.bindId}' OR ${byCall}`;
}

function withDeadline<T>(client: Client, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  return client.connection.withDeadline(Date.now() + timeoutMs, fn);
}

/** Far more than the sessions one XB binding is shared by; beyond it the choice is among the first ones listed. */
const MAX_CANDIDATES = 100;

async function candidates(client: Client, query: string, callId: string): Promise<Candidate[]> {
  const found: Candidate[] = [];
  for await (const execution of client.workflow.list({ query, pageSize: MAX_CANDIDATES })) {
    found.push({
      workflowId: execution.workflowId,
      startedAt: execution.startTime.getTime(),
      hasCall: execution.typedSearchAttributes.get(NppCallId)?.includes(callId) ?? false,
    });
    if (found.length >= MAX_CANDIDATES) break;
  }
  return found;
}

async function firstMatch(client: Client, query: string): Promise<string | undefined> {
  for await (const execution of client.workflow.list({ query, pageSize: 1 })) return execution.workflowId;
  return undefined;
}
