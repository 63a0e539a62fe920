// `npm run bench [-- [--full | --smoke] [--json=<file>] [name…]]`: runs the benchmarks (all, or the
// named ones) one after the other in this process, prints one table per comparison and writes them
// all as JSON (default reports/bench.json). The default measures the small sizes; --full adds the
// large ones (BENCH_FULL=1 too); --smoke (or BENCH_SMOKE=1) measures almost nothing: it only proves
// every benchmark still runs.
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { dirname } from 'node:path';
import { BENCHMARKS } from './benchmarks.ts';
import { BenchContext, type BenchMode } from './context.ts';
import type { ComparisonResult } from './harness.ts';
import { formatTable } from './table.ts';

const DEFAULT_JSON = 'reports/bench.json';
const flagOn = (value: string | undefined) => /^(1|true)$/i.test(value ?? '');

function usage(): string {
  return [
    'usage: npm run bench -- [--full | --smoke] [--json=<file>] [name…]',
    ...BENCHMARKS.map((benchmark) => `  ${benchmark.name.padEnd(10)} ${benchmark.description}`),
  ].join('\n');
}

async function main(args: string[]): Promise<number> {
  const mode: BenchMode =
    args.includes('--smoke') || flagOn(process.env.BENCH_SMOKE)
      ? 'smoke'
      : args.includes('--full') || flagOn(process.env.BENCH_FULL)
        ? 'full'
        : 'quick';
  const jsonPath = args.find((arg) => arg.startsWith('--json='))?.slice('--json='.length) || DEFAULT_JSON;
  const names = args.filter((arg) => !arg.startsWith('--'));
  if (args.includes('--help')) {
    console.log(usage());
    return 0;
  }
  const unknown = names.filter((name) => !BENCHMARKS.some((benchmark) => benchmark.name === name));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}\n${usage()}`);
    return 2;
  }
  const selected = names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((benchmark) => names.includes(benchmark.name));
  const machine = `node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'})`;
  const startedAt = new Date().toISOString();
  console.log(
    `# npp-temporal benchmarks (${mode}${mode === 'smoke' ? ': numbers meaningless' : ''})\n\n` +
      `${machine}, ${startedAt}. Ratios compare variants measured in this same run; ` +
      'ops/s and latency are medians of the rounds.\n',
  );
  const context = new BenchContext(mode);
  const results: { benchmark: string; comparisons: ComparisonResult[] }[] = [];
  // Ctrl-C stops the dev server and the simulator too, instead of leaving them running.
  const interrupt = (exitCode: number) => () => {
    context.close().finally(() => process.exit(exitCode));
  };
  process.once('SIGINT', interrupt(130));
  process.once('SIGTERM', interrupt(143));
  const started = performance.now();
  try {
    for (const benchmark of selected) {
      console.log(`## ${benchmark.name}: ${benchmark.description}\n`);
      const comparisons = await benchmark.run(context);
      for (const result of comparisons) console.log(formatTable(benchmark.name, result));
      results.push({ benchmark: benchmark.name, comparisons });
    }
  } finally {
    await context.close();
  }
  const seconds = (performance.now() - started) / 1000;
  await mkdir(dirname(jsonPath), { recursive: true });
  await writeFile(jsonPath, `${JSON.stringify({ mode, machine, startedAt, seconds, results }, null, 2)}\n`);
  console.log(`(${seconds.toFixed(1)} s; JSON in ${jsonPath})`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
