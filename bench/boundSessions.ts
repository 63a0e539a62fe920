import type { TemporalStack } from './temporalStack.ts';

/** A bench session that has bound its virtual number. */
export interface BoundSession {
  sessionKey: string;
  workflowId: string;
  bindId: string;
}

/**
 * Starts `count` AXB sessions named `bench-<label>-…` for a benchmark that floods them with
 * callbacks, and waits until each has bound. `numberBase` (a 7-digit prefix such as `0086135`) keeps
 * one benchmark's numbers apart from another's.
 *
 * Thousands of callbacks a minute go into each, far above any call's rate, so two things are set for
 * the ingress to be what is measured: the sessions run on workers of their own that keep them in
 * memory (on the product's workers, which keep none, each workflow task would replay a history
 * growing by thousands of signals, and that cost would set the rates), and they do not continue as
 * new during the rounds (at the default of 1,000 events all of them would, again and again, and
 * Temporal holds the signals of a run continuing under such a flood for seconds). docs/benchmarks.md
 * has the measurements.
 */
export async function startFloodedSessions(
  stack: TemporalStack,
  count: number,
  label: string,
  numberBase: string,
): Promise<BoundSession[]> {
  const sessions = await stack.startCachingWorkers(count);
  const stamp = Date.now().toString(36);
  const number = (side: string, index: number) => `${numberBase}${side}0000${String(index).padStart(4, '0')}`;
  const started = await Promise.all(
    Array.from({ length: count }, (_, index) =>
      sessions.startSession({
        sessionKey: `bench-${label}-${stamp}-${index}`,
        mode: 'AXB',
        src: number('5', index),
        dst: number('6', index),
        drainSeconds: 0,
        // The benchmark's calls never end (status callbacks only): closing must not wait for them.
        recordingWaitSeconds: 0,
        continueAsNewAfterEvents: 50_000,
      }),
    ),
  );
  return Promise.all(
    started.map(async ({ sessionKey, workflowId }) => {
      const { bindId } = await sessions.waitUntilBound(sessionKey);
      return { sessionKey, workflowId, bindId };
    }),
  );
}
