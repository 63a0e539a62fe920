// A real S3-compatible server for the archive tests: s3proxy on a free loopback port, keeping its
// objects in a temp directory, with its own credentials and one bucket made ready.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { resolveS3proxy } from '../../scripts/s3proxy.ts';
import { freePort } from '../../src/temporal/devServer.ts';

export interface S3proxyServer {
  endpoint: string;
  bucket: string;
  /** Client settings with the server's credentials; spread over them to change one. */
  clientConfig: S3ClientConfig;
  close(): Promise<void>;
}

const ACCESS_KEY = 'npp-test-access-key';
const SECRET_KEY = 'npp-test-secret-key';
const STARTUP_MS = 60_000;

async function accepting(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket.destroy() === socket));
    socket.once('error', () => resolve(false));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** Starts s3proxy (fetched with Maven once, then cached) and creates the bucket `bucket`. */
export async function startS3proxy(bucket = 'recordings'): Promise<S3proxyServer> {
  const jar = await resolveS3proxy();
  const dir = mkdtempSync(join(tmpdir(), 'npp-s3proxy-'));
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  mkdirSync(join(dir, 'data'));
  const properties = join(dir, 's3proxy.properties');
  writeFileSync(
    properties,
    [
      `s3proxy.endpoint=${endpoint}`,
      's3proxy.authorization=aws-v2-or-v4',
      `s3proxy.identity=${ACCESS_KEY}`,
      `s3proxy.credential=${SECRET_KEY}`,
      'jclouds.provider=filesystem',
      `jclouds.filesystem.basedir=${join(dir, 'data')}`,
      '',
    ].join('\n'),
  );
  const child = spawn('java', ['-jar', jar, '--properties', properties], { stdio: ['ignore', 'pipe', 'pipe'] });
  // s3proxy logs to stdout; the tail explains a failed start.
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const deadline = Date.now() + STARTUP_MS;
  while (!(await accepting(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop(child);
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`s3proxy did not start on ${endpoint}: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const clientConfig: S3ClientConfig = {
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
  };
  const s3 = new S3Client(clientConfig);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
  return {
    endpoint,
    bucket,
    clientConfig,
    close: async () => {
      await stop(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
