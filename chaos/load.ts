// The chaos run's load: each planned session started through the app client, its calls placed
// through the simulator (which pushes their callbacks to the webhook), and its end brought about.
// Every app-side call is retried as an app would while parts of the deployment are down.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, type WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import type { CallBackClient } from '../src/client/callBacks.ts';
import type { SessionClient } from '../src/client/sessions.ts';
import { callBackStateQuery, callBackWorkflowId } from '../src/contract/callBack.ts';
import {
  addReferenceUpdate,
  closeSessionUpdate,
  type ReferenceResult,
  releaseReferenceUpdate,
  type SessionState,
  sessionStateQuery,
  sessionWorkflowId,
} from '../src/contract/session.ts';
import { runNumber, type SessionPlan } from './plan.ts';
import { retrying, waitFor } from './retry.ts';
import { getJson, postJson } from './simulatorAdmin.ts';

/** The simulator's answer to a call through a number it has no binding for. */
const NUMBER_NOT_BOUND = 'virtual number is not bound';

/** Session lifetimes in a chaos run: short, so a binding the platform must expire does so within the run. */
export const CHAOS_TTL = {
  /** Sessions that end by TTL. */
  shortSeconds: 40,
  /** The others, ended by the app well before. */
  longSeconds: 600,
  /**
   * MaxAssignTime beyond the TTL: the platform's own unbinding of a binding whose answer was lost. It
   * leaves room for the closing wait (recordingWaitSeconds) and the unbinding after it.
   */
  maxExtraSeconds: 180,
  /** How long a session keeps taking events after unbinding. */
  drainSeconds: 90,
} as const;

export interface LoadContext {
  client: Client;
  sessions: SessionClient;
  callBacks: CallBackClient;
  simulatorUrl: string;
  seed: number;
  /** When the run started (Date.now()). */
  startedAt: number;
  /** Sessions bound and not yet being ended by the load: where a probe call may go. */
  open: Map<string, { plan: SessionPlan; state: SessionState }>;
}

/** What the load did to one session: what the checks compare the outcome with. */
export interface SessionRun {
  plan: SessionPlan;
  workflowId: string;
  callBackWorkflowIds: string[];
  /** CallIds the simulator made through the session's number. */
  callIds: string[];
  /** Why the load could not finish its part (the session is still checked). */
  loadError?: string;
  /**
   * The platform answered that the session's number was not bound while the session still said it
   * held it, so the rest of its calls were not placed (docs/reliability.md, "What the runs found"):
   * its binding, and when (unix ms).
   */
  numberLost?: { bindId: string; at: number };
}

