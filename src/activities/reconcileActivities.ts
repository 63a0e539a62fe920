import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { CALLBACK_WORKFLOW_TYPE, callBackStateQuery } from '../contract/callBack.ts';
import { RECONCILE_NOT_CONFIGURED } from '../contract/failures.ts';
import type { CdrWindow, ReconcileCounts } from '../contract/reconcile.ts';
import { NppBindId, NppCallId } from '../contract/searchAttributes.ts';
import {
  type CallHangupEvent,
  SESSION_WORKFLOW_TYPE,
  type SessionState,
  sessionStateQuery,
} from '../contract/session.ts';
import { type ParsedCallback, parseCallback } from '../npp/callbacks/events.ts';
import { InvalidPayloadError } from '../npp/callbacks/fields.ts';
import type { NppClient } from '../npp/client.ts';
import { CALLS_CARRIED } from '../workflows/calls.ts';
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

/**
 * Where a workflow stands on a CDR's call: it has the CDR, lists the call without it, does not list
 * the call, or may have dropped it from its list (continue-as-new) so it can no longer tell.
 */
type Standing = 'has-cdr' | 'lacks-cdr' | 'not-listed' | 'maybe-dropped';

/** How one kind of CDR finds its workflow and tells whether that workflow already has it. */
interface CdrTarget {
  workflowType: string;
  standing(handle: Handle, cdr: ParsedCallback): Promise<Standing>;
}

const SESSIONS: CdrTarget = {
  workflowType: SESSION_WORKFLOW_TYPE,
  async standing(handle, cdr) {
    const state = await handle.query(sessionStateQuery);
    const call = state.calls.find((candidate) => candidate.callId === cdr.callId);
    if (call) return call.endStatus === undefined ? 'lacks-cdr' : 'has-cdr';
    return mayHaveDropped(state, (cdr.event as CallHangupEvent).callCenterAcceptTime) ? 'maybe-dropped' : 'not-listed';
  },
};

const CALL_BACKS: CdrTarget = {
  workflowType: CALLBACK_WORKFLOW_TYPE,
  async standing(handle) {
    return (await handle.query(callBackStateQuery)).cdr === undefined ? 'lacks-cdr' : 'has-cdr';
  },
};

/**
 * Whether a call starting at `startedAt` that the session does not list may be one it dropped when
 * it continued as new (counted in earlierCalls; its event ids possibly forgotten too), so that
 * signalling its CDR would add the call a second time. Every run carries on the CALLS_CARRIED most
 * recent calls, and calls are listed in start order, so every dropped call started no later than the
 * CALLS_CARRIED-th most recent call listed now. A call the session never saw that started that early
 * is left alone too: it cannot be told apart.
 */
function mayHaveDropped(state: SessionState, startedAt: number | undefined): boolean {
  if (!state.earlierCalls) return false;
  const boundary = state.calls.at(-CALLS_CARRIED)?.startedAt;
  return startedAt === undefined || boundary === undefined || startedAt <= boundary;
}

/** A workflow that may own a CDR, and whether its NppCallId lists the CDR's call. */
interface Candidate {
  workflowId: string;
  hasCall: boolean;
}

interface Execution {
  workflowId: string;
  running: boolean;
  startedAt: number;
  callIds: string[];
  bindId?: string;
}

/**
 * Reconciliation: the platform's CDRs of a window, each handed to the running workflow it belongs
 * to as the very signal the webhook would have sent (same parser, so the same event id), unless
 * that workflow already has the call's CDR or can no longer tell whether it had the call.
 */
