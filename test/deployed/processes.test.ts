import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Deployment, startDeployment } from '../../chaos/deployment/index.ts';
import { waitFor } from '../../chaos/retry.ts';
import { connectApp } from '../../src/client/connect.ts';
import { sessionStateQuery } from '../../src/contract/session.ts';
import { type S3proxyServer, startS3proxy } from '../helpers/s3proxy.ts';

// The worker and webhook as deployed processes, configured only by environment: tracing (OTEL_*)
// exports their spans over OTLP/HTTP to a collector (here a loopback server keeping the raw protobuf
// bodies), and the worker archives recordings into an S3-compatible bucket (NPP_ARCHIVE_URL, a real
// s3proxy).

const batches: { service: string; body: Buffer }[] = [];
let collector: Server;
let deployment: Deployment;
let runDir: string;
let s3: S3proxyServer;

beforeAll(async () => {
  collector = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const service = ['npp-temporal-worker', 'npp-temporal-webhook'].find((name) => body.includes(name)) ?? '?';
      if (request.url === '/v1/traces') batches.push({ service, body });
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  runDir = mkdtempSync(join(tmpdir(), 'npp-processes-deployed-'));
  s3 = await startS3proxy();
  const credentials = s3.clientConfig.credentials as { accessKeyId: string; secretAccessKey: string };
  deployment = await startDeployment({
    workers: 1,
    runDir,
    poolSize: 20,
    extraEnv: {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      // Export each batch within a second rather than five.
      OTEL_BSP_SCHEDULE_DELAY: '500',
      NPP_ARCHIVE_URL: `s3://${s3.bucket}/deployed`,
      NPP_ARCHIVE_S3_PATH_STYLE: 'true',
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    log: () => undefined,
  });
});

afterAll(async () => {
  await deployment?.stop();
  await s3?.close();
  await new Promise((resolve) => collector.close(resolve));
  rmSync(runDir, { recursive: true, force: true });
});

describe('the worker and webhook processes as deployed', () => {
  it('archive the recording into the bucket, and export their spans with no phone number in them', async () => {
    const app = await connectApp(deployment.appEnv);
    try {
      const src = '008613912340001';
      const dst = '008613912340002';
      const sessionKey = `traced-${randomUUID()}`;
      const session = await app.sessions.startSession({
        sessionKey,
        mode: 'AXB',
        src,
        dst,
        record: true,
        drainSeconds: 0,
      });
      const handle = app.client.workflow.getHandle(session.workflowId);
      const bound = await waitFor('bound', async () => (await handle.query(sessionStateQuery)).virtualNum, 60_000);
      const call = await fetch(`${deployment.simulatorUrl}/_sim/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ virtualNum: bound, caller: src, durationSeconds: 5, wait: true }),
      });
      expect(call.status).toBe(200);
      const closed = await app.sessions.closeSession(sessionKey, { wait: true, timeoutMs: 120_000 });

      // The worker process streamed the recording into the bucket, its checksum as object metadata.
      const archive = closed.calls[0]?.archive;
      expect(archive?.location).toMatch(new RegExp(`^s3://${s3.bucket}/deployed/${session.workflowId}/`));
      const key = (archive?.location as string).slice(`s3://${s3.bucket}/`.length);
      const head = await new S3Client(s3.clientConfig).send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
      expect(head.Metadata?.sha256).toBe(archive?.sha256);
      expect(head.ContentLength).toBe(archive?.bytes);

      const exported = () => Buffer.concat(batches.map((batch) => batch.body));
      await waitFor(
        'the spans of both processes',
        async () =>
          [
            'RunActivity:getVirtualNum',
            'RunActivity:delVirtualNum',
            'HandleSignal:callHangup',
            'SignalWorkflow:callHangup',
          ].every((name) => exported().includes(name)) || undefined,
        30_000,
      );
      expect(new Set(batches.map((batch) => batch.service))).toEqual(
        new Set(['npp-temporal-worker', 'npp-temporal-webhook']),
      );
      for (const number of [src, dst, bound]) expect(exported().includes(number), number).toBe(false);
    } finally {
      await app.close();
    }
  });
});
