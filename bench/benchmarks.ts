import { codecBenchmark } from './codec.bench.ts';
import type { Benchmark } from './context.ts';
import { ingressBenchmark } from './ingress.bench.ts';
import { nppClientBenchmark } from './nppClient.bench.ts';
import { scaleBenchmark } from './scale.bench.ts';
import { sessionsBenchmark } from './sessions.bench.ts';
import { startupBenchmark } from './startup.bench.ts';
import { tc3Benchmark } from './tc3.bench.ts';
import { webhookBenchmark } from './webhook.bench.ts';

/** Every benchmark, in the order a full run measures them: in-process first, then over HTTP, then Temporal. */
export const BENCHMARKS: readonly Benchmark[] = [
  tc3Benchmark,
  codecBenchmark,
  nppClientBenchmark,
  webhookBenchmark,
  ingressBenchmark,
  sessionsBenchmark,
  scaleBenchmark,
  startupBenchmark,
];
