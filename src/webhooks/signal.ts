import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { NppBindId, NppCallId } from '../contract/searchAttributes.ts';
import type { ParsedCallback } from '../npp/callbacks/events.ts';

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
 * The workflow a console-default callback belongs to: a running one that has the call, else a
 * closed one that has it (the signal is then ignored: the call is not a sharer's), else the running
 * one chosen by findRunningWorkflowId, else a closed one with the ids. Visibility lags behind
 * upserts, so when nothing has the ids it is looked up again a few times; undefined then.
 */
export async function findWorkflowId(
  client: Client,
  parsed: ParsedCallback,
  retry: VisibilityRetry,
  timeoutMs: number,
): Promise<string | undefined> {
  for (let attempt = 1; ; attempt++) {
    const running = await runningCandidates(client, parsed, timeoutMs);
    const chosen =
      (running[0]?.hasCall ? running[0].workflowId : undefined) ??
      (await withDeadline(client, timeoutMs, () => firstMatch(client, closedWithCall(parsed.callId)))) ??
      running[0]?.workflowId ??
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
  return (await runningCandidates(client, parsed, timeoutMs))[0]?.workflowId;
}

/**
 * Whether the (closed) workflow lists the call in NppCallId: then a late event of that call is its
 * own, not one for a session sharing its binding. NppCallId keeps only the most recent CallIds
 * (CALL_IDS_SEARCHABLE), so a late event of an older call of a busy session is not recognised.
 */
export async function workflowHasCall(
  client: Client,
  workflowId: string,
  callId: string,
  timeoutMs: number,
): Promise<boolean> {
  try {
    // Read from the execution itself, not from visibility: no indexing lag, no worker needed.
    const description = await withDeadline(client, timeoutMs, () => client.workflow.getHandle(workflowId).describe());
    return description.typedSearchAttributes.get(NppCallId)?.includes(callId) ?? false;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

async function runningCandidates(client: Client, parsed: ParsedCallback, timeoutMs: number): Promise<Candidate[]> {
  const running = await withDeadline(client, timeoutMs, () =>
    candidates(client, `ExecutionStatus = 'Running' AND (${idsMatch(parsed)})`, parsed.callId),
  );
  return running.sort(preferred);
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

function closedWithCall(callId: string): string {
  // A run that continued as new is not closed: its successor has the same workflow id.
  return `ExecutionStatus != 'Running' AND ExecutionStatus != 'ContinuedAsNew' AND ${NppCallId.name} = '${callId}'`;
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
