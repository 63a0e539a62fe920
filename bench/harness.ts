import { Bench } from 'tinybench';

// Side-by-side comparison of variants in one process: every round runs every variant (in a rotated
// order, so no variant always goes first or last), and the table reports the median of the rounds.

/** One way of doing the thing being measured. */
export interface Variant {
  name: string;
  /** One iteration. Async variants must be `async` functions (tinybench then needn't probe them). */
  run: () => unknown;
  /** Operations one iteration performs, e.g. a batch of concurrent requests. Default 1. */
  opsPerRun?: number;
}

/** Variants measured against each other; the first is the baseline of the ratio column. */
export interface Comparison {
  title: string;
  variants: readonly Variant[];
  /** What one operation is, printed under the table. */
  note?: string;
}

export interface MeasureOptions {
  rounds: number;
  /** Minimum time per variant per round, in ms. */
  timeMs: number;
  /** Minimum iterations per variant per round. */
  minIterations: number;
  /** Warm-up time per variant in the first round, in ms (0 for none). */
  warmupMs: number;
}

export interface Row {
  variant: string;
  /** Median over rounds. */
  opsPerSecond: number;
  /** Median ops/s of this variant over the baseline's. */
  ratio: number;
  /** Median over rounds of the per-iteration latency percentiles, in ms. */
  p50Ms: number;
  p99Ms: number;
  /** Lowest and highest ops/s of the rounds: how noisy this machine was. */
  minOpsPerSecond: number;
  maxOpsPerSecond: number;
  /** This process's CPU time per operation, in µs, where measured. */
  cpuMicrosPerOp?: number;
  /** Operations that failed (e.g. answered non-2xx) and operations measured, where counted. */
  failed?: number;
  ops?: number;
  /** Columns of a benchmark's own, by title. */
  extra?: Record<string, string>;
}

export interface ComparisonResult {
  title: string;
  rows: Row[];
  rounds: number;
  note?: string;
  /** A table of facts gathered alongside (e.g. history counts), printed after the comparison. */
  details?: DetailTable;
}

export interface DetailTable {
  title: string;
  header: string[];
  rows: string[][];
}

interface RoundSample {
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export async function compare(comparison: Comparison, options: MeasureOptions): Promise<ComparisonResult> {
  const { variants } = comparison;
  const samples = new Map<string, RoundSample[]>(variants.map((variant) => [variant.name, []]));
  for (let round = 0; round < options.rounds; round++) {
    const bench = new Bench({
      time: options.timeMs,
      iterations: options.minIterations,
      warmup: round === 0 && options.warmupMs > 0,
      warmupTime: options.warmupMs,
      warmupIterations: 1,
      throws: true,
    });
    const order = variants.map((_, index) => variants[(index + round) % variants.length] as Variant);
    for (const variant of order) bench.add(variant.name, variant.run);
    await bench.run();
    for (const variant of order) {
      const { result } = bench.getTask(variant.name) as NonNullable<ReturnType<Bench['getTask']>>;
      if (result.state !== 'completed') {
        throw new Error(
          `${comparison.title} / ${variant.name}: ${result.state === 'errored' ? result.error.message : result.state}`,
        );
      }
      const ops = result.latency.samplesCount * (variant.opsPerRun ?? 1);
      samples.get(variant.name)?.push({
        opsPerSecond: (ops * 1000) / result.totalTime,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
      });
    }
  }
  const summaries = variants.map((variant) => {
    const rounds = samples.get(variant.name) ?? [];
    const ops = rounds.map((sample) => sample.opsPerSecond);
    return {
      variant: variant.name,
      opsPerSecond: median(ops),
      p50Ms: median(rounds.map((sample) => sample.p50Ms)),
      p99Ms: median(rounds.map((sample) => sample.p99Ms)),
      minOpsPerSecond: Math.min(...ops),
      maxOpsPerSecond: Math.max(...ops),
    };
  });
  const baseline = summaries[0]?.opsPerSecond ?? 1;
  return {
    title: comparison.title,
    rounds: options.rounds,
    rows: summaries.map((summary) => ({ ...summary, ratio: summary.opsPerSecond / baseline })),
    ...(comparison.note ? { note: comparison.note } : {}),
  };
}
