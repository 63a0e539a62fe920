// What a chaos run must end with: the product's promise, checked against the simulator's own
// records (bindings, binds per BizId, CDRs, recordings, delivery answers) and Temporal's histories.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, type Client, WorkflowFailedError } from '@temporalio/client';
import type { CallBackState } from '../src/contract/callBack.ts';
import { WORKFLOW_FAILURES } from '../src/contract/failures.ts';
import type { CallRecord, SessionState } from '../src/contract/session.ts';
import type { SessionRun } from './load.ts';
import { getJson, postJson } from './simulatorAdmin.ts';

/** One line of the report: a property of the run and whether it held. */
export interface Check {
  name: string;
  ok: boolean;
  value: string;
  /** What broke it, each naming the session or call. */
  misses: string[];
}

interface SimStats {
  activeBindings: number;
  binds: number;
  doubleBinds: { bizId: string; binds: number }[];
  deliveries: Record<string, number>;
}

interface SimCdr {
  CallId: string;
  BindId?: string;
  RecordUrl?: string;
}

/** How every workflow of the run ended. */
export interface Outcomes {
  sessions: Map<string, SessionState | Error>;
  callBacks: Map<string, CallBackState | Error>;
  stillRunning: string[];
}

/** Waits (bounded) until every workflow of the run is closed, then reads each one's result. */
export async function awaitOutcomes(client: Client, runs: SessionRun[], timeoutMs: number): Promise<Outcomes> {
  const ids = runs.flatMap((run) => [run.workflowId, ...run.callBackWorkflowIds]);
  const open = new Set(ids);
  const deadline = Date.now() + timeoutMs;
  while (open.size > 0 && Date.now() < deadline) {
    for (const id of [...open]) {
      const description = await client.workflow
        .getHandle(id)
        .describe()
        .catch(() => undefined);
      if (description && description.status.name !== 'RUNNING') open.delete(id);
    }
    if (open.size > 0) await sleep(2000);
  }
  const result = async <T>(id: string): Promise<T | Error> =>
    client.workflow
      .getHandle(id)
      .result()
      .then(
        (value) => value as T,
        (error: unknown) => (error instanceof WorkflowFailedError ? error : new Error(String(error))),
      );
  const sessions = new Map<string, SessionState | Error>();
  const callBacks = new Map<string, CallBackState | Error>();
  for (const run of runs) {
    if (open.has(run.workflowId)) continue;
    sessions.set(run.workflowId, await result<SessionState>(run.workflowId));
    for (const id of run.callBackWorkflowIds) if (!open.has(id)) callBacks.set(id, await result<CallBackState>(id));
  }
  return { sessions, callBacks, stillRunning: [...open] };
}

interface SimBinding {
  BindId: string;
  BizIds: string[];
  expiresAt: number;
}

/** What was left bound once every workflow ended, and who holds it. */
export interface LeftBindings {
  /** Bindings of sessions that failed as bind-failed: the platform releases them at their MaxAssignTime. */
  ofBindFailed: number;
  /** Any other binding: one the worker should have released. */
  leaked: string[];
}

/**
 * The bindings left once every workflow ended. Those a bind-failed session took unseen (an AXB
 * answer lost for good: no action looks a binding up by BizId, docs/sessions.md "Double binds") are
 * released by the platform at their MaxAssignTime: the simulator is asked to let that time pass
 * rather than the run waiting it out. Any other binding is a leak.
 */
export async function settleBindings(simulatorUrl: string, outcomes: Outcomes): Promise<LeftBindings> {
  const failedBizIds = [...outcomes.sessions.values()]
    .map((outcome) => (failureType(outcome) === WORKFLOW_FAILURES.bindFailed ? failedState(outcome)?.bizId : undefined))
    .filter((bizId): bizId is string => Boolean(bizId));
  const left = await getJson<SimBinding[]>(`${simulatorUrl}/_sim/bindings`);
  const ofBindFailed = left.filter((binding) =>
    binding.BizIds.some((bizId) => failedBizIds.some((prefix) => bizId.startsWith(prefix))),
  );
  const leaked = left.filter((binding) => !ofBindFailed.includes(binding)).map((binding) => binding.BindId);
  // expiresAt is in whole seconds, rounded down: one more second covers every one of them.
  const until = Math.max(0, ...ofBindFailed.map((binding) => binding.expiresAt)) + 1;
  if (ofBindFailed.length > 0) await postJson(`${simulatorUrl}/_sim/bindings/expire`, { until });
  return { ofBindFailed: ofBindFailed.length, leaked };
}

export interface CheckInput {
  client: Client;
  simulatorUrl: string;
  runs: SessionRun[];
  outcomes: Outcomes;
  left: LeftBindings;
  stats: SimStats;
  /** Temporal client identities of the webhook processes (`pid@host`): the signals they sent. */
  webhookIdentities: Set<string>;
}