/** Runs every planned session, at most `concurrency` at once. */
export async function runLoad(plans: SessionPlan[], ctx: LoadContext, concurrency: number): Promise<SessionRun[]> {
  const runs: SessionRun[] = [];
  let next = 0;
  const lane = async () => {
    for (let plan = plans[next++]; plan; plan = plans[next++]) runs.push(await runSession(plan, ctx));
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return runs.sort((a, b) => a.plan.index - b.plan.index);
}

async function runSession(plan: SessionPlan, ctx: LoadContext): Promise<SessionRun> {
  const run: SessionRun = {
    plan,
    workflowId: sessionWorkflowId(plan.sessionKey),
    callBackWorkflowIds: [],
    callIds: [],
  };
  await sleep(Math.max(0, ctx.startedAt + plan.startAtMs - Date.now()));
  try {
    await startSession(plan, ctx);
    const handle = ctx.client.workflow.getHandle(run.workflowId);
    const bound = await waitFor(
      `${plan.sessionKey} bound`,
      async () => {
        const state = await handle.query(sessionStateQuery);
        return state.virtualNum || state.status === 'failed' || state.status === 'closed' ? state : undefined;
      },
      // Under every fault at once on two cores a bind can take minutes; the session's TTL bounds it anyway.
      600_000,
    );
    if (!bound.virtualNum || bound.status === 'failed') return run;
    if (plan.ending !== 'ttl') ctx.open.set(plan.sessionKey, { plan, state: bound });
    // The session may refuse a further reference (the platform failed it for good): an app goes on
    // with the one it holds.
    const extraTaken =
      plan.extraReference &&
      (await orRefused(
        retrying(`${plan.sessionKey} addReference`, () =>
          handle.executeUpdate(addReferenceUpdate, { updateId: `${plan.sessionKey}-add` }),
        ),
      )) !== 'refused';
    for (const call of plan.calls) {
      let callId: string | undefined;
      try {
        callId = await placeCall(plan, bound, call, ctx);
      } catch (error) {
        if (!String(error).includes(NUMBER_NOT_BOUND)) throw error;
        run.numberLost = { bindId: bound.bindId ?? '', at: Date.now() };
        break;
      }
      if (callId === undefined) break;
      run.callIds.push(callId);
      // Calls come some seconds apart, so sessions stay open across the faults.
      await sleep(1000 + (call.durationSeconds % 5) * 1000);
    }
    for (let i = 0; i < plan.callBacks; i++) run.callBackWorkflowIds.push(await runCallBack(plan, i, ctx));
    ctx.open.delete(plan.sessionKey);
    if (extraTaken) await release(plan, ctx, 'extra');
    if (plan.ending === 'close') {
      // The update id makes a retried close the same close: Temporal deduplicates it.
      await updateUnlessEnded(handle, `${plan.sessionKey} close`, () =>
        handle.startUpdate(closeSessionUpdate, { updateId: `${plan.sessionKey}-close`, waitForStage: 'ACCEPTED' }),
      );
    } else if (plan.ending === 'release') {
      // The session may hold more references than the app took (one a lost answer took unseen): it
      // says how many it still holds, and the app gives back each one.
      for (let i = 0; i < 5; i++) {
        const held = await release(plan, ctx, `last-${i}`);
        if (held === undefined || (held !== 'refused' && held.heldReferences === 0)) break;
      }
    }
  } catch (error) {
    run.loadError = error instanceof Error ? error.message : String(error);
  }
  ctx.open.delete(plan.sessionKey);
  return run;
}

function startSession(plan: SessionPlan, ctx: LoadContext) {
  const ttlSeconds = plan.ending === 'ttl' ? CHAOS_TTL.shortSeconds : CHAOS_TTL.longSeconds;
  return retrying(`${plan.sessionKey} start`, () =>
    ctx.sessions.startSession({
      sessionKey: plan.sessionKey,
      mode: plan.mode,
      ...(plan.src ? { src: plan.src } : {}),
      dst: plan.dst,
      record: plan.record,
      ttlSeconds,
      maxTtlSeconds: ttlSeconds + CHAOS_TTL.maxExtraSeconds,
      recordingWaitSeconds: 60,
      // Longer than the platform's redelivery of one event (7 attempts span about a minute here), so
      // an event redelivered late still finds its session.
      drainSeconds: CHAOS_TTL.drainSeconds,
    }),
  );
}

/**
 * One releaseReference; its result, undefined when the session already ends, or `refused` when the
 * session answered that it could not give the reference back (the app may ask again, by a new id).
 */
function release(plan: SessionPlan, ctx: LoadContext, which: string): Promise<ReferenceResult | undefined | 'refused'> {
  const handle = ctx.client.workflow.getHandle(sessionWorkflowId(plan.sessionKey));
  return orRefused(
    updateUnlessEnded(handle, `${plan.sessionKey} releaseReference`, () =>
      handle.executeUpdate(releaseReferenceUpdate, { updateId: `${plan.sessionKey}-release-${which}` }),
    ),
  );
}

/** The update's answer, or `refused` when the session answered with a failure (an app goes on). */
function orRefused<T>(update: Promise<T>): Promise<T | 'refused'> {
  return update.catch((error: unknown) => {
    if (error instanceof WorkflowUpdateFailedError) return 'refused' as const;
    throw error;
  });
}

/**
 * An update the load keeps asking for, unless the session already ends: an earlier attempt whose
 * answer was lost may have ended it (the last release), or it ended on its own (binding gone). An app
 * does the same: nothing is left to close or release then.
 */
async function updateUnlessEnded<T>(
  handle: WorkflowHandle,
  what: string,
  update: () => Promise<T>,
): Promise<T | undefined> {
  return retrying(what, async () => {
    try {
      return await update();
    } catch (error) {
      const description = await handle.describe();
      if (description.status.name !== 'RUNNING') return undefined;
      const { status } = await handle.query(sessionStateQuery);
      if (status !== 'open' && status !== 'in-progress') return undefined;
      throw error;
    }
  });
}

/**
 * Calls through up to `count` open sessions now (probes while Temporal is down: their callbacks must
 * not be acknowledged until Temporal took them, and must still end up in their sessions). Answers
 * how many were placed.
 */
export async function placeProbeCalls(ctx: LoadContext, count: number): Promise<number> {
  let placed = 0;
  for (const { plan, state } of [...ctx.open.values()].slice(0, count)) {
    const call = { caller: plan.mode === 'AXB' ? 'A' : 'outside', outcome: 'answered', durationSeconds: 5 } as const;
    await placeCall(plan, state, call, ctx).then(
      (callId) => {
        if (callId !== undefined) placed++;
      },
      () => undefined,
    );
  }
  return placed;
}

/**
 * Places one call through the session's number; undefined when the session already ended on its own
 * and gave the number back (its TTL passed before the call, as for an app that calls too late).
 */
async function placeCall(
  plan: SessionPlan,
  bound: SessionState,
  call: SessionPlan['calls'][number],
  ctx: LoadContext,
): Promise<string | undefined> {
  const who =
    call.caller === 'outside'
      ? { caller: runNumber(ctx.seed % 1000, plan.index, 2) }
      : { party: call.caller, bindId: bound.bindId };
  const answer = await retrying(`${plan.sessionKey} call`, async () => {
    try {
      return await postJson<{ CallId: string }>(`${ctx.simulatorUrl}/_sim/calls`, {
        virtualNum: bound.virtualNum,
        ...who,
        outcome: call.outcome,
        durationSeconds: call.durationSeconds,
      });
    } catch (error) {
      if (!String(error).includes(NUMBER_NOT_BOUND)) throw error;
      const handle = ctx.client.workflow.getHandle(sessionWorkflowId(plan.sessionKey));
      const { status } = await handle.query(sessionStateQuery);
      if (status === 'open' || status === 'in-progress') throw error;
      return undefined;
    }
  });
  return answer?.CallId;
}

/** A callback call beside the session, driven to its end through the simulator. */
async function runCallBack(plan: SessionPlan, i: number, ctx: LoadContext): Promise<string> {
  const callKey = `${plan.sessionKey}-cb${i}`;
  const workflowId = callBackWorkflowId(callKey);
  const bizId = `chaos${ctx.seed}i${plan.index}c${i}`;
  await retrying(`${callKey} start`, () =>
    ctx.callBacks.startCallBackCall({
      callKey,
      src: runNumber(ctx.seed % 1000, plan.index, 2),
      dst: runNumber(ctx.seed % 1000, plan.index, 3),
      record: plan.record,
      bizId,
      // A dropped hangup callback is found by polling the platform, soon rather than after the call's longest life.
      hangupTimeoutSeconds: 60,
      pollIntervalSeconds: 15,
      recordingWaitSeconds: 60,
    }),
  );
  const handle = ctx.client.workflow.getHandle(workflowId);
  // The platform rings whether or not the worker saw CreateCallBack's answer: the call is found on
  // the platform by its BizId, as the platform would go on with it.
  const callId = await waitFor(
    `${callKey} CallId`,
    async () => {
      const made = await getJson<{ CallId: string; BizId: string }[]>(`${ctx.simulatorUrl}/_sim/callbacks`);
      const call = made.find((candidate) => candidate.BizId === bizId);
      if (call) return call.CallId;
      return (await handle.query(callBackStateQuery)).status === 'failed' ? '' : undefined;
    },
    180_000,
  );
  if (!callId) return workflowId;
  await retrying(`${callKey} progress`, () =>
    postJson(`${ctx.simulatorUrl}/_sim/callbacks/${callId}/progress`, { until: 'ended', durationSeconds: 20 }),
  );
  return workflowId;
}
