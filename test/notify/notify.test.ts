// Notifications to the app (notifyUrl): every event of a session reaches a receiver once per id, in
// order, signed, through a worker restart and a receiver that fails for a while; a receiver that
// refuses never holds the session up.
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject } from 'vitest';
import { createActivities } from '../../src/activities/index.ts';
import { DirectorySink } from '../../src/archive/directorySink.ts';
import type { Notification } from '../../src/contract/notifications.ts';
import { closeSessionUpdate } from '../../src/contract/session.ts';
import { createNppWorkers, type NppWorkers } from '../../src/worker.ts';
import { callIdOf, progress, startCallBack } from '../helpers/callback.ts';
import { test } from '../helpers/fixtures.ts';
import { recordHistoryIfAsked } from '../helpers/histories.ts';
import type { NppStack } from '../helpers/session.ts';
import { answeredCallEvents, deliver, phone, startSession, waitUntilBound } from '../helpers/session.ts';
import { connectClient, testDataConverter, withWorker } from '../helpers/temporal.ts';
import { SECRET as WEBHOOK_SECRET } from '../webhooks/helpers.ts';

const SECRET = 'notify-test-secret';

/** A receiver as an app would write it: checks the signature, answers `status()` for each POST. */
async function startReceiver(status: () => number) {
  const received: { notification: Notification; answered: number }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const timestamp = String(req.headers['x-npp-timestamp']);
      const expected = createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex');
      const answered = req.headers['x-npp-signature'] === expected ? status() : 401;
      received.push({ notification: JSON.parse(body) as Notification, answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/npp-events`,
    received,
    /** Taken notifications, each id once, in the order first taken. */
    taken(): Notification[] {
      const seen = new Set<string>();
      return received
        .filter(
          ({ notification, answered }) => answered === 200 && !seen.has(notification.id) && seen.add(notification.id),
        )
        .map(({ notification }) => notification);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'npp-notify-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The production trio of workers (main, archive, notify) on `taskQueue`, signing with SECRET. */
async function startWorkers(npp: NppStack, taskQueue: string): Promise<{ workers: NppWorkers; stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const workers = await createNppWorkers({
    connection,
    namespace: inject('temporalNamespace'),
    taskQueue,
    activities: {
      client: npp.client,
      archive: { sink: new DirectorySink(dir), maxBytes: 1024 * 1024 },
      notify: { secret: SECRET },
    },
    dataConverter: testDataConverter(),
    workflowBundlePath: inject('workflowBundlePath'),
  });
  const running = workers.run();
  return {
    workers,
    async stop() {
      workers.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** A recorded call the simulator made (its recording downloads), signalled as the webhook would. */
async function recordedCall(
  npp: NppStack,
  handle: Parameters<typeof deliver>[0],
  bindId: string,
  virtualNum: string,
  src: string,
) {
  const made = await fetch(`${npp.sim.url}/_sim/calls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ virtualNum, caller: src, durationSeconds: 5 }),
  });
  const { CallId, RecordUrl } = (await made.json()) as { CallId: string; RecordUrl: string };
  const events = answeredCallEvents({
    callId: CallId,
    bindId,
    caller: src,
    callee: phone(),
    start: Math.floor(Date.now() / 1000),
    talkSeconds: 5,
    recordUrl: RecordUrl,
  });
  await deliver(handle, events);
  return CallId;
}

const CALL_EVENTS = ['call-started', 'call-answered', 'call-ended', 'recording-archived'];

