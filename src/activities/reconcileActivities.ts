import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { CALLBACK_WORKFLOW_TYPE, type CallBackState, callBackStateQuery } from '../contract/callBack.ts';
import { RECONCILE_NOT_CONFIGURED } from '../contract/failures.ts';
import type { CdrWindow, ReconcileCounts } from '../contract/reconcile.ts';
import { type EarlierCalls, SESSION_WORKFLOW_TYPE, type SessionState, sessionStateQuery } from '../contract/session.ts';
import { type ParsedCallback, parseCallback, signalParsed } from '../npp/callbacks/events.ts';
import { InvalidPayloadError } from '../npp/callbacks/fields.ts';
import { type CdrPage, listAllCdrs, MAX_CDR_PAGES } from '../npp/cdrPages.ts';
import type { NppClient } from '../npp/client.ts';
import { type Candidate, findOwners } from '../temporal/ownership.ts';
import { callNpp } from './nppActivities.ts';

export interface ReconcileActivityDependencies {
  client: NppClient;
  /** Finds and signals the workflows the CDRs belong to; without it reconciliation cannot run. */
  temporal?: Client;
}

/** Pages of CDRs one pass reads at most (a bound, not a limit reached in practice). */
/** One page's request of the window's CDRs. */
function pageRequest({ start, end, bizAppId }: CdrWindow, offset: string | undefined) {
  return {
    StartTimeStamp: String(start),
    EndTimeStamp: String(end),
    ...(offset ? { Offset: offset } : {}),
    ...(bizAppId ? { BizAppId: bizAppId } : {}),
  };
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
  /** Whether the final state of a closed workflow (its result) has the CDR's call ended. */
  closedWith(result: unknown, cdr: ParsedCallback): boolean;
}

const SESSIONS: CdrTarget = {
  workflowType: SESSION_WORKFLOW_TYPE,
  async standing(handle, cdr) {
    const state = await handle.query(sessionStateQuery);
    const call = state.calls.find((candidate) => candidate.callId === cdr.callId);
    if (call) return call.endStatus === undefined ? 'lacks-cdr' : 'has-cdr';
    const startedAt = cdr.signalName === 'callHangup' ? cdr.event.callCenterAcceptTime : undefined;
    return mayHaveDropped(state.earlierCalls, startedAt) ? 'maybe-dropped' : 'not-listed';
  },
  closedWith(result, cdr) {
    const call = (result as SessionState).calls.find((candidate) => candidate.callId === cdr.callId);
    return call?.endStatus !== undefined;
  },
};

const CALL_BACKS: CdrTarget = {
  workflowType: CALLBACK_WORKFLOW_TYPE,
  async standing(handle) {
    return (await handle.query(callBackStateQuery)).cdr === undefined ? 'lacks-cdr' : 'has-cdr';
  },
  closedWith(result) {
    return (result as CallBackState).cdr !== undefined;
  },
};

/**
 * Whether a call starting at `startedAt` that the session does not list may be one it dropped when
 * it continued as new (counted in earlierCalls; its event ids possibly forgotten too), so that
 * signalling its CDR would add the call a second time: it started no later than the latest counted
 * call, or either start is unknown. A call the session never saw that started that early is left
 * alone too: it cannot be told apart.
 */
function mayHaveDropped(earlier: EarlierCalls | undefined, startedAt: number | undefined): boolean {
  if (!earlier) return false;
  return startedAt === undefined || earlier.latestStartedAt === undefined || startedAt <= earlier.latestStartedAt;
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

  /**
   * A CDR of a call a closed workflow lists: it no longer takes signals, so it either ended with the
   * call's CDR (read from its result: one history read, no replay) or the CDR is `unclaimed`, logged
   * with its CallId and workflow so an operator can attach it. Sessions look up their own missing
   * CDRs before closing, so an unclaimed one is a CDR the platform produced only later.
   */
  async function closedHolderStanding(
    target: CdrTarget,
    workflowId: string,
    cdr: ParsedCallback,
  ): Promise<'alreadyApplied' | 'unclaimed'> {
    try {
      const result = await temporalClient().connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
        temporalClient().workflow.getHandle(workflowId).result(),
      );
      if (target.closedWith(result, cdr)) return 'alreadyApplied';
    } catch {
      // Failed, cancelled or terminated (no result), or unreadable now: the CDR is not known to be applied.
    }
    Context.current().log.warn('CDR of a closed workflow that lacks it: unclaimed', { callId: cdr.callId, workflowId });
    return 'unclaimed';
  }

  async function deliver(target: CdrTarget, cdrs: readonly object[]): Promise<ReconcileCounts> {
    const counts: ReconcileCounts = {
      cdrs: cdrs.length,
      signalled: 0,
      alreadyApplied: 0,
      noOwner: 0,
      maybeDropped: 0,
      unclaimed: 0,
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
      // The running workflows that may own each CDR, most likely first; none for a call only a
      // closed workflow lists: its late CDR is not a sharer's call.
      const owners = await findOwners(temporalClient(), batch, target.workflowType);
      for (const cdr of batch) {
        // Per CDR: a few unanswered queries in a row must not look like a stuck activity.
        context.heartbeat({ done: done++ });
        const owner = owners.get(cdr);
        if (owner?.running.length === 0 && owner.closedHolder !== undefined) {
          counts[await closedHolderStanding(target, owner.closedHolder, cdr)]++;
          continue;
        }
        const decision = await decide(target, cdr, owner?.running ?? []);
        if ('skip' in decision) {
          counts[decision.skip]++;
          continue;
        }
        try {
          await signalParsed(decision.signal, cdr);
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

  /** Every CDR of the window, page after page, heartbeating per page. */
  async function allPages<T>(
    fetchPage: (request: ReturnType<typeof pageRequest>) => Promise<CdrPage<T>>,
    window: CdrWindow,
  ): Promise<T[]> {
    const { cdrs, complete } = await listAllCdrs(
      (offset) => fetchPage(pageRequest(window, offset)),
      (page) => Context.current().heartbeat({ page }),
    );
    if (!complete) Context.current().log.warn('CDR listing cut at the page limit', { pages: MAX_CDR_PAGES });
    return cdrs;
  }

  return {
    /** Get400Cdr for the window → the maskedCallSession that owns each call (by CallId, else BindId). */
    async reconcileSessionCdrs(window: CdrWindow): Promise<ReconcileCounts> {
      // Fails (not retried) before fetching anything when reconciliation cannot run.
      temporalClient();
      const cdrs = await allPages((request) => callNpp(client, 'Get400Cdr', request), window);
      return deliver(SESSIONS, cdrs);
    },
    /** DescribeCallBackCdr for the window → the callBackCall that owns each call (by CallId). */
    async reconcileCallBackCdrs(window: CdrWindow): Promise<ReconcileCounts> {
      temporalClient();
      const cdrs = await allPages((request) => callNpp(client, 'DescribeCallBackCdr', request), window);
      return deliver(CALL_BACKS, cdrs);
    },
  };
}

export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;