export function createReconcileActivities({ client, temporal }: ReconcileActivityDependencies) {
  function temporalClient(): Client {
    if (!temporal) {
      throw ApplicationFailure.nonRetryable('reconciliation needs a Temporal client', RECONCILE_NOT_CONFIGURED);
    }
    return temporal;
  }

  /**
   * The workflows that may own each CDR, most likely first: the running one whose NppCallId lists the
   * call, else the running ones sharing its binding (XB), oldest first as the webhook picks them.
   * None for a call a closed workflow lists: its late CDR is not a sharer's call.
   */
  async function findCandidates(target: CdrTarget, batch: ParsedCallback[]): Promise<Map<ParsedCallback, Candidate[]>> {
    // Ids passed the webhook's id pattern (letters, digits, ._:-): safe inside quotes.
    const quoted = (ids: string[]) => [...new Set(ids)].map((id) => `'${id}'`).join(', ');
    const bindIds = batch.flatMap((parsed) => (parsed.bindId === undefined ? [] : [parsed.bindId]));
    const matches = [`${NppCallId.name} IN (${quoted(batch.map((parsed) => parsed.callId))})`];
    if (bindIds.length > 0) matches.push(`(ExecutionStatus = 'Running' AND ${NppBindId.name} IN (${quoted(bindIds)}))`);
    // A run that continued as new is not closed: its successor (same workflow id) is listed as running.
    const query = `WorkflowType = '${target.workflowType}' AND ExecutionStatus != 'ContinuedAsNew' AND (${matches.join(' OR ')})`;
    const executions: Execution[] = [];
    for await (const execution of temporalClient().workflow.list({ query })) {
      const bindId = execution.typedSearchAttributes.get(NppBindId);
      executions.push({
        workflowId: execution.workflowId,
        running: execution.status.name === 'RUNNING',
        startedAt: execution.startTime.getTime(),
        callIds: execution.typedSearchAttributes.get(NppCallId) ?? [],
        ...(bindId ? { bindId } : {}),
      });
    }
    executions.sort((a, b) => a.startedAt - b.startedAt || (a.workflowId < b.workflowId ? -1 : 1));
    const candidates = new Map<ParsedCallback, Candidate[]>();
    for (const parsed of batch) {
      const holders = executions.filter((execution) => execution.callIds.includes(parsed.callId));
      if (holders.some((holder) => !holder.running)) {
        candidates.set(parsed, []);
        continue;
      }
      const sharers = executions.filter(
        (execution) =>
          execution.running &&
          parsed.bindId !== undefined &&
          execution.bindId === parsed.bindId &&
          !holders.includes(execution),
      );
      candidates.set(parsed, [
        ...holders.map(({ workflowId }) => ({ workflowId, hasCall: true })),
        ...sharers.map(({ workflowId }) => ({ workflowId, hasCall: false })),
      ]);
    }
    return candidates;
  }

  /** The candidate's standing, or undefined when it does not answer in time. */
  async function standingOf(target: CdrTarget, handle: Handle, cdr: ParsedCallback): Promise<Standing | undefined> {
    try {
      return await temporalClient().connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
        target.standing(handle, cdr),
      );
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw error;
      return undefined;
    }
  }

  /**
   * What to do with one CDR: the workflow to signal, or why not. The first candidate that lists the
   * call decides; when none does, the CDR goes to the most likely one, unless one of them may have
   * dropped the call. A holder that does not answer is signalled anyway: it drops an event id it has
   * already seen. A sharer that does not answer counts as not listing the call.
   */
  async function decide(
    target: CdrTarget,
    cdr: ParsedCallback,
    candidates: Candidate[],
  ): Promise<{ signal: Handle } | { skip: 'alreadyApplied' | 'noOwner' | 'maybeDropped' }> {
    let maybeDropped = false;
    for (const candidate of candidates) {
      const handle = temporalClient().workflow.getHandle(candidate.workflowId);
      let standing: Standing | undefined;
      try {
        standing = await standingOf(target, handle, cdr);
      } catch (error) {
        // Closed since it was listed.
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        if (candidate.hasCall) return { skip: 'noOwner' };
        continue;
      }
      if (standing === 'has-cdr') return { skip: 'alreadyApplied' };
      if (standing === 'lacks-cdr' || (standing === undefined && candidate.hasCall)) return { signal: handle };
      if (standing === 'maybe-dropped') maybeDropped = true;
    }
    if (maybeDropped) return { skip: 'maybeDropped' };
    const first = candidates[0];
    return first ? { signal: temporalClient().workflow.getHandle(first.workflowId) } : { skip: 'noOwner' };
  }

  async function deliver(target: CdrTarget, cdrs: readonly object[]): Promise<ReconcileCounts> {
    const counts: ReconcileCounts = {
      cdrs: cdrs.length,
      signalled: 0,
      alreadyApplied: 0,
      noOwner: 0,
      maybeDropped: 0,
      invalid: 0,
    };
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
      const candidates = await findCandidates(target, batch);
      for (const cdr of batch) {
        // Per CDR: a few unanswered queries in a row must not look like a stuck activity.
        context.heartbeat({ done: done++ });
        const decision = await decide(target, cdr, candidates.get(cdr) ?? []);
        if ('skip' in decision) {
          counts[decision.skip]++;
          continue;
        }
        try {
          await decision.signal.signal(cdr.signal, cdr.event as never);
          counts.signalled++;
        } catch (error) {
          // Closed since it was queried.
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
