import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActivityFailure, ApplicationFailure, type Client, WorkflowFailedError } from '@temporalio/client';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { createArchiveActivities } from '../../src/activities/archiveActivities.ts';
import { createActivities } from '../../src/activities/index.ts';
import { DirectorySink } from '../../src/archive/directorySink.ts';
import { closeSessionUpdate, sessionStateQuery } from '../../src/contract/session.ts';
import { parseCallback, signalParsed } from '../../src/npp/callbacks/events.ts';
import type { Simulator } from '../../src/simulator/server.ts';
import { archiveRecordingOnce, archiveRecordingWithHeartbeatTimeout } from '../fixtures/archiveWorkflows.ts';
import { callIdOf, progress, startCallBack } from '../helpers/callback.ts';
import { callBackTest as test } from '../helpers/fixtures.ts';
import {
  addFault,
  type NppStack,
  phone,
  recordedSessionCall,
  startSession,
  waitUntilBound,
} from '../helpers/session.ts';
import { withWorker } from '../helpers/temporal.ts';

// Recording archive on the dev server: the simulator serves the recordings over HTTP, the
// activity streams them into a directory, Temporal retries what may succeed later.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'npp-archive-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function simFile(recordUrl: string): Promise<Buffer> {
  const response = await fetch(recordUrl);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

async function faultRules(sim: Simulator): Promise<unknown[]> {
  return (await (await fetch(`${sim.url}/_sim/faults`)).json()) as unknown[];
}

