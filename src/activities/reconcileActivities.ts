import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { NppClient } from '../npp/client.ts';
import { type ParsedCallback, parseCallback } from '../webhooks/events.ts';
import { InvalidPayloadError } from '../webhooks/fields.ts';
import { CALLBACK_WORKFLOW_TYPE, callBackStateQuery } from '../workflows/callBackDefinitions.ts';
import { SESSION_WORKFLOW_TYPE, sessionStateQuery } from '../workflows/definitions.ts';
import type { CdrWindow, ReconcileCounts } from '../workflows/reconcileDefinitions.ts';
import { NppBindId, NppCallId } from '../workflows/searchAttributes.ts';
import { toApplicationFailure } from './nppActivities.ts';

export interface ReconcileActivityDependencies {
  client: NppClient;
  /** Finds and signals the workflows the CDRs belong to; without it reconciliation cannot run. */
  temporal?: Client;
}

/** CDRs matched per visibility query: keeps the query well under the server's length limit. */
const LOOKUP_BATCH = 50;
/** A query a busy or absent worker cannot answer must not stall the whole pass. */
const QUERY_TIMEOUT_MS = 5_000;

type Handle = ReturnType<Client['workflow']['getHandle']>;

/** How one kind of CDR finds its workflow and tells whether that workflow already has it. */
interface CdrTarget {
  workflowType: string;
  hasCdr(handle: Handle, callId: string): Promise<boolean>;
}

const SESSIONS: CdrTarget = {
  workflowType: SESSION_WORKFLOW_TYPE,
  async hasCdr(handle, callId) {
    const state = await handle.query(sessionStateQuery);
    return state.calls.some((call) => call.callId === callId && call.endStatus !== undefined);
  },
};

const CALL_BACKS: CdrTarget = {
  workflowType: CALLBACK_WORKFLOW_TYPE,
  async hasCdr(handle) {
    return (await handle.query(callBackStateQuery)).cdr !== undefined;
  },
};

interface Execution {
  workflowId: string;
  callIds: string[];
  bindId?: string;
}

/**
 * Reconciliation: the platform's CDRs of a window, each handed to the running workflow it belongs
 * to as the very signal the webhook would have sent (same parser, so the same event id), unless
 * that workflow already has the call's CDR.
 */
export function createReconcileActivities({ client, temporal }: ReconcileActivityDependencies) {
  function temporalClient(): Client {
    if (!temporal) {
      throw ApplicationFailure.nonRetryable('reconciliation needs a Temporal client', 'ReconcileNotConfigured');
    }
    return temporal;
  }

  /** Running workflows of the target type owning any of these CDRs, by CallId or else by BindId. */
  async function findOwners(target: CdrTarget, batch: ParsedCallback[]): Promise<Map<ParsedCallback, string>> {
    // Ids passed the webhook's id pattern (letters, digits, ._:-): safe inside quotes.
    const quoted = (ids: string[]) => [...new Set(ids)].map((id) => `'${id}'`).join(', ');
    const bindIds = batch.flatMap((parsed) => (parsed.bindId === undefined ? [] : [parsed.bindId]));
    const matches = [`${NppCallId.name} IN (${quoted(batch.map((parsed) => parsed.callId))})`];
    if (bindIds.length > 0) matches.push(`${NppBindId.name} IN (${quoted(bindIds)})`);
    const query = `WorkflowType = '${target.workflowType}' AND ExecutionStatus = 'Running' AND (${matches.join(' OR ')})`;
    const executions: Execution[] = [];
    for await (const execution of temporalClient().workflow.list({ query })) {
      const bindId = execution.typedSearchAttributes.get(NppBindId);
      executions.push({
        workflowId: execution.workflowId,
        callIds: execution.typedSearchAttributes.get(NppCallId) ?? [],
        ...(bindId ? { bindId } : {}),
      });
    }
    const owners = new Map<ParsedCallback, string>();
    for (const parsed of batch) {
      // A session that already saw the call owns it, even when several share its binding (XB).
      const owner =
        executions.find((execution) => execution.callIds.includes(parsed.callId)) ??
        executions.find((execution) => parsed.bindId !== undefined && execution.bindId === parsed.bindId);
      if (owner) owners.set(parsed, owner.workflowId);
    }
    return owners;
  }

  async function hasCdr(target: CdrTarget, handle: Handle, callId: string): Promise<boolean> {
    try {
      return await temporalClient().connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
        target.hasCdr(handle, callId),
      );
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw error;
      // Unanswered: signal anyway, the workflow drops an event id it has already seen.
      return false;
    }
  }

  async function deliver(target: CdrTarget, cdrs: readonly object[]): Promise<ReconcileCounts> {
    const counts: ReconcileCounts = { cdrs: cdrs.length, signalled: 0, alreadyApplied: 0, noOwner: 0, invalid: 0 };
    const parsed: ParsedCallback[] = [];
    for (const cdr of cdrs) {
      try {
        parsed.push(parseCallback('hangup', cdr));
      } catch (error) {
        if (!(error instanceof InvalidPayloadError)) throw error;
        counts.invalid++;
      }
    }
    const context = Context.current();
    let done = 0;
    for (let offset = 0; offset < parsed.length; offset += LOOKUP_BATCH) {
      const batch = parsed.slice(offset, offset + LOOKUP_BATCH);
      const owners = await findOwners(target, batch);
      for (const cdr of batch) {
        // Per CDR: a few unanswered queries in a row must not look like a stuck activity.
        context.heartbeat({ done: done++ });
        const workflowId = owners.get(cdr);
        if (workflowId === undefined) {
          counts.noOwner++;
          continue;
        }
        const handle = temporalClient().workflow.getHandle(workflowId);
        try {
          if (await hasCdr(target, handle, cdr.callId)) {
            counts.alreadyApplied++;
          } else {
            await handle.signal(cdr.signal, cdr.event as never);
            counts.signalled++;
          }
        } catch (error) {
          // Closed since it was listed.
          if (!(error instanceof WorkflowNotFoundError)) throw error;
          counts.noOwner++;
        }
      }
    }
    return counts;
  }

  const range = ({ start, end, bizAppId }: CdrWindow) => ({
    StartTimeStamp: String(start),
    EndTimeStamp: String(end),
    ...(bizAppId ? { BizAppId: bizAppId } : {}),
  });

  async function fetchCdrs<T>(fetch: (signal: AbortSignal) => Promise<{ Cdr?: T[] | null }>): Promise<T[]> {
    temporalClient();
    try {
      return (await fetch(Context.current().cancellationSignal)).Cdr ?? [];
    } catch (error) {
      throw toApplicationFailure(error);
    }
  }

  return {
    /** Get400Cdr for the window → the maskedCallSession that owns each call (by CallId, else BindId). */
    async reconcileSessionCdrs(window: CdrWindow): Promise<ReconcileCounts> {
      const cdrs = await fetchCdrs((signal) => client.call('Get400Cdr', range(window), { signal }));
      return deliver(SESSIONS, cdrs);
    },
    /** DescribeCallBackCdr for the window → the callBackCall that owns each call (by CallId). */
    async reconcileCallBackCdrs(window: CdrWindow): Promise<ReconcileCounts> {
      const cdrs = await fetchCdrs((signal) => client.call('DescribeCallBackCdr', range(window), { signal }));
      return deliver(CALL_BACKS, cdrs);
    },
  };
}

export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;
