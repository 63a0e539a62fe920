// The product's entry points as child processes over loopback: spawn, read their output, wait for
// a line or an HTTP answer, stop them with a signal, and kill whatever a failed test left running.
import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';

export interface NodeProcess {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process exited. */
  exited: Promise<number | string>;
  /** Waits until the output matches, failing early (with the output) when the process exits. */
  waitForOutput(pattern: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Sends `signal` and waits for the exit; SIGKILL after `timeoutMs`. Returns the exit code and the milliseconds it took. */
  stop(signal: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | string; ms: number }>;
  /** SIGKILL if still running: for afterAll, whatever the tests did. */
  kill(): void;
}

/**
 * Runs `node <script>` from the repository root with exactly `env` (no inherited variables, so the
 * test runner's own NODE_ENV or TEMPORAL_* cannot leak in) plus PATH and HOME.
 */
export function spawnNode(script: string, env: Record<string, string | undefined>): NodeProcess {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  let exitCode: number | string | undefined;
  void exited.then((code) => {
    exitCode = code;
  });

  const waitForOutput = async (pattern: string | RegExp, timeoutMs = 90_000) => {
    const matches = () => (typeof pattern === 'string' ? output.includes(pattern) : pattern.test(output));
    const deadline = Date.now() + timeoutMs;
    while (!matches()) {
      if (exitCode !== undefined) throw new Error(`${script} exited (${exitCode}) before ${pattern}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`${script} printed no ${pattern} in ${timeoutMs} ms:\n${output}`);
      await sleep(100);
    }
  };

  const stop = async (signal: NodeJS.Signals, timeoutMs = 30_000) => {
    const started = Date.now();
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return { code, ms: Date.now() - started };
  };

  return {
    child,
    output: () => output,
    exited,
    waitForOutput,
    stop,
    kill: () => {
      if (exitCode === undefined) child.kill('SIGKILL');
    },
  };
}

/** Polls `url` until it answers `status` (connection refusals count as not yet). */
export async function waitForStatus(url: string, status = 200, timeoutMs = 30_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.status === status) return response;
      last = `HTTP ${response.status}`;
      await response.body?.cancel();
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${url} did not answer ${status} in ${timeoutMs} ms (last: ${last})`);
}

/** Whether anything accepts TCP connections on 127.0.0.1:`port`. */
export function isPortOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port, timeout: 1000 });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
