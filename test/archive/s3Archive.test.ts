import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArchiveActivities } from '../../src/activities/archiveActivities.ts';
import { createActivities } from '../../src/activities/index.ts';
import { S3Sink } from '../../src/archive/s3Sink.ts';
import { type ArchivedRecording, closeSessionUpdate, sessionStateQuery } from '../../src/contract/session.ts';
import { callBackTest as test } from '../helpers/fixtures.ts';
import { type S3proxyServer, startS3proxy } from '../helpers/s3proxy.ts';
import { phone, recordedSessionCall, startSession, waitUntilBound } from '../helpers/session.ts';
import { startTcpProxy } from '../helpers/tcpProxy.ts';
import { withWorker } from '../helpers/temporal.ts';

// Recordings archived into a real S3-compatible server (s3proxy on loopback) through the AWS SDK.

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const PREFIX = 'calls/2026';

let s3: S3proxyServer;
let admin: S3Client;
let source: Server;
let sourceUrl: string;
const recordings = new Map<string, Buffer>();
const fetches = new Map<string, number>();
/** Recordings served without a Content-Length, so only metering can find them too large. */
const unannounced = new Set<string>();

beforeAll(async () => {
  s3 = await startS3proxy();
  admin = new S3Client(s3.clientConfig);
  // The platform's recording host: serves each recording, counting downloads.
  source = createServer((request, response) => {
    const name = (request.url ?? '/').slice(1);
    fetches.set(name, (fetches.get(name) ?? 0) + 1);
    const body = recordings.get(name);
    if (!body) return void response.writeHead(404).end();
    if (unannounced.has(name)) return void response.writeHead(200, { 'content-type': 'audio/wav' }).end(body);
    response.writeHead(200, { 'content-type': 'audio/wav', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
  sourceUrl = `http://127.0.0.1:${(source.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  admin?.destroy();
  if (source) await new Promise((resolve) => source.close(resolve));
  await s3?.close();
});

/** A recording of `bytes` random bytes served by the source; answers its call id and URL. */
function recording(bytes: number) {
  const callId = `call-${randomUUID()}`;
  recordings.set(`${callId}.wav`, randomBytes(bytes));
  return { callId, recordUrl: `${sourceUrl}/${callId}.wav`, content: recordings.get(`${callId}.wav`) as Buffer };
}

function sink(clientConfig = s3.clientConfig) {
  return new S3Sink({ bucket: s3.bucket, prefix: PREFIX, client: clientConfig });
}

async function objectBytes(key: string): Promise<Buffer> {
  const object = await admin.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  return Buffer.from(await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await admin.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key as string);
}

describe('S3 recording archive', () => {
  it('streams a recording into the bucket with its SHA-256 as object metadata', async () => {
    const { callId, recordUrl, content } = recording(3 * 1024 * 1024 + 17);
    const env = new MockActivityEnvironment();
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (details) => heartbeats.push(details));
    const { archiveRecording } = createArchiveActivities({ sink: sink(), maxBytes: 10 * 1024 * 1024 });
    const archived = await env.run(archiveRecording, { workflowId: 'wf-1', callId, recordUrl });

    const key = `${PREFIX}/wf-1/${callId}.wav`;
    expect(archived).toEqual({ location: `s3://${s3.bucket}/${key}`, sha256: sha256(content), bytes: content.length });
    expect(sha256(await objectBytes(key))).toBe(sha256(content));
    const head = await admin.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    expect(head.Metadata?.sha256).toBe(sha256(content));
    expect(heartbeats.length).toBeGreaterThan(0);
  });

  it('does not fetch or upload again a recording already archived', async () => {
    const { callId, recordUrl, content } = recording(50_000);
    const { archiveRecording } = createArchiveActivities({ sink: sink(), maxBytes: 1024 * 1024 });
    const first = await new MockActivityEnvironment().run(archiveRecording, { workflowId: 'wf-2', callId, recordUrl });
    const second = await new MockActivityEnvironment().run(archiveRecording, { workflowId: 'wf-2', callId, recordUrl });
    expect(second).toEqual(first);
    expect((first as ArchivedRecording).sha256).toBe(sha256(content));
    expect(fetches.get(`${callId}.wav`)).toBe(1);
  });

  it('fails retryably while the server drops the upload midway, leaves no object, then archives once it recovers', async () => {
    const { callId, recordUrl, content } = recording(2 * 1024 * 1024);
    const proxy = await startTcpProxy(Number(new URL(s3.endpoint).port));
    try {
      proxy.cutAfterBytes = 256 * 1024;
      const { archiveRecording } = createArchiveActivities({
        sink: sink({ ...s3.clientConfig, endpoint: proxy.url, maxAttempts: 1 }),
        maxBytes: 10 * 1024 * 1024,
      });
      const failed = await new MockActivityEnvironment()
        .run(archiveRecording, { workflowId: 'wf-3', callId, recordUrl })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failed).toBeInstanceOf(ApplicationFailure);
      expect((failed as ApplicationFailure).nonRetryable).toBe(false);
      expect(proxy.cuts).toBeGreaterThan(0);
      expect(await keysUnder(`${PREFIX}/wf-3/`)).toEqual([]);

      proxy.cutAfterBytes = undefined;
      const archived = await new MockActivityEnvironment().run(archiveRecording, {
        workflowId: 'wf-3',
        callId,
        recordUrl,
      });
      expect((archived as ArchivedRecording).sha256).toBe(sha256(content));
      expect(sha256(await objectBytes(`${PREFIX}/wf-3/${callId}.wav`))).toBe(sha256(content));
    } finally {
      await proxy.close();
    }
  });

  it('refuses a recording over the size limit midway through a multipart upload and leaves nothing behind', async () => {
    // Past the SDK's 5 MiB part size, so the upload is multipart when the limit is hit.
    const { callId, recordUrl } = recording(8 * 1024 * 1024);
    unannounced.add(`${callId}.wav`);
    const { archiveRecording } = createArchiveActivities({ sink: sink(), maxBytes: 6 * 1024 * 1024 });
    const failed = await new MockActivityEnvironment()
      .run(archiveRecording, { workflowId: 'wf-5', callId, recordUrl })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failed).toMatchObject({ type: 'RecordingTooLarge', nonRetryable: true });
    expect(await keysUnder(`${PREFIX}/wf-5/`)).toEqual([]);
    const pending = await admin.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: `${PREFIX}/wf-5/` }));
    expect(pending.Uploads ?? []).toEqual([]);
  });

  it('fails for good, with a clear reason and no secret, when the credentials are wrong', async () => {
    const { callId, recordUrl } = recording(1000);
    const wrong = {
      ...s3.clientConfig,
      credentials: { accessKeyId: 'npp-test-access-key', secretAccessKey: 'not-it' },
    };
    const { archiveRecording } = createArchiveActivities({ sink: sink(wrong), maxBytes: 1024 * 1024 });
    const failed = await new MockActivityEnvironment()
      .run(archiveRecording, { workflowId: 'wf-4', callId, recordUrl })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failed).toBeInstanceOf(ApplicationFailure);
    expect(failed).toMatchObject({ type: 'ArchiveStorageRefused', nonRetryable: true });
    expect((failed as Error).message).toContain(s3.bucket);
    expect((failed as Error).message).not.toContain('not-it');
    expect(fetches.get(`${callId}.wav`)).toBeUndefined();
  });

  test('archives a session call’s recording into the bucket through the worker', async ({ npp }) => {
    const activities = createActivities({ client: npp.client, archive: { sink: sink(), maxBytes: 1024 * 1024 } });
    await withWorker({ activities }, async ({ client, taskQueue }) => {
      const src = phone();
      const handle = await startSession(client, taskQueue, { src, record: true });
      await waitUntilBound(handle);
      const call = await recordedSessionCall(npp.sim, handle, src, 7);
      await expect
        .poll(() => handle.query(sessionStateQuery).then((s) => s.calls[0]?.archive), { timeout: 15_000 })
        .toBeTruthy();
      await handle.executeUpdate(closeSessionUpdate);
      const result = await handle.result();

      const expected = Buffer.from(await (await fetch(call.recordUrl)).arrayBuffer());
      const key = `${PREFIX}/${encodeURIComponent(handle.workflowId)}/${call.callId}.wav`;
      expect(result.calls[0]?.archive).toEqual({
        location: `s3://${s3.bucket}/${key}`,
        sha256: sha256(expected),
        bytes: expected.length,
      });
      expect(sha256(await objectBytes(key))).toBe(sha256(expected));
    });
  });
});
