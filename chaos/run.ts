// `npm run chaos -- [--sessions N] [--workers N] [--arrival-seconds S] [--seed N] [--json file]`:
// the deployed topology as processes (chaos/deployment), a load of sessions and callback calls, and
// every fault kind at once; then the checks of the product's promise, one table, and JSON.
// Exit code 1 when any check fails. docs/reliability.md explains the run and holds one.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectApp } from '../src/client/connect.ts';
import { awaitOutcomes, type Check, checkRun, settleBindings, simStats } from './checks.ts';
import { type Deployment, startDeployment } from './deployment/index.ts';
import { configureSimulatorFaults, type FaultLog, runProcessFaults } from './faults.ts';
import { CHAOS_TTL, type LoadContext, placeProbeCalls, runLoad } from './load.ts';
import { planSessions } from './plan.ts';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '50' },
    workers: { type: 'string', default: '2' },
    'arrival-seconds': { type: 'string' },
    concurrency: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'string', default: 'reports/chaos.json' },
    'keep-logs': { type: 'boolean', default: false },
  },
});
const positive = (name: string, value: string | undefined): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive whole number (got ${value})`);
    process.exit(2);
  }
  return n;
};
const sessions = positive('sessions', values.sessions);
const workerCount = positive('workers', values.workers);
// Sessions wait for their binding and calls under faults: enough lanes that arrivals keep their pace.
const concurrency = positive('concurrency', values.concurrency ?? String(Math.max(32, Math.ceil(sessions / 8))));
// Arrivals spread so the faults (a kill every 15 s, the outages) hit sessions in every phase.
const arrivalSeconds = positive('arrival-seconds', values['arrival-seconds'] ?? String(Math.max(90, sessions / 4)));
const seed = values.seed === undefined ? Date.now() % 1_000_000 : positive('seed', values.seed);

const log = (line: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);
const runDir = mkdtempSync(join(tmpdir(), 'npp-chaos-'));
const startedAt = Date.now();
log(`${sessions} sessions over ${arrivalSeconds} s, ${workerCount} workers, seed ${seed}; logs in ${runDir}`);

const starting = new AbortController();
let deployment: Deployment | undefined;
// Ctrl-C or a timeout's SIGTERM still removes every process and the PostgreSQL cluster; during the
// start, the start stops at its next step and removes what it started.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the deployment (logs in ${runDir})`);
    if (!deployment) return starting.abort();
    void deployment.stop().finally(() => process.exit(130));
  });
}
deployment = await startDeployment({
  workers: workerCount,
  runDir,
  poolSize: Math.max(200, sessions),
  log,
  signal: starting.signal,
}).catch((error: unknown) => {
  if (!starting.signal.aborted) throw error;
  log('stopped during the start; everything it started is removed');
  process.exit(130);
});
let exitCode = 1;
try {
  const app = await connectApp(deployment.appEnv);
  await configureSimulatorFaults(deployment.simulatorUrl);
  const plans = planSessions({ sessions, arrivalMs: arrivalSeconds * 1000, seed });
  const loadStartedAt = Date.now();
  const loadContext: LoadContext = {
    client: app.client,
    sessions: app.sessions,
    callBacks: app.callBacks,
    simulatorUrl: deployment.simulatorUrl,
    seed,
    startedAt: loadStartedAt,
    open: new Map(),
  };
  const load = runLoad(plans, loadContext, concurrency);
  // The longest a session may still need once the load is done: its TTL, the recording wait, the
  // drain and MaxAssignTime.
  const settleMs = (CHAOS_TTL.longSeconds + CHAOS_TTL.maxExtraSeconds + 120) * 1000;
  const settled = load.then(async (runs) => {
    log(`load done in ${Math.round((Date.now() - loadStartedAt) / 1000)} s; waiting for every workflow to end`);
    return { runs, outcomes: await awaitOutcomes(app.client, runs, settleMs) };
  });
  // Workers keep being killed until every workflow has ended.
  const arrivalMs = arrivalSeconds * 1000;
  const faultLog = await runProcessFaults(
    { ...deployment, placeProbeCalls: () => placeProbeCalls(loadContext, 5) },
    {
      workerKillEveryMs: 15_000,
      webhookKillAtMs: arrivalMs * 0.3,
      temporalStopAtMs: arrivalMs * 0.5,
      temporalDownMs: 30_000,
      postgresRestartAtMs: arrivalMs * 0.75,
    },
    loadStartedAt,
    settled,
  );
  const { runs, outcomes } = await settled;
  await fetch(`${deployment.simulatorUrl}/_sim/faults`, { method: 'DELETE' });
  const left = await settleBindings(deployment.simulatorUrl, outcomes);
  const stats = await simStats(deployment.simulatorUrl);
  const webhookIdentities = new Set(deployment.webhook.pids.map((pid) => `${pid}@${hostname()}`));
  const checks = await checkRun({
    client: app.client,
    simulatorUrl: deployment.simulatorUrl,
    runs,
    outcomes,
    left,
    stats,
    webhookIdentities,
  });
  const elapsedSeconds = Math.round((Date.now() - startedAt) / 1000);
  const workers = deployment.workers.map((worker) => ({
    name: worker.name,
    restarts: worker.restarts,
    peakRssMiB: Math.round((faultLog.workerPeakRss[worker.name] ?? 0) / 1024 / 1024),
  }));
  checks.push(outageCheck(faultLog));
  printReport(checks, faultLog, workers, stats.deliveries, elapsedSeconds);
  const report = {
    sessions,
    workers: workerCount,
    seed,
    elapsedSeconds,
    checks,
    faults: faultLog,
    workerProcesses: workers,
    deliveries: stats.deliveries,
  };
  mkdirSync(dirname(values.json), { recursive: true });
  writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  log(`JSON written to ${values.json}`);
  exitCode = checks.every((check) => check.ok) ? 0 : 1;
  await app.close();
} catch (error) {
  console.error(error);
} finally {
  await deployment.stop();
  if (exitCode === 0 && !values['keep-logs']) rmSync(runDir, { recursive: true, force: true });
  else log(`logs kept in ${runDir}`);
}
process.exit(exitCode);

