// `npm run bench [-- [--quick] [name…]]`: runs the benchmarks (all, or the named ones) one after the
// other in this process and prints one table per comparison. --quick (or BENCH_QUICK=1) measures
// almost nothing: it only proves every benchmark still runs.
import { availableParallelism, cpus } from 'node:os';
import { BENCHMARKS } from './benchmarks.ts';
import { BenchContext } from './context.ts';
import { formatTable } from './table.ts';

function usage(): string {
  return [
    'usage: npm run bench -- [--quick] [name…]',
    ...BENCHMARKS.map((benchmark) => `  ${benchmark.name.padEnd(10)} ${benchmark.description}`),
  ].join('\n');
}

async function main(args: string[]): Promise<number> {
  const quick = args.includes('--quick') || /^(1|true)$/i.test(process.env.BENCH_QUICK ?? '');
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
  console.log(
    `# npp-temporal benchmarks${quick ? ' (quick: smoke run, numbers meaningless)' : ''}\n\n` +
      `node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), ` +
      `${new Date().toISOString()}. Ratios compare variants measured in this same run; ` +
      'ops/s and latency are medians of the rounds.\n',
  );
  const context = new BenchContext(quick);
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
      for (const result of await benchmark.run(context)) console.log(formatTable(benchmark.name, result));
    }
  } finally {
    await context.close();
  }
  console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
