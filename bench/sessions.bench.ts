import { randomUUID } from 'node:crypto';
import proto from '@temporalio/proto';
import type { SessionClient } from '../src/client/sessions.ts';
import type { BenchContext, Benchmark } from './context.ts';
import { compareLoad, type LoadVariant, percentile } from './load.ts';
import type { SimulatorProcess } from './simulator.ts';
import type { TemporalStack } from './temporalStack.ts';
import { emptyWorkflow } from './workflows.ts';

// Whole sessions against the floor of the same server and worker: an empty workflow run to
// completion (the baseline) vs a full session: start, bind (GetVirtualNum), one recorded answered
// call through the simulator whose callbacks reach the session through the webhook server
// (per-session URLs), the recording archived, close, unbind (DelVirtualNum). The close update answers
// once unbound; the run's completion (its drain timer) is not timed. Then the histories of a few full
// sessions and empty workflows are counted: what one session costs the server.

const CONCURRENT = 8;
/**
 * The third variant's worker cache (NPP_WORKFLOW_CACHE_SIZE): what the product's default of none
 * costs, beside the same sessions on workers that keep their runs in memory (docs/reliability.md).
 */
const CACHED_WORKFLOWS = 1000;
const runId = randomUUID().slice(0, 8);
let sessionCount = 0;

const { EventType } = proto.temporal.api.enums.v1;

