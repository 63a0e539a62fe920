import type { ComparisonResult, Row } from './harness.ts';
import { median } from './harness.ts';

// Load of many concurrent operations, timed one by one: a closed loop keeps `inFlight` operations
// running (a new one starts as one ends) for a while or a number of operations, whichever comes
// first. Unlike a batch, no operation waits for the slowest of its batch, so the percentiles are
// per operation. CPU is this process's (process.cpuUsage), so work done in child processes (the
// simulator, the Temporal server) is not counted.

/** One way of doing the operation under load. */
export interface LoadVariant {
  name: string;
  /** One operation; answers false when it failed in a way to count (e.g. a non-2xx answer) rather than throw. */
  op: () => Promise<unknown>;
}

export interface LoadOptions {
  rounds: number;
  inFlight: number;
  /** Measuring time per variant per round. */
  durationMs: number;
  /** Bound on the operations per variant per round. */
  maxOps: number;
  /** Operations per variant before the first round, not measured. */
  warmupOps: number;
}

export interface LoadSample {
  ops: number;
  failed: number;
  seconds: number;
  cpuMicros: number;
  latenciesMs: number[];
}

/** Runs `op` with `inFlight` at a time until `durationMs` passed or `maxOps` started. */
export async function closedLoop(
  op: LoadVariant['op'],
  { inFlight, durationMs, maxOps }: Pick<LoadOptions, 'inFlight' | 'durationMs' | 'maxOps'>,
): Promise<LoadSample> {
  const latenciesMs: number[] = [];
  let started = 0;
  let failed = 0;
  const cpuBefore = process.cpuUsage();
  const begin = performance.now();
  const deadline = begin + durationMs;
  const lane = async () => {
    while (started < maxOps && performance.now() < deadline) {
      started++;
      const t0 = performance.now();
      if ((await op()) === false) failed++;
      latenciesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const seconds = (performance.now() - begin) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { ops: latenciesMs.length, failed, seconds, cpuMicros: cpu.user + cpu.system, latenciesMs };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/**
 * Every variant under the same load in every round (rotated order); ops/s and CPU per op are the
 * medians of the rounds, p50/p99 are over all operations of all rounds, failures are summed.
 */
export async function compareLoad(
  title: string,
  variants: readonly LoadVariant[],
  options: LoadOptions,
  note?: string,
): Promise<ComparisonResult> {
  const samples = new Map<string, LoadSample[]>(variants.map((variant) => [variant.name, []]));
  for (const variant of variants) {
    if (options.warmupOps > 0) await closedLoop(variant.op, { ...options, maxOps: options.warmupOps });
  }
  for (let round = 0; round < options.rounds; round++) {
    for (let index = 0; index < variants.length; index++) {
      const variant = variants[(index + round) % variants.length] as LoadVariant;
      samples.get(variant.name)?.push(await closedLoop(variant.op, options));
    }
  }
  const rows: Omit<Row, 'ratio'>[] = variants.map((variant) => {
    const rounds = samples.get(variant.name) ?? [];
    const opsPerSecond = rounds.map((sample) => sample.ops / sample.seconds);
    const latencies = rounds.flatMap((sample) => sample.latenciesMs);
    return {
      variant: variant.name,
      opsPerSecond: median(opsPerSecond),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      minOpsPerSecond: Math.min(...opsPerSecond),
      maxOpsPerSecond: Math.max(...opsPerSecond),
      cpuMicrosPerOp: median(rounds.map((sample) => sample.cpuMicros / Math.max(1, sample.ops))),
      failed: rounds.reduce((sum, sample) => sum + sample.failed, 0),
      ops: rounds.reduce((sum, sample) => sum + sample.ops, 0),
    };
  });
  const baseline = rows[0]?.opsPerSecond ?? 1;
  return {
    title,
    rounds: options.rounds,
    rows: rows.map((row) => ({ ...row, ratio: row.opsPerSecond / baseline })),
    ...(note ? { note } : {}),
  };
}