/** Every check of the run, in the order of the report. */
export async function checkRun(input: CheckInput): Promise<Check[]> {
  const { outcomes, stats, runs } = input;
  const cdrs = (await getJson<{ session: SimCdr[] }>(`${input.simulatorUrl}/_sim/cdrs`)).session;
  const unbindRequests = runs.some((run) => run.numberLost)
    ? await getJson<SimRequest[]>(`${input.simulatorUrl}/_sim/requests`)
    : [];
  const sessionOfCall = callsByWorkflow(outcomes.sessions);
  const failedSessions = [...outcomes.sessions].filter(([, s]) => s instanceof Error || s.status === 'failed');
  // GetVirtualNum's answer lost for good in AXB: the platform bound a number the session cannot name
  // (no action looks a binding up by BizId), so the session fails as bind-failed and the platform
  // releases that number at its MaxAssignTime (docs/sessions.md, "Double binds").
  const bindFailed = failedSessions.filter(([, s]) => failureType(s) === WORKFLOW_FAILURES.bindFailed);

  const terminal: Check = {
    name: 'every session and callback call terminal',
    ok: outcomes.stillRunning.length === 0,
    value: `${outcomes.sessions.size + outcomes.callBacks.size} closed, ${outcomes.stillRunning.length} running`,
    misses: outcomes.stillRunning,
  };
  const bindings: Check = {
    name: 'no binding left on the platform',
    ok: input.left.leaked.length === 0 && stats.activeBindings === 0,
    value: `${stats.activeBindings} (${input.left.ofBindFailed} of bind-failed sessions released at MaxAssignTime)`,
    misses: input.left.leaked.map((bindId) => `binding ${bindId} left bound by a session that ended`),
  };
  const doubleBinds: Check = {
    name: 'no double bind (binds per BizId)',
    ok: stats.doubleBinds.length === 0,
    value: `${stats.doubleBinds.length} of ${stats.binds} binds`,
    misses: stats.doubleBinds.map((d) => `BizId ${d.bizId} bound ${d.binds} times`),
  };

  // Every call the platform made through a session's binding: its hangup CDR is in a session, and
  // if recorded, its recording is archived with the platform's checksum.
  const hangupMisses: string[] = [];
  const recordingMisses: string[] = [];
  let recorded = 0;
  for (const cdr of cdrs) {
    const held = sessionOfCall.get(cdr.CallId);
    if (!held || held.call.endedAt === undefined || held.call.endStatus === undefined) {
      hangupMisses.push(
        `call ${cdr.CallId} (binding ${cdr.BindId ?? '?'}): no hangup CDR in ${held?.workflowId ?? 'any session'}`,
      );
      continue;
    }
    if (!cdr.RecordUrl) continue;
    recorded++;
    const expected = await sha256Of(cdr.RecordUrl);
    if (held.call.archive?.sha256 !== expected) {
      recordingMisses.push(
        `call ${cdr.CallId} of ${held.workflowId}: ${held.call.archive ? `archived sha256 ${held.call.archive.sha256} ≠ ${expected}` : `not archived${held.call.archiveFailure ? ` (${held.call.archiveFailure.code})` : ''}`}`,
      );
    }
  }
  // A callback call rings its caller once: CreateCallBack retried after a lost answer must not call again.
  const made = await getJson<{ CallId: string; Src: string; Dst: string }[]>(`${input.simulatorUrl}/_sim/callbacks`);
  const perPair = new Map<string, string[]>();
  for (const call of made)
    perPair.set(`${call.Src}>${call.Dst}`, [...(perPair.get(`${call.Src}>${call.Dst}`) ?? []), call.CallId]);
  const rungTwice = [...perPair.values()].filter((calls) => calls.length > 1);
  const callBackMisses: string[] = [];
  for (const [id, state] of outcomes.callBacks) {
    if (state instanceof Error) callBackMisses.push(`${id}: ${state.message}`);
    else if (state.callId && !state.cdr)
      callBackMisses.push(`${id}: ended without its CDR (${state.cdrMissingReason ?? '?'})`);
    else if (
      state.record &&
      state.cdr &&
      state.recordUrl &&
      state.archive?.sha256 !== (await sha256Of(state.recordUrl))
    )
      callBackMisses.push(`${id}: recording not archived with the platform's checksum`);
  }

  const deliveries = stats.deliveries;
  const accepted = Object.entries(deliveries)
    .filter(([outcome]) => /^2\d\d accepted$/.test(outcome))
    .reduce((sum, [, n]) => sum + n, 0);
  const unanswered = deliveries.error ?? 0;
  const signals = await webhookSignalCount(input.client, runs, input.webhookIdentities);
  const acceptedHeld: Check = {
    name: 'every webhook 2xx "accepted" is a signal Temporal holds',
    // Each accepted answer is one signal Temporal took; more signals only where the answer was lost
    // (the webhook killed after signalling): at most one per unanswered delivery.
    ok: accepted <= signals && signals <= accepted + unanswered,
    value: `${accepted} accepted, ${signals} signals, ${unanswered} unanswered`,
    misses: accepted <= signals ? [] : [`${accepted - signals} accepted callbacks have no signal`],
  };

  return [
    terminal,
    {
      name: 'sessions closed, or failed only as bind-failed',
      ok: bindFailed.length === failedSessions.length,
      value: `${outcomes.sessions.size - failedSessions.length} closed, ${bindFailed.length} bind-failed, ${failedSessions.length - bindFailed.length} failed otherwise`,
      misses: failedSessions
        .filter(([, s]) => failureType(s) !== WORKFLOW_FAILURES.bindFailed)
        .map(([id, s]) => `${id}: ${s instanceof Error ? s.message : `${s.failedReason} ${s.failure?.code ?? ''}`}`),
    },
    bindings,
    doubleBinds,
    {
      name: 'every call hangup CDR kept in its session',
      ok: hangupMisses.length === 0,
      value: `${cdrs.length - hangupMisses.length} of ${cdrs.length}`,
      misses: hangupMisses,
    },
    {
      name: 'every recording archived with the platform checksum',
      ok: recordingMisses.length === 0,
      value: `${recorded - recordingMisses.length} of ${recorded}`,
      misses: recordingMisses,
    },
    {
      name: 'every callback call with its CDR (and recording)',
      ok: callBackMisses.length === 0,
      value: `${outcomes.callBacks.size - callBackMisses.length} of ${outcomes.callBacks.size}`,
      misses: callBackMisses,
    },
    {
      name: 'every callback call rang its caller once',
      ok: rungTwice.length === 0,
      value: `${made.length} calls made for ${perPair.size} callback calls`,
      misses: rungTwice.map((calls) => `calls ${calls.join(', ')} rang the same parties`),
    },
    acceptedHeld,
    {
      name: 'load finished its part',
      ok: runs.every((run) => !run.loadError),
      value: `${runs.filter((run) => !run.loadError).length} of ${runs.length}${numberLostNote(runs, unbindRequests)}`,
      misses: runs.filter((run) => run.loadError).map((run) => `${run.workflowId}: ${run.loadError}`),
    },
  ];
}

