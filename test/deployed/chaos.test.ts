import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Check } from '../../chaos/checks.ts';
import type { FaultLog } from '../../chaos/faults.ts';

// The small chaos run of every CI submission (docs/reliability.md): the deployed topology as
// processes (a Temporal server on its own PostgreSQL, two workers, the webhook, the simulator),
// 50 sessions, every fault kind. The run itself checks the promise; this file asserts its report.

const REPORT = 'reports/chaos-ci.json';

interface ChaosReport {
  checks: Check[];
  faults: FaultLog;
  workerProcesses: { name: string; restarts: number }[];
}

let report: ChaosReport;
let output = '';

beforeAll(async () => {
  const child = spawn(process.execPath, ['chaos/run.ts', '--sessions', '50', '--seed', '4242', '--json', REPORT], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  await new Promise((resolve) => child.once('exit', resolve));
  report = JSON.parse(readFileSync(REPORT, 'utf8')) as ChaosReport;
});

describe('chaos run of the deployed topology (50 sessions)', () => {
  it('keeps the promise: every check holds', () => {
    const failed = report.checks
      .filter((check) => !check.ok)
      .map((check) => ({ [check.name]: check.misses.slice(0, 10), value: check.value }));
    expect(failed, output.slice(-4000)).toEqual([]);
  });

  it('went through every fault kind', () => {
    expect(report.faults.workerKills).toBeGreaterThanOrEqual(3);
    expect(report.faults.webhookKills).toBe(1);
    expect(report.faults.temporalOutage).toBeDefined();
    expect(report.faults.postgresRestarts).toBe(1);
    expect(report.faults.errors).toEqual([]);
    expect(report.workerProcesses.every((worker) => worker.restarts >= 1)).toBe(true);
  });
});
