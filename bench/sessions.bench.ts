import { randomUUID } from 'node:crypto';
import type { Benchmark } from './context.ts';
import { compare, type Variant } from './harness.ts';
import type { TemporalStack } from './temporalStack.ts';

// Whole sessions on a real Temporal server: the app starts a session, the worker binds a virtual
// number on the simulator, the app closes it and the close update answers once the worker unbound.
// The run's completion is not timed: its drain timer fires no sooner than about 1 s on the dev
// server even with drainSeconds 0, and would hide everything else. The benchmark waits for every run
// to complete once measuring is over, so none is left open.

const CONCURRENT = 8;
const runId = randomUUID().slice(0, 8);
let sessionCount = 0;

async function bindAndClose(stack: TemporalStack, started: string[]): Promise<void> {
  sessionCount++;
  const n = String(sessionCount).padStart(8, '0');
  const { sessionKey, workflowId } = await stack.sessions.startSession({
    sessionKey: `bench-${runId}-${n}`,
    mode: 'AXB',
    src: `0086136${n}`,
    dst: `0086137${n}`,
    drainSeconds: 0,
  });
  started.push(workflowId);
  const state = await stack.sessions.closeSession(sessionKey, { wait: true });
  // A session that failed to bind ends fast: it must not pass for throughput.
  if (state.status !== 'closed' || state.bindId === undefined || state.heldReferences !== 0) {
    throw new Error(`session ${sessionKey} closed as ${state.status}, bound: ${state.bindId !== undefined}`);
  }
}

function sessions(stack: TemporalStack, started: string[], concurrent: number): Variant {
  return {
    name: concurrent === 1 ? 'one session at a time' : `${concurrent} sessions at a time`,
    opsPerRun: concurrent,
    run: async () => {
      await Promise.all(Array.from({ length: concurrent }, () => bindAndClose(stack, started)));
    },
  };
}

export const sessionsBenchmark: Benchmark = {
  name: 'sessions',
  description: 'end-to-end sessions (start, bind, close, unbind) on a real Temporal dev server',
  async run(context) {
    const stack = await context.temporal();
    const started: string[] = [];
    const result = await compare(
      {
        title: `sessions bound and closed, 1 vs ${CONCURRENT} concurrent`,
        variants: [sessions(stack, started, 1), sessions(stack, started, CONCURRENT)],
        note: 'One op: start a session, which binds (GetVirtualNum), then close it; the close update answers after DelVirtualNum. Latency is per batch.',
      },
      context.measure({ rounds: 3, timeMs: 2_500, minIterations: 2, warmupMs: 500 }),
    );
    await Promise.all(started.map((workflowId) => stack.client.workflow.getHandle(workflowId).result()));
    return [result];
  },
};
