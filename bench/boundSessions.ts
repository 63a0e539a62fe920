import { setTimeout as sleep } from 'node:timers/promises';
import type { SessionClient } from '../src/client/sessions.ts';

/** A bench session that has bound its virtual number. */
export interface BoundSession {
  sessionKey: string;
  workflowId: string;
  bindId: string;
}

/**
 * Starts `count` AXB sessions (through `sessions`, so on its task queue) named `bench-<label>-…` and waits until each has bound. `numberBase`
 * (a 7-digit prefix such as `0086135`) keeps one benchmark's numbers apart from another's.
 */
export async function startBoundSessions(
  sessions: SessionClient,
  count: number,
  label: string,
  numberBase: string,
): Promise<BoundSession[]> {
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
        // Thousands of callbacks a minute go into each: continuing as new every 1,000 events (the
        // default) would make all of them continue at once, again and again, and Temporal holds the
        // signals of a run continuing under such a flood for seconds (docs/benchmarks.md).
        continueAsNewAfterEvents: 50_000,
      }),
    ),
  );
  return Promise.all(
    started.map(async ({ sessionKey, workflowId }) => {
      for (let attempt = 0; attempt < 100; attempt++) {
        const { bindId } = await sessions.getSession(sessionKey);
        if (bindId) return { sessionKey, workflowId, bindId };
        await sleep(100);
      }
      throw new Error(`session ${sessionKey} did not bind within 10 s`);
    }),
  );
}
