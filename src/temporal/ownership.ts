import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { NppBindId, NppCallId } from '../contract/searchAttributes.ts';

// Which workflow owns a call: the one rule the webhook (one event at a time) and reconciliation (a
// batch of CDRs at a time) share. In XB several sessions share one binding, and every event of a
// call must land in the same one of them, on every delivery, webhook replica and reconciliation pass.

/** The ids an event or CDR names. The parser restricts them to [A-Za-z0-9._:-]: safe inside quotes. */
export interface CallIds {
  callId: string;
  bindId?: string;
}

/** A running workflow that may own a call, and whether its NppCallId already lists the call. */
export interface Candidate {
  workflowId: string;
  hasCall: boolean;
}

/** Who may own one call, as visibility lists it now. */
export interface Owners {
  /**
   * Running workflows, most likely owner first: those whose NppCallId lists the call, then those
   * sharing its binding (none when a closed workflow lists the call: it is not a sharer's); each
   * group oldest start first, then smallest workflow id.
   */
  running: Candidate[];
  /** A closed workflow whose NppCallId lists the call: its late events are its own. */
  closedHolder?: string;
}

/** Far more than the sessions one XB binding is shared by; beyond it the choice is among the first ones listed. */
const MAX_LISTED_PER_CALL = 100;

interface Execution {
  workflowId: string;
  running: boolean;
  startedAt: number;
  callIds: string[];
  bindId?: string;
}

/**
 * The owners of each call, in one visibility query. `workflowType` narrows the search to one kind
 * of workflow (reconciliation matches session CDRs to sessions only).
 */
export async function findOwners<C extends CallIds>(
  client: Client,
  calls: readonly C[],
  workflowType?: string,
): Promise<Map<C, Owners>> {
  const executions = await listExecutions(client, calls, workflowType);
  return new Map(calls.map((call) => [call, ownersOf(call, executions)]));
}

/** The owners of one call. */
export async function findOwner(client: Client, call: CallIds): Promise<Owners> {
  return ownersOf(call, await listExecutions(client, [call]));
}

/**
 * Some workflow, closed ones included, whose NppBindId or NppCallId names the call's ids: the
 * ids are known, though no running workflow owns the call. Undefined when none is indexed (yet).
 */
export async function findAnyWithIds(client: Client, call: CallIds): Promise<string | undefined> {
  const byCall = `${NppCallId.name} = '${call.callId}'`;
  const query = call.bindId === undefined ? byCall : `${NppBindId.name} = '${call.bindId}' OR ${byCall}`;
  for await (const execution of client.workflow.list({ query, pageSize: 1 })) return execution.workflowId;
  return undefined;
}

/**
 * Whether the workflow lists the call in NppCallId: then a late event of that call is its own, not
 * one for a session sharing its binding. NppCallId keeps only the most recent CallIds
 * (CALL_IDS_SEARCHABLE), so a late event of an older call of a busy session is not recognised.
 */
export async function workflowHasCall(client: Client, workflowId: string, callId: string): Promise<boolean> {
  try {
    // Read from the execution itself, not from visibility: no indexing lag, no worker needed.
    const description = await client.workflow.getHandle(workflowId).describe();
    return description.typedSearchAttributes.get(NppCallId)?.includes(callId) ?? false;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

function ownersOf(call: CallIds, executions: Execution[]): Owners {
  const holders = executions.filter((execution) => execution.callIds.includes(call.callId));
  const closedHolder = holders.find((holder) => !holder.running)?.workflowId;
  const sharers =
    closedHolder !== undefined || call.bindId === undefined
      ? []
      : executions.filter(
          (execution) => execution.running && execution.bindId === call.bindId && !holders.includes(execution),
        );
  const running = [
    ...holders.filter((holder) => holder.running).map(({ workflowId }) => ({ workflowId, hasCall: true })),
    ...sharers.map(({ workflowId }) => ({ workflowId, hasCall: false })),
  ];
  return closedHolder === undefined ? { running } : { running, closedHolder };
}

/** Every workflow that lists one of the calls, or runs and shares one of their bindings; oldest first. */
async function listExecutions(client: Client, calls: readonly CallIds[], workflowType?: string): Promise<Execution[]> {
  const quoted = (ids: string[]) => [...new Set(ids)].map((id) => `'${id}'`).join(', ');
  const bindIds = calls.flatMap((call) => (call.bindId === undefined ? [] : [call.bindId]));
  const matches = [`${NppCallId.name} IN (${quoted(calls.map((call) => call.callId))})`];
  if (bindIds.length > 0) matches.push(`(ExecutionStatus = 'Running' AND ${NppBindId.name} IN (${quoted(bindIds)}))`);
  const ofType = workflowType === undefined ? '' : `WorkflowType = '${workflowType}' AND `;
  // A run that continued as new is not closed: its successor (same workflow id) is listed as running.
  const query = `${ofType}ExecutionStatus != 'ContinuedAsNew' AND (${matches.join(' OR ')})`;
  const limit = MAX_LISTED_PER_CALL * calls.length;
  const executions: Execution[] = [];
  for await (const execution of client.workflow.list({ query, pageSize: MAX_LISTED_PER_CALL })) {
    const bindId = execution.typedSearchAttributes.get(NppBindId);
    executions.push({
      workflowId: execution.workflowId,
      running: execution.status.name === 'RUNNING',
      startedAt: execution.startTime.getTime(),
      callIds: execution.typedSearchAttributes.get(NppCallId) ?? [],
      ...(bindId === undefined ? {} : { bindId }),
    });
    if (executions.length >= limit) break;
  }
  return executions.sort(
    (a, b) => a.startedAt - b.startedAt || (a.workflowId < b.workflowId ? -1 : a.workflowId > b.workflowId ? 1 : 0),
  );
}
