import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort, startDevServer } from '../src/temporal/devServer.ts';
import { resolveTemporalCli } from '../src/temporal/temporalCli.ts';
import type { Benchmark } from './context.ts';
import { median } from './harness.ts';
import { percentile } from './load.ts';

// `npm start` from spawn to its `ready` line, with the Temporal CLI already cached (warm) and a cache
// directory of the benchmark's own (its dev server's SQLite file is kept between rounds, as on a
// developer's machine), against the floor: the same dev server alone (`temporal server start-dev`
// until it answers). npm start listens on the fixed ports 7233 and 8233: they must be free.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const READY_TIMEOUT_MS = 120_000;

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Milliseconds from spawning `npm start` to its `ready` line; stops it (SIGINT to its process group) after. */
async function npmStartToReady(env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  const child = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit');
  try {
    const lines = createInterface({ input: child.stdout });
    const ready = new Promise<number>((resolve) => {
      lines.on('line', (line) => {
        if (line.startsWith('ready')) resolve(performance.now() - started);
      });
    });
    const failed = exited.then(([code]) => {
      throw new Error(`npm start exited (${code}) before ready: ${stderr.slice(-500)}`);
    });
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('npm start not ready in 120 s')), READY_TIMEOUT_MS).unref(),
    );
    return await Promise.race([ready, failed, timeout]);
  } finally {
    if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
    await exited.catch(() => undefined);
  }
}

/**
 * npmStartToReady on ports picked just before the start. A port found free can still be taken by
 * another process before npm start binds it (parallel test files do): such a start is tried again on
 * other ports, at most three times.
 */
async function npmStartOnFreePorts(env: NodeJS.ProcessEnv): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const ports = { WEBHOOK_PORT: String(await freePort()), NPP_SIM_PORT: String(await freePort()) };
    try {
      return await npmStartToReady({ ...env, ...ports });
    } catch (error) {
      if (attempt >= 3 || !String(error).includes('EADDRINUSE')) throw error;
    }
  }
}

async function devServerAlone(dbFilename: string): Promise<number> {
  const started = performance.now();
  const server = await startDevServer({ ui: true, port: 7233, uiPort: 8233, dbFilename });
  const elapsed = performance.now() - started;
  await server.stop();
  return elapsed;
}

export const startupBenchmark: Benchmark = {
  name: 'startup',
  description: '`npm start` to ready with the Temporal CLI cached, vs the dev server alone',
  async run(context) {
    for (const port of [7233, 8233]) {
      if (await listening(port)) throw new Error(`port ${port} is in use: npm start needs it for its dev server`);
    }
    const cli = resolveTemporalCli(process.env);
    if (cli.type !== 'existing-path')
      throw new Error('the startup benchmark needs the Temporal CLI built or cached first');
    const cache = await mkdtemp(join(tmpdir(), 'npp-bench-startup-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      NPP_TEMPORAL_CACHE: cache,
      TEMPORAL_CLI_PATH: cli.path,
    };
    // npm start must start its own server and simulator, not attach to the run's.
    for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'NPP_ENDPOINT', 'TENCENTCLOUD_SECRET_ID']) {
      delete env[name];
    }
    const rounds = context.pick({ smoke: 1, quick: 3, full: 5 });
    const times = { alone: [] as number[], npm: [] as number[] };
    try {
      // The first start creates the dev server's database: not measured (warm means a second start).
      await npmStartOnFreePorts(env);
      for (let round = 0; round < rounds; round++) {
        times.alone.push(await devServerAlone(join(cache, 'dev-server.sqlite')));
        times.npm.push(await npmStartOnFreePorts(env));
      }
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
    const row = (variant: string, samples: number[]) => {
      const perSecond = samples.map((ms) => 1000 / ms);
      return {
        variant,
        opsPerSecond: median(perSecond),
        p50Ms: percentile(samples, 50),
        p99Ms: percentile(samples, 99),
        minOpsPerSecond: Math.min(...perSecond),
        maxOpsPerSecond: Math.max(...perSecond),
        extra: { 'median s': (median(samples) / 1000).toFixed(2) },
      };
    };
    const rows = [
      row('temporal dev server alone (start-dev until it answers)', times.alone),
      row('npm start to ready', times.npm),
    ];
    const baseline = rows[0]?.opsPerSecond ?? 1;
    return [
      {
        title: 'start to ready, warm (CLI cached, dev server database present)',
        rounds,
        rows: rows.map((r) => ({ ...r, ratio: r.opsPerSecond / baseline })),
        note: 'One op: one start. ops/s = 1 / start time; p50/p99 and median s are the start times. npm start includes npm, bundling the workflows, the simulator, the webhook and the worker.',
      },
    ];
  },
};
