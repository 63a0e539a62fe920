import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { NppClient, type NppClientOptions } from '../src/npp/client.ts';

export const SIM_SECRET_ID = 'AKIDbenchmarks';
export const SIM_SECRET_KEY = 'benchmark-secret-key';
export const SIM_BIZ_APP_ID = '1400000077';

export interface SimulatorProcess {
  /** http://127.0.0.1:<port> */
  url: string;
  /** host:port, for the official SDK's httpProfile. */
  endpoint: string;
  /** A client of the simulator with the benchmarks' credentials. */
  client(options?: Partial<NppClientOptions>): NppClient;
  close(): Promise<void>;
}

/** Starts bench/simulatorProcess.ts and waits for the URL it prints. */
export async function startSimulatorProcess(): Promise<SimulatorProcess> {
  const child = spawn(process.execPath, [new URL('./simulatorProcess.ts', import.meta.url).pathname], {
    env: { ...process.env, BENCH_SIM_SECRET_ID: SIM_SECRET_ID, BENCH_SIM_SECRET_KEY: SIM_SECRET_KEY },
    // stdin stays open while this process lives: the child ends when it closes.
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const firstLine = once(createInterface({ input: child.stdout }), 'line').then(([line]) => line as string);
  const exitedFirst = once(child, 'exit').then(([code]) => {
    throw new Error(`the simulator process exited (${code}) before it listened`);
  });
  // Only a rejection before the URL arrives matters; the exit at close() is expected.
  exitedFirst.catch(() => {});
  const { url, endpoint } = JSON.parse(await Promise.race([firstLine, exitedFirst])) as {
    url: string;
    endpoint: string;
  };
  return {
    url,
    endpoint,
    client: (options = {}) =>
      new NppClient({
        endpoint: url,
        secretId: SIM_SECRET_ID,
        secretKey: SIM_SECRET_KEY,
        bizAppId: SIM_BIZ_APP_ID,
        ...options,
      }),
    async close() {
      if (child.exitCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      await gone;
    },
  };
}
