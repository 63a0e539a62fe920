import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import proto from '@temporalio/proto';
import { Pool } from 'undici';
import { callbackUrl } from '../src/npp/callbacks/urls.ts';
import type { Benchmark } from './context.ts';
import type { ComparisonResult, Row } from './harness.ts';
import { percentile } from './load.ts';
import type { TemporalStack } from './temporalStack.ts';

// Many open sessions held by the one worker process of the run: the sessions grow through the sizes
// (quick: 50 then 500; full: 50, 1,000, 5,000, 10,000), and at each size the process's RSS is read
// once the sessions idle, then status callbacks go at a steady low rate to distinct sessions through
// the webhook. Callback-to-applied is from sending the callback to the completion of the workflow
// task that applied its signal (read from the session's history); the sticky cache counters are the
// worker runtime's (a miss replays the session's whole history).

const RATE_PER_SECOND = 20;
const START_CONCURRENCY = 32;
const { EventType } = proto.temporal.api.enums.v1;

interface OpenSession {
  sessionKey: string;
  workflowId: string;
  bindId: string;
}

/** Runs `task` over `items`, `concurrency` at a time. */
async function eachLimited<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

async function openSessions(stack: TemporalStack, from: number, to: number, runId: string): Promise<OpenSession[]> {
  const indexes = Array.from({ length: to - from }, (_, index) => from + index);
  const opened: OpenSession[] = [];
  await eachLimited(indexes, START_CONCURRENCY, async (index) => {
    const n = String(index).padStart(7, '0');
    const { sessionKey, workflowId } = await stack.sessions.startSession({
      sessionKey: `bench-scale-${runId}-${n}`,
      mode: 'AXB',
      src: `00861560${n}`,
      dst: `00861570${n}`,
      drainSeconds: 0,
      recordingWaitSeconds: 0,
    });
    const { bindId } = await stack.sessions.waitUntilBound(sessionKey);
    opened.push({ sessionKey, workflowId, bindId });
  });
  return opened;
}

