// The faults of a chaos run, all on loopback and bounded in count and time: platform API faults and
// callback mischief in the simulator, and processes of the deployment killed or stopped.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeliveryLogEntry } from '../src/simulator/delivery.ts';
import { getJson, postJson } from './simulatorAdmin.ts';

/** A process of the deployment the faults act on. */
export interface ChaosService {
  readonly name: string;
  /** The running process, if any. */
  readonly pid: number | undefined;
  /** Kills the process (SIGKILL unless said otherwise) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the process again and waits until it serves. */
  start(): Promise<void>;
}

export interface FaultTargets {
  simulatorUrl: string;
  workers: ChaosService[];
  webhook: ChaosService;
  temporal: ChaosService;
  postgres: ChaosService;
  /** Places a few calls through open sessions; answers how many (during the Temporal outage). */
  placeProbeCalls(): Promise<number>;
}

export interface FaultPlan {
  /** SIGKILL one worker this often (round robin), restarting it at once. */
  workerKillEveryMs: number;
  /** When (from the run's start) the webhook is killed and restarted. */
  webhookKillAtMs: number;
  /** When Temporal is stopped, and for how long. */
  temporalStopAtMs: number;
  temporalDownMs: number;
  /** When PostgreSQL is restarted. */
  postgresRestartAtMs: number;
}

/** What the faults did, for the report. */
export interface FaultLog {
  workerKills: number;
  webhookKills: number;
  temporalOutage?: { from: number; to: number };
  postgresRestarts: number;
  /** Calls placed while Temporal was down, so that callbacks arrive then. */
  probeCalls: number;
  /** Deliveries answered while Temporal was down, by outcome ("503", "200 accepted", …). */
  answersWhileTemporalDown: Record<string, number>;
  /** Highest RSS seen per worker process name, in bytes. */
  workerPeakRss: Record<string, number>;
  errors: string[];
}

/** API faults on about 20% of NPP requests (recording downloads included), and callback mischief. */
export async function configureSimulatorFaults(simulatorUrl: string): Promise<void> {
  const rules = [
    { action: '*', kind: '5xx', rate: 0.05 },
    // Answers after the client's 10 s timeout: the platform acted, the worker cannot tell.
    { action: '*', kind: 'late-answer', rate: 0.05, latencyMs: 11_000 },
    { action: '*', kind: 'drop-connection', rate: 0.05 },
    { action: '*', kind: 'InternalError', rate: 0.03 },
    { action: '*', kind: 'latency', rate: 0.04, latencyMs: 2000 },
  ];
  for (const rule of rules) await postJson(`${simulatorUrl}/_sim/faults`, rule);
  // Seven attempts span about a minute of backoff: a 30 s outage is ridden out by redelivery.
  await postJson(`${simulatorUrl}/_sim/delivery`, {
    duplicateRate: 0.3,
    reorderRate: 0.3,
    dropRate: 0.05,
    maxAttempts: 7,
  });
}

/** Runs the process faults until `until` resolves; every step bounded in time. */
export async function runProcessFaults(
  targets: FaultTargets,
  plan: FaultPlan,
  startedAt: number,
  until: Promise<unknown>,
): Promise<FaultLog> {
  const log: FaultLog = {
    workerKills: 0,
    webhookKills: 0,
    postgresRestarts: 0,
    probeCalls: 0,
    answersWhileTemporalDown: {},
    workerPeakRss: {},
    errors: [],
  };
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const at = async (ms: number) => {
    while (!done && Date.now() < startedAt + ms) await sleep(Math.min(500, startedAt + ms - Date.now()));
    return !done;
  };
  const attempt = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (error) {
      log.errors.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const workerKills = (async () => {
    for (let kill = 1; await at(kill * plan.workerKillEveryMs); kill++) {
      const worker = targets.workers[kill % targets.workers.length] as ChaosService;
      await attempt(`kill ${worker.name}`, async () => {
        await worker.kill('SIGKILL');
        log.workerKills++;
        await restart(worker);
      });
    }
  })();
  const webhookKill = (async () => {
    if (!(await at(plan.webhookKillAtMs))) return;
    await attempt('kill webhook', async () => {
      await targets.webhook.kill('SIGKILL');
      log.webhookKills++;
      await sleep(2000);
      await restart(targets.webhook);
    });
  })();
  const temporalOutage = (async () => {
    if (!(await at(plan.temporalStopAtMs))) return;
    await attempt('stop Temporal', async () => {
      await targets.temporal.kill('SIGTERM');
      const from = Date.now();
      await sleep(3000);
      log.probeCalls = await targets.placeProbeCalls();
      await sleep(Math.max(0, from + plan.temporalDownMs - Date.now()));
      const to = Date.now();
      await targets.temporal.start();
      log.temporalOutage = { from, to };
      log.answersWhileTemporalDown = await answersBetween(targets.simulatorUrl, from + 2000, to);
    });
  })();
  const postgresRestart = (async () => {
    if (!(await at(plan.postgresRestartAtMs))) return;
    await attempt('restart PostgreSQL', async () => {
      await targets.postgres.kill('SIGTERM');
      await sleep(3000);
      await targets.postgres.start();
      log.postgresRestarts++;
    });
  })();
  const rss = (async () => {
    while (!done) {
      for (const worker of targets.workers) {
        const bytes = rssOf(worker.pid);
        if (bytes > (log.workerPeakRss[worker.name] ?? 0)) log.workerPeakRss[worker.name] = bytes;
      }
      await sleep(2000);
    }
  })();
  await Promise.all([workerKills, webhookKill, temporalOutage, postgresRestart, rss]);
  return log;
}

/**
 * Starts a killed service again the way compose's restart policy does: a worker that starts while
 * Temporal is down exits at once, so it is started again until it serves (at most 3 minutes).
 */
async function restart(service: ChaosService): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      return await service.start();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(2000);
    }
  }
}

/** Delivery answers the simulator logged in [from, to] (unix ms), by outcome. */
async function answersBetween(simulatorUrl: string, from: number, to: number): Promise<Record<string, number>> {
  const entries = await getJson<DeliveryLogEntry[]>(`${simulatorUrl}/_sim/deliveries`);
  const counts: Record<string, number> = {};
  for (const entry of entries) {
    if (entry.at < from || entry.at > to || entry.status === 'dropped') continue;
    const outcome = entry.answer ? `${entry.status} ${entry.answer}` : String(entry.status);
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  return counts;
}

/** Resident set size of a process, in bytes (0 when it is gone). */
export function rssOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