describe('notifyUrl', () => {
  test('every event of a two-call recorded session, once each and in order, across a worker restart and a failing receiver', async ({
    npp,
  }) => {
    let failing = false;
    const receiver = await startReceiver(() => (failing ? 500 : 200));
    const taskQueue = `notify-${randomUUID()}`;
    const client = await connectClient();
    let worker = await startWorkers(npp, taskQueue);
    try {
      const src = phone();
      const handle = await startSession(client, taskQueue, {
        src,
        record: true,
        recordingWaitSeconds: 30,
        notifyUrl: receiver.url,
      });
      const { bindId, virtualNum } = await waitUntilBound(handle);
      const first = await recordedCall(npp, handle, bindId, virtualNum, src);
      await expect.poll(() => receiver.taken().length, { timeout: 20_000 }).toBe(5);

      // The worker goes away; while none runs and for a while after, the receiver fails.
      await worker.stop();
      failing = true;
      const second = await recordedCall(npp, handle, bindId, virtualNum, src);
      worker = await startWorkers(npp, taskQueue);
      await expect
        .poll(() => receiver.received.some(({ answered }) => answered === 500), { timeout: 20_000 })
        .toBe(true);
      failing = false;
      // Both calls told, the second one's events after the receiver recovered.
      await expect.poll(() => receiver.taken().length, { timeout: 30_000 }).toBe(9);

      const closed = await handle.executeUpdate(closeSessionUpdate);
      expect(closed.status).toBe('closed');
      const result = await handle.result();
      const taken = receiver.taken();
      expect(taken.map((n) => [n.type, (n.data.call as { callId?: string } | undefined)?.callId])).toEqual([
        ['bound', undefined],
        ...CALL_EVENTS.map((type) => [type, first]),
        ...CALL_EVENTS.map((type) => [type, second]),
        ['closing', undefined],
        ['closed', undefined],
      ]);
      // Ids follow the session's own sequence; the numbers the app reads are masked.
      expect(taken.map((n) => n.id)).toEqual(taken.map((_, i) => `${handle.workflowId}:${i + 1}`));
      expect(taken.every((n) => n.sessionKey === closed.sessionKey)).toBe(true);
      expect(JSON.stringify(receiver.received)).not.toContain(src);
      expect(taken.at(-1)?.data).toMatchObject({ status: 'closed', closedReason: 'closed-by-app', bindId });
      expect(result.notifications).toEqual({ delivered: 11, failed: 0 });
      recordHistoryIfAsked('maskedCallSession-notify', await handle.fetchHistory());
    } finally {
      await worker.stop();
      await client.connection.close();
      await receiver.close();
    }
  }, 90_000);

  test('a receiver that refuses is counted, and the session goes on and closes', async ({ npp }) => {
    const receiver = await startReceiver(() => 400);
    const taskQueue = `notify-${randomUUID()}`;
    const client = await connectClient();
    const worker = await startWorkers(npp, taskQueue);
    try {
      const handle = await startSession(client, taskQueue, { src: phone(), notifyUrl: receiver.url });
      await waitUntilBound(handle);
      await handle.executeUpdate(closeSessionUpdate);
      const result = await handle.result();
      expect(result).toMatchObject({
        status: 'closed',
        notifications: { delivered: 0, failed: 3, lastFailure: { code: 'NotificationRefused' } },
      });
      // Refused at once, not retried: one POST per notification.
      expect(receiver.received.map(({ notification }) => notification.type)).toEqual(['bound', 'closing', 'closed']);
    } finally {
      await worker.stop();
      await client.connection.close();
      await receiver.close();
    }
  });

  test("a callback call's statuses and archived recording, each once and in order", async ({ npp, webhook }) => {
    const receiver = await startReceiver(() => 200);
    const activities = createActivities({
      client: npp.client,
      callbacks: { publicUrl: webhook.base, secret: WEBHOOK_SECRET },
      archive: { sink: new DirectorySink(dir), maxBytes: 1024 * 1024 },
      notify: { secret: SECRET },
    });
    try {
      await withWorker({ activities }, async ({ client, taskQueue }) => {
        const handle = await startCallBack(client, taskQueue, { record: true, notifyUrl: receiver.url });
        const callId = await callIdOf(handle);
        await progress(npp.sim, callId, { until: 'ended', durationSeconds: 6 });
        const result = await handle.result();
        expect(result).toMatchObject({ status: 'ended', notifications: { delivered: 7, failed: 0 } });
        const taken = receiver.taken();
        expect(taken.map((n) => n.type)).toEqual([
          'created',
          'caller-ringing',
          'caller-answered',
          'callee-ringing',
          'connected',
          'ended',
          'recording-archived',
        ]);
        expect(taken.every((n) => n.callKey === result.callKey && n.sessionKey === undefined)).toBe(true);
        expect(taken.at(-2)?.data).toMatchObject({ status: 'ended', callId, cdr: { duration: 6 } });
        recordHistoryIfAsked('callBackCall-notify', await handle.fetchHistory());
      });
    } finally {
      await receiver.close();
    }
  });
});
