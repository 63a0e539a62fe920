import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { BENCHMARKS } from '../bench/benchmarks.ts';

// Keeps the benchmarks from rotting: every one runs in smoke mode against the suite's Temporal server
// and prints its tables. Timings are never asserted; only that each table compares to a baseline.

const ENTRY = fileURLToPath(new URL('../bench/run.ts', import.meta.url));

async function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [ENTRY, ...args], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const [code] = await once(child, 'exit');
  return { code, stdout, stderr };
}

interface Table {
  heading: string;
  header: string[];
  rows: string[][];
}

/** The markdown tables under `### <benchmark>: …` headings. */
function tablesOf(output: string, benchmark: string): Table[] {
  const sections = output.split(/^(?=### )/m).filter((section) => section.startsWith(`### ${benchmark}: `));
  return sections.map((section) => {
    const lines = section.split('\n');
    const cells = lines
      .filter((line) => line.startsWith('|') && !line.startsWith('|:'))
      .map((line) =>
        line
          .slice(1, -1)
          .split('|')
          .map((cell) => cell.trim()),
      );
    const [header = [], ...rows] = cells;
    return { heading: lines[0] ?? '', header, rows };
  });
}

describe('npm run bench', () => {
  it('runs every benchmark in smoke mode and prints a ratio against a baseline for each variant', async () => {
    const { code, stdout, stderr } = await runBench(['--smoke']);
    expect(code, stderr).toBe(0);
    expect(BENCHMARKS.length).toBeGreaterThanOrEqual(8);
    for (const { name } of BENCHMARKS) {
      const tables = tablesOf(stdout, name);
      expect(tables.length, `tables of ${name}`).toBeGreaterThan(0);
      for (const table of tables) {
        const ratio = table.header.indexOf('ratio');
        expect(ratio, table.heading).toBeGreaterThan(0);
        expect(table.header).toContain('ops/s');
        expect(table.rows.length, `${table.heading}: variants side by side`).toBeGreaterThanOrEqual(2);
        expect(table.rows[0]?.[ratio]).toBe('1.00x (baseline)');
        for (const row of table.rows) expect(row[ratio], `${table.heading} / ${row[0]}`).toMatch(/^\d+\.\d{2}x/);
      }
    }
  }, 180_000);

  it('runs only the benchmarks named on the command line', async () => {
    const { code, stdout } = await runBench(['--smoke', 'tc3']);
    expect(code).toBe(0);
    expect(tablesOf(stdout, 'tc3').length).toBe(2);
    expect(stdout).not.toMatch(/^### (codec|client|webhook|ingress|sessions|scale|startup): /m);
  });

  it('refuses an unknown benchmark name with the list of names', async () => {
    const { code, stderr } = await runBench(['no-such-bench']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown benchmark(s): no-such-bench');
    for (const { name } of BENCHMARKS) expect(stderr).toContain(name);
  });
});