/** A line of the simulator's request log (GET /_sim/requests). */
export interface SimRequest {
  /** Unix ms of the simulator's clock: the real one in chaos runs. */
  at: number;
  action: string;
  BindId?: string;
}

/**
 * Sessions whose number the platform no longer had while they held it, if any: reported, not failed,
 * each with the DelVirtualNum requests the platform got for its binding before then (from it or a
 * session sharing the binding). The load gives back none of a session's references before its calls
 * are placed, so more of them than sharers' releases is the suspect of docs/reliability.md ("What the
 * runs found"): a retried unbind whose first attempt the platform had performed.
 */
export function numberLostNote(runs: SessionRun[], requests: readonly SimRequest[]): string {
  const lost = runs.flatMap((run) => {
    if (!run.numberLost) return [];
    const { bindId, at } = run.numberLost;
    const unbinds = requests.filter((r) => r.action === 'DelVirtualNum' && r.BindId === bindId && r.at <= at).length;
    return [`${run.workflowId} (DelVirtualNum ×${unbinds} on its binding before)`];
  });
  return lost.length === 0 ? '' : `; ${lost.length} lost their number while holding it: ${lost.join(', ')}`;
}

/** The state a failed session handed over with its failure (bindFailed's details). */
function failedState(outcome: SessionState | Error): SessionState | undefined {
  if (!(outcome instanceof WorkflowFailedError) || !(outcome.cause instanceof ApplicationFailure)) return undefined;
  return outcome.cause.details?.[0] as SessionState | undefined;
}

/** The ApplicationFailure type a workflow failed with, if it failed. */
function failureType(outcome: SessionState | Error): string | undefined {
  if (!(outcome instanceof WorkflowFailedError)) return undefined;
  return outcome.cause instanceof ApplicationFailure ? (outcome.cause.type ?? undefined) : undefined;
}

/** CallId → the session holding that call, and the call as it holds it. */
function callsByWorkflow(sessions: Outcomes['sessions']): Map<string, { workflowId: string; call: CallRecord }> {
  const calls = new Map<string, { workflowId: string; call: CallRecord }>();
  for (const [workflowId, state] of sessions) {
    if (state instanceof Error) continue;
    for (const call of state.calls) {
      const known = calls.get(call.callId);
      // Calls through a shared XB binding may be listed by more than one session: keep the most complete.
      if (!known || (known.call.endedAt === undefined && call.endedAt !== undefined))
        calls.set(call.callId, { workflowId, call });
    }
  }
  return calls;
}

/** Signals in the run's histories sent by the webhook processes. */
async function webhookSignalCount(client: Client, runs: SessionRun[], identities: Set<string>): Promise<number> {
  let count = 0;
  for (const id of runs.flatMap((run) => [run.workflowId, ...run.callBackWorkflowIds])) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    for (const event of history.events ?? []) {
      const signaled = event.workflowExecutionSignaledEventAttributes;
      if (signaled && identities.has(signaled.identity ?? '')) count++;
    }
  }
  return count;
}

async function sha256Of(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) return `unavailable (${response.status})`;
  return createHash('sha256')
    .update(Buffer.from(await response.arrayBuffer()))
    .digest('hex');
}

export function simStats(simulatorUrl: string): Promise<SimStats> {
  return getJson<SimStats>(`${simulatorUrl}/_sim/stats`);
}