/** A recorded, answered call on a fresh binding; answers its CallId and recording URL. */
async function recordedCall(npp: NppStack): Promise<{ callId: string; recordUrl: string }> {
  const src = phone();
  const bound = await npp.client.call('GetVirtualNum', { Src: src, Dst: phone(), Record: '1' });
  const response = await fetch(`${npp.sim.url}/_sim/calls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ virtualNum: bound.VirtualNum, caller: src, durationSeconds: 5 }),
  });
  const call = (await response.json()) as { CallId: string; RecordUrl: string };
  await npp.client.call('DelVirtualNum', { BindId: bound.BindId as string });
  expect(call.RecordUrl).not.toBe('');
  return { callId: call.CallId, recordUrl: call.RecordUrl };
}

function archiveActivities(maxBytes = 1024 * 1024, allowedHosts?: string[]) {
  return createArchiveActivities({ sink: new DirectorySink(dir), maxBytes, ...(allowedHosts ? { allowedHosts } : {}) });
}

/** A server on loopback answering every request with a redirect to `target(path)`. */
async function redirector(target: (path: string) => string) {
  const server = createServer((request, response) => {
    response.writeHead(302, { location: target(request.url ?? '/') }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Runs archiveRecording through the server; answers the outcome and the attempt that ended it. */
async function archiveThroughTemporal(client: Client, taskQueue: string, callId: string, recordUrl: string) {
  const workflowId = `archive-${randomUUID()}`;
  const handle = await client.workflow.start(archiveRecordingOnce, {
    args: [{ workflowId, callId, recordUrl }],
    taskQueue,
    workflowId,
  });
  const outcome = await handle.result().then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error }),
  );
  const history = await handle.fetchHistory();
  const attempts = (history.events ?? []).flatMap((e) => e.activityTaskStartedEventAttributes?.attempt ?? []);
  return { ...outcome, workflowId, attempt: Math.max(...attempts) };
}

function failureType(error: unknown): string | undefined {
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const activity = (error as WorkflowFailedError).cause;
  expect(activity).toBeInstanceOf(ActivityFailure);
  const cause = (activity as ActivityFailure).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return (cause as ApplicationFailure).type ?? undefined;
}

describe('recording archive', () => {
  test('archives the recording of a session call as soon as its URL arrives, with the file’s checksum', async ({
    npp,
  }) => {
    const activities = createActivities({
      client: npp.client,
      archive: { sink: new DirectorySink(dir), maxBytes: 1024 * 1024 },
    });
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

      const expected = await simFile(call.recordUrl);
      const archive = result.calls[0]?.archive;
      expect(archive).toEqual({
        location: join(dir, handle.workflowId, `${call.callId}.wav`),
        sha256: sha256(expected),
        bytes: expected.length,
      });
      expect(sha256(readFileSync(archive?.location as string))).toBe(sha256(expected));
      expect(result.calls[0]?.archiveFailure).toBeUndefined();
    });
  });

  test('archives the recording of a callback call once its CDR brought the URL', async ({ npp, activities }) => {
    await withWorker({ activities: { ...activities, ...archiveActivities() } }, async ({ client, taskQueue }) => {
      const handle = await startCallBack(client, taskQueue, { record: true });
      const callId = await callIdOf(handle);
      await progress(npp.sim, callId, { until: 'ended', durationSeconds: 11 });
      const result = await handle.result();
      const expected = await simFile(`${npp.sim.url}/_sim/recordings/${callId}.wav`);
      expect(result.archive).toEqual({
        location: join(dir, handle.workflowId, `${callId}.wav`),
        sha256: sha256(expected),
        bytes: expected.length,
      });
      expect(sha256(readFileSync(result.archive?.location as string))).toBe(sha256(expected));
    });
  });

  test('leaves the session’s calls without an archive when archiving is off', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const handle = await startSession(client, taskQueue, { src: phone(), record: true });
    await waitUntilBound(handle);
    const { callId, recordUrl } = await recordedCall(npp);
    const parsed = parseCallback('record', { callId, recordUrl });
    await signalParsed(handle, parsed);
    await handle.executeUpdate(closeSessionUpdate);
    const result = await handle.result();
    expect(result.calls[0]).toMatchObject({ callId, recordUrl });
    expect(result.calls[0]?.archive).toBeUndefined();
    expect(result.calls[0]?.archiveFailure).toBeUndefined();
  });

  test('refuses a recording over the size limit, for good, and leaves no file behind', async ({ npp }) => {
    await withWorker({ activities: archiveActivities(1000) }, async ({ client, taskQueue }) => {
      const { callId, recordUrl } = await recordedCall(npp);
      const outcome = await archiveThroughTemporal(client, taskQueue, callId, recordUrl);
      expect(failureType(outcome.error)).toBe('RecordingTooLarge');
      expect(outcome.attempt).toBe(1);
      const folder = join(dir, outcome.workflowId);
      const left = statSync(folder, { throwIfNoEntry: false }) ? readdirSync(folder) : [];
      expect(left).toEqual([]);
    });
  });

  test('stops a download without a declared size once it passes the limit, leaving no partial file', async () => {
    // A source that streams chunks without Content-Length: only counting while streaming can stop it.
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'audio/wav' });
      const chunk = Buffer.alloc(4096, 1);
      for (let i = 0; i < 8; i++) response.write(chunk);
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await withWorker({ activities: archiveActivities(10_000) }, async ({ client, taskQueue }) => {
        const outcome = await archiveThroughTemporal(
          client,
          taskQueue,
          'chunked1',
          `http://127.0.0.1:${port}/chunked1.wav`,
        );
        expect(failureType(outcome.error)).toBe('RecordingTooLarge');
        expect(outcome.attempt).toBe(1);
        expect(readdirSync(join(dir, outcome.workflowId))).toEqual([]);
      });
    } finally {
      server.close();
    }
  });

  test('treats a missing recording (404) as unavailable without retrying', async ({ npp }) => {
    await withWorker({ activities: archiveActivities() }, async ({ client, taskQueue }) => {
      const callId = `missing${randomUUID().replaceAll('-', '')}`;
      const outcome = await archiveThroughTemporal(
        client,
        taskQueue,
        callId,
        `${npp.sim.url}/_sim/recordings/${callId}.wav`,
      );
      expect(failureType(outcome.error)).toBe('RecordingUnavailable');
      expect(outcome.attempt).toBe(1);
    });
  });

  test('fetches only from the allowed recording hosts, redirects included', async ({ npp }) => {
    const { callId, recordUrl } = await recordedCall(npp);
    const simPath = new URL(recordUrl).pathname;
    // `localhost` reaches the same simulator, but is not on the list.
    const toLocalhost = await redirector(() => `http://localhost:${new URL(npp.sim.url).port}${simPath}`);
    const toSimulator = await redirector(() => recordUrl);
    try {
      await withWorker({ activities: archiveActivities(1024 * 1024, ['127.0.0.1']) }, async ({ client, taskQueue }) => {
        const refused = await archiveThroughTemporal(
          client,
          taskQueue,
          callId,
          `http://localhost:${toLocalhost.port}/x.wav`,
        );
        expect(failureType(refused.error)).toBe('InvalidRecordingUrl');
        expect(refused.attempt).toBe(1);
        const redirected = await archiveThroughTemporal(
          client,
          taskQueue,
          callId,
          `http://127.0.0.1:${toLocalhost.port}/x.wav`,
        );
        expect(failureType(redirected.error)).toBe('InvalidRecordingUrl');
        const followed = await archiveThroughTemporal(
          client,
          taskQueue,
          callId,
          `http://127.0.0.1:${toSimulator.port}/x.wav`,
        );
        expect(followed.value?.sha256).toBe(sha256(await simFile(recordUrl)));
      });
    } finally {
      await toLocalhost.close();
      await toSimulator.close();
    }
  });

  test('retries server errors and dropped connections, then archives the whole file', async ({ npp }) => {
    await withWorker({ activities: archiveActivities() }, async ({ client, taskQueue }) => {
      const { callId, recordUrl } = await recordedCall(npp);
      await addFault(npp.sim, { action: 'Recording', kind: '5xx', count: 2 });
      await addFault(npp.sim, { action: 'Recording', kind: 'drop-connection', count: 1 });
      const outcome = await archiveThroughTemporal(client, taskQueue, callId, recordUrl);
      expect(outcome.error).toBeUndefined();
      expect(outcome.attempt).toBe(4);
      const expected = await simFile(recordUrl);
      expect(outcome.value).toMatchObject({ sha256: sha256(expected), bytes: expected.length });
      expect(sha256(readFileSync(outcome.value?.location as string))).toBe(sha256(expected));
    });
  });

  test('gives up a stalled download when its heartbeat stops, and archives the file on the next attempt', async ({
    npp,
  }) => {
    await withWorker({ activities: archiveActivities() }, async ({ client, taskQueue }) => {
      const { callId, recordUrl } = await recordedCall(npp);
      // The recording store answers the first download only after 8 s; no byte means no heartbeat.
      await addFault(npp.sim, { action: 'Recording', kind: 'latency', latencyMs: 8000, count: 1 });
      const workflowId = `archive-${randomUUID()}`;
      const startedAt = Date.now();
      const handle = await client.workflow.start(archiveRecordingWithHeartbeatTimeout, {
        args: [{ workflowId, callId, recordUrl }, '2s'],
        taskQueue,
        workflowId,
      });
      const archived = await handle.result();
      // Well before the stalled answer could have arrived: the second attempt did the work.
      expect(Date.now() - startedAt).toBeLessThan(8000);
      const events = (await handle.fetchHistory()).events ?? [];
      const started = events.flatMap((e) => e.activityTaskStartedEventAttributes ?? []);
      expect(started.map((s) => s.attempt)).toEqual([2]);
      expect(started[0]?.lastFailure?.timeoutFailureInfo?.timeoutType).toBe(
        proto.temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
      );
      expect(events.some((e) => e.activityTaskCompletedEventAttributes)).toBe(true);
      const expected = await simFile(recordUrl);
      expect(archived).toMatchObject({ sha256: sha256(expected), bytes: expected.length });
      expect(sha256(readFileSync(archived?.location as string))).toBe(sha256(expected));
    });
  });

  test('answers the existing archive when the same call is archived again, without downloading it', async ({ npp }) => {
    await withWorker({ activities: archiveActivities() }, async ({ client, taskQueue }) => {
      const { callId, recordUrl } = await recordedCall(npp);
      const workflowId = `archive-${randomUUID()}`;
      const request = { workflowId, callId, recordUrl };
      const first = await client.workflow.execute(archiveRecordingOnce, {
        args: [request],
        taskQueue,
        workflowId: `${workflowId}-1`,
      });
      const written = statSync(first?.location as string).mtimeMs;
      // A download now would fail; the archived copy must be answered without one.
      await addFault(npp.sim, { action: 'Recording', kind: '5xx', count: 1 });
      const second = await client.workflow.execute(archiveRecordingOnce, {
        args: [request],
        taskQueue,
        workflowId: `${workflowId}-2`,
      });
      expect(second).toEqual(first);
      expect(statSync(first?.location as string).mtimeMs).toBe(written);
      expect(await faultRules(npp.sim)).toHaveLength(1);
      await fetch(`${npp.sim.url}/_sim/faults`, { method: 'DELETE' });
    });
  });
});