/** Sums of the worker runtime's sticky cache counters, and the cache's size. */
async function stickyCache(metricsUrl: string): Promise<{ hits: number; misses: number; size: number }> {
  const text = await (await fetch(metricsUrl)).text();
  const sum = (pattern: RegExp) =>
    text
      .split('\n')
      .filter((line) => pattern.test(line))
      .reduce((total, line) => total + Number(line.split(' ').at(-1)), 0);
  return {
    hits: sum(/^temporal_sticky_cache_hit\w*(\{|\s)/),
    misses: sum(/^temporal_sticky_cache_miss\w*(\{|\s)/),
    size: sum(/^temporal_sticky_cache_size\w*(\{|\s)/),
  };
}

/** Milliseconds from `sentAt` to the completion of the workflow task after the session's last signal. */
async function appliedAfter(stack: TemporalStack, workflowId: string, sentAt: number): Promise<number> {
  const events = (await stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const signaled = events.findLastIndex(
    (event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
  );
  const applied = events
    .slice(signaled + 1)
    .find((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  if (signaled < 0 || !applied?.eventTime) throw new Error(`no applied signal in the history of ${workflowId}`);
  const { seconds, nanos } = applied.eventTime;
  return Number(seconds) * 1000 + (nanos ?? 0) / 1e6 - sentAt;
}

export const scaleBenchmark: Benchmark = {
  name: 'scale',
  description: `open sessions held by one worker process: RSS, sticky cache, callback-to-applied at ${RATE_PER_SECOND}/s`,
  async run(context) {
    const stack = await context.temporal();
    const sizes = context.pick({ smoke: [2, 4], quick: [50, 500], full: [50, 1_000, 5_000, 10_000] });
    const callbacks = context.smoke ? 2 : 200;
    const runId = randomUUID().slice(0, 8);
    const http = new Pool(stack.webhookUrl, { connections: 8 });
    const sessions: OpenSession[] = [];
    const rows: Omit<Row, 'ratio'>[] = [];
    let sent = 0;
    try {
      for (const size of sizes) {
        const previous = sessions.length;
        const startedAt = performance.now();
        sessions.push(...(await openSessions(stack, sessions.length, size, runId)));
        const startSeconds = (performance.now() - startedAt) / 1000;
        // Let the sessions' start-up work and garbage settle before reading memory.
        await sleep(context.smoke ? 0 : 2_000);
        const rssMiB = process.memoryUsage().rss / 2 ** 20;
        const before = await stickyCache(stack.metricsUrl);
        // Distinct sessions, spread over all of them: each gets one callback in this phase.
        const targets = Array.from(
          { length: Math.min(callbacks, sessions.length) },
          (_, index) =>
            sessions[Math.floor((index * sessions.length) / Math.min(callbacks, sessions.length))] as OpenSession,
        );
        const sends: { workflowId: string; sentAt: number; done: Promise<number> }[] = [];
        const phaseStart = performance.now();
        for (const [index, target] of targets.entries()) {
          await sleep(Math.max(0, phaseStart + (index * 1000) / RATE_PER_SECOND - performance.now()));
          sent++;
          const url = new URL(
            callbackUrl({ publicUrl: stack.webhookUrl, secret: stack.webhookSecret }, 'status', target.workflowId),
          );
          const sentAt = Date.now();
          const done = http
            .request({
              method: 'POST',
              path: url.pathname + url.search,
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                callId: `bench-scale-call-${sent}`,
                bindId: target.bindId,
                callStatus: '1',
                timestamp: String(1_700_000_000 + sent),
              }),
            })
            .then(async (response) => {
              await response.body.dump();
              return response.statusCode;
            });
          sends.push({ workflowId: target.workflowId, sentAt, done });
        }
        const statuses = await Promise.all(sends.map((send) => send.done));
        const phaseSeconds = (performance.now() - phaseStart) / 1000;
        await sleep(context.smoke ? 500 : 2_000);
        const after = await stickyCache(stack.metricsUrl);
        const applied: number[] = [];
        await eachLimited(sends, 16, async ({ workflowId, sentAt }) => {
          applied.push(await appliedAfter(stack, workflowId, sentAt));
        });
        rows.push({
          variant: `${size.toLocaleString('en-US')} open sessions`,
          opsPerSecond: sends.length / phaseSeconds,
          p50Ms: percentile(applied, 50),
          p99Ms: percentile(applied, 99),
          minOpsPerSecond: sends.length / phaseSeconds,
          maxOpsPerSecond: sends.length / phaseSeconds,
          failed: statuses.filter((status) => status !== 200).length,
          ops: sends.length,
          extra: {
            'RSS MiB': rssMiB.toFixed(0),
            'sticky hits / misses': `${after.hits - before.hits} / ${after.misses - before.misses}`,
            'sticky cache size': String(after.size),
            'sessions started + bound /s': ((size - previous) / startSeconds).toFixed(1),
          },
        });
      }
    } finally {
      await http.close();
      // Terminated rather than closed: closing thousands of sessions would take minutes.
      await eachLimited(sessions, START_CONCURRENCY, async ({ workflowId }) => {
        await stack.client.workflow.getHandle(workflowId).terminate('benchmark over');
      });
    }
    const baseline = rows[0]?.opsPerSecond ?? 1;
    const result: ComparisonResult = {
      title: `open sessions on one worker, status callbacks at ${RATE_PER_SECOND}/s to distinct sessions`,
      rounds: 1,
      rows: rows.map((row) => ({ ...row, ratio: row.opsPerSecond / baseline })),
      note: 'One op: one status callback through the webhook (per-session URL). p50/p99: callback sent → the workflow task applying its signal completed (history event time). RSS: this benchmark process (worker, webhook and client together) with the sessions idle. Sticky hits/misses: workflow tasks of the callback phase served from the worker cache / replayed from history.',
    };
    return [result];
  },
};