async function simAdmin(sim: SimulatorProcess, path: string, body: object): Promise<Record<string, unknown>> {
  const response = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`simulator ${path} answered ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** Milliseconds each phase of the full sessions took, in order. */
const phases = { 'start + bind': [] as number[], 'call + callbacks': [] as number[], 'close + unbind': [] as number[] };

/** One full session; its phases are timed into `phaseTimes` when given (the product's default workers). */
async function fullSession(
  sessions: SessionClient,
  sim: SimulatorProcess,
  workflowIds: string[],
  phaseTimes?: typeof phases,
): Promise<void> {
  const t0 = performance.now();
  sessionCount++;
  const n = String(sessionCount).padStart(8, '0');
  const src = `0086136${n}`;
  const { sessionKey, workflowId } = await sessions.startSession({
    sessionKey: `bench-${runId}-${n}`,
    mode: 'AXB',
    src,
    dst: `0086137${n}`,
    record: true,
    drainSeconds: 0,
  });
  workflowIds.push(workflowId);
  const { virtualNum } = await sessions.waitUntilBound(sessionKey);
  const t1 = performance.now();
  // The simulator pushes the call's status, hangup and record callbacks to the webhook; wait: true
  // answers once every push was answered, i.e. the webhook had Temporal accept each signal.
  await simAdmin(sim, '/_sim/calls', { virtualNum, caller: src, durationSeconds: 1, wait: true });
  const t2 = performance.now();
  const state = await sessions.closeSession(sessionKey, { wait: true });
  phaseTimes?.['start + bind'].push(t1 - t0);
  phaseTimes?.['call + callbacks'].push(t2 - t1);
  phaseTimes?.['close + unbind'].push(performance.now() - t2);
  const call = state.calls[0];
  // A session that failed anywhere ends fast: it must not pass for throughput.
  if (state.status !== 'closed' || state.heldReferences !== 0 || state.calls.length !== 1 || !call?.archive) {
    throw new Error(
      `session ${sessionKey} closed as ${state.status}, ${state.calls.length} call(s), archived: ${!!call?.archive}`,
    );
  }
}

async function emptyRun(stack: TemporalStack, workflowIds: string[]): Promise<void> {
  const workflowId = `bench-empty-${runId}-${++sessionCount}`;
  workflowIds.push(workflowId);
  await stack.client.workflow.execute(emptyWorkflow, { taskQueue: stack.taskQueue, workflowId });
}

/** The simulator's callback pushes by answer status: a non-2xx answer is redelivered 1 s later. */
async function deliveryTally(sim: SimulatorProcess): Promise<string> {
  const response = await fetch(`${sim.url}/_sim/deliveries?wait=1`);
  const log = (await response.json()) as { status: number | string; kind: string }[];
  const counts = new Map<string, number>();
  for (const { status } of log) counts.set(String(status), (counts.get(String(status)) ?? 0) + 1);
  return [...counts].map(([status, times]) => `${status} ×${times}`).join(', ');
}

interface HistoryCounts {
  events: number;
  workflowTasks: number;
  activityTasks: number;
  timers: number;
  signals: number;
  updates: number;
  activityTypes: Record<string, number>;
}

/** Counts what one completed run cost: events, workflow tasks, activities (by type), timers, signals, updates. */
async function countHistory(stack: TemporalStack, workflowId: string): Promise<HistoryCounts> {
  const handle = stack.client.workflow.getHandle(workflowId);
  await handle.result();
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const count = (type: number) => events.filter((event) => event.eventType === type).length;
  const activityTypes: Record<string, number> = {};
  for (const event of events) {
    const name = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (name) activityTypes[name] = (activityTypes[name] ?? 0) + 1;
  }
  return {
    events: events.length,
    workflowTasks: count(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
    activityTasks: count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    timers: count(EventType.EVENT_TYPE_TIMER_STARTED),
    signals: count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
    updates: count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
    activityTypes,
  };
}

function historyRow(name: string, counts: HistoryCounts): string[] {
  const activities = Object.entries(counts.activityTypes)
    .map(([type, times]) => `${type} ×${times}`)
    .join(', ');
  return [
    name,
    String(counts.events),
    String(counts.workflowTasks),
    String(counts.activityTasks),
    String(counts.timers),
    String(counts.signals),
    String(counts.updates),
    activities || '–',
  ];
}

export const sessionsBenchmark: Benchmark = {
  name: 'sessions',
  description: `empty workflows vs full sessions (bind, one recorded call via the webhook, close, unbind), ${CONCURRENT} at a time`,
  async run(context: BenchContext) {
    const [stack, sim] = await Promise.all([context.temporal(), context.simulator()]);
    // The recording is ready as the call hangs up, instead of 5 s later as by default.
    await simAdmin(sim, '/_sim/delivery', { recordingDelayMs: 0 });
    const cachedSessions = await stack.startCachingWorkers(CACHED_WORKFLOWS);
    const empty: string[] = [];
    const full: string[] = [];
    const fullCached: string[] = [];
    const variants: LoadVariant[] = [
      { name: 'empty workflow (start to completed)', op: () => emptyRun(stack, empty) },
      { name: 'full session (start to unbound)', op: () => fullSession(stack.sessions, sim, full, phases) },
      {
        name: `full session, worker caching ${CACHED_WORKFLOWS} runs`,
        op: () => fullSession(cachedSessions, sim, fullCached),
      },
    ];
    const options = context.smoke
      ? { rounds: 1, inFlight: 2, durationMs: 1, maxOps: 2, warmupOps: 0 }
      : { rounds: 3, inFlight: CONCURRENT, durationMs: 4_000, maxOps: 2_000, warmupOps: CONCURRENT };
    const result = await compareLoad(
      `empty workflows vs full sessions, ${options.inFlight} at a time`,
      variants,
      options,
      'One op: an empty workflow started and completed, or a session started, bound, called once (status, hangup and record callbacks through the webhook), recording archived, closed and unbound (the close update answers). Latency per op.',
    );
    // Every run completes before the histories are read (and none is left open).
    const sample = [...empty.slice(-1), ...full.slice(-3)];
    const counted = await Promise.all(sample.map((workflowId) => countHistory(stack, workflowId)));
    await Promise.all(
      [...empty, ...full, ...fullCached].map((workflowId) => stack.client.workflow.getHandle(workflowId).result()),
    );
    result.details = {
      title: 'history of one run (completed)',
      header: ['run', 'events', 'workflow tasks', 'activity tasks', 'timers', 'signals', 'updates', 'activities'],
      rows: counted.map((counts, index) =>
        historyRow(index === 0 ? 'empty workflow' : `full session ${index}`, counts),
      ),
    };
    const phaseRows = Object.entries(phases).map(([phase, times]) => [
      `full session: ${phase}`,
      '',
      '',
      '',
      '',
      '',
      '',
      `p50 ${percentile(times, 50).toFixed(0)} ms, p99 ${percentile(times, 99).toFixed(0)} ms`,
    ]);
    result.details.rows.push(...phaseRows, ['callback deliveries', '', '', '', '', '', '', await deliveryTally(sim)]);
    return [result];
  },
};
