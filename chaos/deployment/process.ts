// One process of the deployment, started, killed and started again by the chaos run. Output goes to
// a log file in the run's directory; every process still running dies with the harness.
import { type ChildProcess, spawn } from 'node:child_process';
import { fstatSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChaosService } from '../faults.ts';

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /** Log file (appended across restarts). */
  logFile: string;
  /** Resolves true once the process serves; `logOffset` is where this start's output begins in the log file. */
  ready: (logOffset: number) => Promise<boolean>;
  readyTimeoutMs?: number;
}

/** A child process that can be killed and started again; it keeps the pid of every start. */
export class ManagedProcess implements ChaosService {
  readonly name: string;
  readonly pids: number[] = [];
  restarts = -1;
  readonly #spec: ProcessSpec;
  #child: ChildProcess | undefined;

  constructor(spec: ProcessSpec) {
    this.name = spec.name;
    this.#spec = spec;
  }

  get pid(): number | undefined {
    return this.#child?.exitCode === null ? this.#child.pid : undefined;
  }

  async start(): Promise<void> {
    const log = openSync(this.#spec.logFile, 'a');
    const logOffset = fstatSync(log).size;
    const child = spawn(this.#spec.command, this.#spec.args, {
      env: this.#spec.env,
      cwd: this.#spec.cwd ?? process.cwd(),
      stdio: ['ignore', log, log],
    });
    this.#child = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    if (child.pid !== undefined) this.pids.push(child.pid);
    this.restarts++;
    const deadline = Date.now() + (this.#spec.readyTimeoutMs ?? 60_000);
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`${this.name} exited with ${child.exitCode} while starting (log: ${this.#spec.logFile})`);
      }
      if (await this.#spec.ready(logOffset).catch(() => false)) return;
      if (Date.now() > deadline) {
        await this.kill('SIGKILL');
        throw new Error(
          `${this.name} not ready within ${this.#spec.readyTimeoutMs ?? 60_000} ms (log: ${this.#spec.logFile})`,
        );
      }
      await sleep(250);
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    // A graceful stop that hangs is finished by SIGKILL: every step of a chaos run is bounded.
    const stopped = await Promise.race([exited.then(() => true), sleep(30_000).then(() => false)]);
    if (!stopped) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

/**
 * A TCP port free on 127.0.0.1 right now, below 32768: Temporal stores membership ports in a
 * smallint column, and the kernel's own picks (ephemeral ports) lie above.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port in 20000..31999 on 127.0.0.1');
}

function canListen(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Whether an HTTP GET of `url` answers 2xx. */
export async function answers(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await response.body?.cancel();
  return response.ok;
}

/** Whether the log file, from `offset` on, contains `text`. */
export function logShows(file: string, offset: number, text: string): boolean {
  return readFileSync(file).subarray(offset).includes(text);
}
