import type { ComparisonResult, DetailTable } from './harness.ts';

// Plain-text tables, one per comparison. The heading line `### <benchmark>: <title>` and the `ratio`
// column are what test/bench.test.ts looks for.

const number = (value: number): string =>
  value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toPrecision(3);
const millis = (value: number): string => (value >= 10 ? value.toFixed(1) : value.toFixed(3));

export function formatTable(benchmark: string, result: ComparisonResult): string {
  // Optional columns appear when any row has them.
  const hasCpu = result.rows.some((row) => row.cpuMicrosPerOp !== undefined);
  const hasFailed = result.rows.some((row) => row.failed !== undefined);
  const extraTitles = [...new Set(result.rows.flatMap((row) => Object.keys(row.extra ?? {})))];
  const header = [
    'variant',
    'ops/s',
    'ratio',
    'p50 ms',
    'p99 ms',
    ...(hasCpu ? ['CPU µs/op', 'CPU ratio'] : []),
    ...(hasFailed ? ['failed / ops'] : []),
    ...extraTitles,
    `ops/s range, ${result.rounds} round${result.rounds === 1 ? '' : 's'}`,
  ];
  const baselineCpu = result.rows[0]?.cpuMicrosPerOp ?? Number.NaN;
  const rows = result.rows.map((row, index) => [
    row.variant,
    number(row.opsPerSecond),
    `${row.ratio.toFixed(2)}x${index === 0 ? ' (baseline)' : ''}`,
    millis(row.p50Ms),
    millis(row.p99Ms),
    ...(hasCpu
      ? [
          row.cpuMicrosPerOp === undefined ? '' : number(row.cpuMicrosPerOp),
          row.cpuMicrosPerOp === undefined ? '' : `${(row.cpuMicrosPerOp / baselineCpu).toFixed(2)}x`,
        ]
      : []),
    ...(hasFailed ? [`${row.failed ?? 0} / ${row.ops ?? ''}`] : []),
    ...extraTitles.map((title) => row.extra?.[title] ?? ''),
    `${number(row.minOpsPerSecond)} – ${number(row.maxOpsPerSecond)}`,
  ]);
  return [
    `### ${benchmark}: ${result.title}`,
    '',
    ...markdownTable(header, rows),
    ...(result.note ? ['', result.note] : []),
    '',
    // Its own heading: the comparison's table stays the only one under the comparison's heading.
    ...(result.details ? [formatDetails(benchmark, result.details)] : []),
  ].join('\n');
}

function formatDetails(benchmark: string, details: DetailTable): string {
  return [`### ${benchmark} details: ${details.title}`, '', ...markdownTable(details.header, details.rows), ''].join(
    '\n',
  );
}

/** Names left-aligned, numbers right-aligned: a markdown table that also reads well in a terminal. */
function markdownTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (column === 0 ? `:${'-'.repeat(width + 1)}` : `${'-'.repeat(width + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)];
}
