// A PostgreSQL 15 cluster of its own for one run: initdb in a temporary directory, on a free
// loopback port, as the `postgres` user when the harness runs as root (initdb refuses root).
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ChaosService } from '../faults.ts';
import { freePort } from './process.ts';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

export interface Postgres extends ChaosService {
  port: number;
  user: string;
  password: string;
  /** Stops the cluster and deletes its directory. */
  remove(): Promise<void>;
}

/** Debian's PostgreSQL 15, installed with apt-get when missing and running as root. */
async function ensureBinaries(log: (line: string) => void): Promise<void> {
  if (existsSync(join(BIN, 'initdb'))) return;
  if (userInfo().uid !== 0) {
    throw new Error(
      `PostgreSQL 15 is missing (${BIN}): run  sudo apt-get update && sudo apt-get install -y postgresql`,
    );
  }
  log('installing PostgreSQL 15 (apt-get install postgresql)');
  await run('apt-get', ['update'], { maxBuffer: 64 * 1024 * 1024 });
  await run('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (!existsSync(join(BIN, 'initdb'))) throw new Error(`apt-get installed postgresql but ${BIN}/initdb is missing`);
}

/** Creates and starts a cluster with a `temporal` superuser that has a password. */
export async function startPostgres(log: (line: string) => void): Promise<Postgres> {
  await ensureBinaries(log);
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'npp-chaos-pg-'));
  if (asRoot) chownSync(dir, Number(postgresId('-u')), Number(postgresId('-g')));
  const data = join(dir, 'data');
  const port = await freePort();
  const password = `chaos-${Math.random().toString(36).slice(2)}`;
  const as = (command: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(BIN, command), ...args]) : run(join(BIN, command), args);
  await as('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  let up = false;
  const postgres: Postgres = {
    name: 'postgresql',
    port,
    user: 'temporal',
    password,
    get pid() {
      return undefined;
    },
    async start() {
      await as('pg_ctl', ['-D', data, '-l', join(dir, 'postgresql.log'), '-o', options, '-w', '-t', '60', 'start']);
      up = true;
    },
    async kill(signal) {
      if (!up) return;
      await as('pg_ctl', ['-D', data, '-m', signal === 'SIGKILL' ? 'immediate' : 'fast', '-w', '-t', '60', 'stop']);
      up = false;
    },
    async remove() {
      await postgres.kill('SIGTERM').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await postgres.start();
  await as('psql', [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-U',
    'postgres',
    '-c',
    `CREATE ROLE temporal LOGIN SUPERUSER PASSWORD '${password}'`,
  ]);
  return postgres;
}

/** The uid or gid of the Debian package's `postgres` system user. */
function postgresId(flag: '-u' | '-g'): string {
  return execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim();
}