/** While Temporal was down the webhook answered only "retry later", never a 2xx "accepted". */
function outageCheck(faultLog: FaultLog): Check {
  const answers = faultLog.answersWhileTemporalDown;
  const accepted = Object.entries(answers).filter(([outcome]) => outcome.endsWith('accepted'));
  return {
    name: 'webhook answered no 2xx "accepted" while Temporal was down',
    // Without a delivery during the outage the property was not exercised: that fails too.
    ok: faultLog.temporalOutage !== undefined && Object.keys(answers).length > 0 && accepted.length === 0,
    value:
      Object.entries(answers)
        .map(([outcome, n]) => `${n}× ${outcome}`)
        .join(', ') || (faultLog.temporalOutage ? 'no deliveries' : 'outage did not happen'),
    misses: accepted.map(([outcome, n]) => `${n} answered ${outcome}`),
  };
}

function printReport(
  checks: Check[],
  faultLog: FaultLog,
  workers: { name: string; restarts: number; peakRssMiB: number }[],
  deliveries: Record<string, number>,
  elapsedSeconds: number,
): void {
  const rows = checks.map((check) => [check.ok ? 'ok' : 'FAIL', check.name, check.value]);
  rows.push([
    '',
    'faults',
    `${faultLog.workerKills} worker kills, ${faultLog.webhookKills} webhook kill, Temporal down ${faultLog.temporalOutage ? Math.round((faultLog.temporalOutage.to - faultLog.temporalOutage.from) / 1000) : 0} s (${faultLog.probeCalls} calls placed meanwhile), ${faultLog.postgresRestarts} PostgreSQL restart`,
  ]);
  rows.push([
    '',
    'callback deliveries',
    Object.entries(deliveries)
      .map(([outcome, n]) => `${n}× ${outcome}`)
      .join(', '),
  ]);
  for (const worker of workers)
    rows.push(['', worker.name, `${worker.restarts} restarts, peak RSS ${worker.peakRssMiB} MiB`]);
  rows.push(['', 'elapsed', `${elapsedSeconds} s`]);
  const width = Math.max(...rows.map((row) => (row[1] as string).length));
  console.log('');
  for (const [status, name, value] of rows)
    console.log(`${(status as string).padEnd(4)}  ${(name as string).padEnd(width)}  ${value}`);
  for (const check of checks.filter((c) => !c.ok)) {
    console.log(`\n${check.name}:`);
    for (const miss of check.misses.slice(0, 20)) console.log(`  - ${miss}`);
    if (check.misses.length > 20) console.log(`  … and ${check.misses.length - 20} more`);
  }
  if (faultLog.errors.length > 0) console.log(`\nfault steps that failed:\n  - ${faultLog.errors.join('\n  - ')}`);
}
