import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackToken } from '../../src/npp/callbacks/urls.ts';
import { createWebhookServer } from '../../src/webhooks/server.ts';
import { receivedSignalsQuery, type signalRecorder, stopRecorderSignal } from '../fixtures/webhookWorkflows.ts';
import { withWorker } from '../helpers/temporal.ts';
import {
  PREVIOUS_SECRET,
  post,
  SECRET,
  SHARED_TOKEN,
  sessionUrl,
  startRecorder,
  startTestWebhook,
  type TestWebhook,
} from './helpers.ts';
import { CALLEE, CALLER, hangupBody, keypressBody, recordBody, statusBody, upperCamel, VIRTUAL } from './payloads.ts';

type Recorder = WorkflowHandle<typeof signalRecorder>;

// One worker and one webhook server for the file; each test uses workflows of its own.
let release: () => void;
let context: Promise<void>;
let client: Client;
let taskQueue: string;
let webhook: TestWebhook;

beforeAll(async () => {
  await new Promise<void>((ready) => {
    context = withWorker({}, async (worker) => {
      client = worker.client;
      taskQueue = worker.taskQueue;
      webhook = await startTestWebhook(client, { secrets: { current: SECRET, previous: PREVIOUS_SECRET } });
      ready();
      await new Promise<void>((done) => {
        release = done;
      });
      await webhook.close();
    });
  });
});

afterAll(async () => {
  release();
  await context;
});

const received = (handle: Recorder) => handle.query(receivedSignalsQuery);

/** Sends a valid sentinel event and waits for it: every earlier signal has been applied by then. */
async function settle(handle: Recorder) {
  const sentinel = await post(sessionUrl(webhook, 'keypress', handle.workflowId), keypressBody('sentinel'));
  expect(sentinel.status).toBe(200);
  await expect.poll(async () => (await received(handle)).some((s) => s.signal === 'keyPress')).toBe(true);
  return received(handle);
}

describe('callback routes: bad requests', () => {
  it('answers each with its status code and signals nothing', async () => {
    const handle = await startRecorder(client, taskQueue);
    const other = await startRecorder(client, taskQueue);
    const id = handle.workflowId;
    const url = (kind: string) => sessionUrl(webhook, kind, id);
    const path = (kind: string) => `${webhook.base}/npp/callbacks/${kind}/${encodeURIComponent(id)}`;
    const status = statusBody('c-bad');
    const cases: { name: string; url: string; body?: unknown; contentType?: string; method?: string; want: number }[] =
      [
        { name: 'forged token', url: `${path('status')}?token=${'A'.repeat(43)}`, body: status, want: 401 },
        {
          name: "another session's token",
          url: `${path('status')}?token=${callbackToken(SECRET, other.workflowId)}`,
          body: status,
          want: 401,
        },
        { name: 'token missing', url: path('status'), body: status, want: 401 },
        { name: 'token empty', url: `${path('status')}?token=`, body: status, want: 401 },
        { name: 'token repeated', url: `${url('status')}&token=x`, body: status, want: 401 },
        {
          name: 'token of an unknown secret',
          url: sessionUrl(webhook, 'status', id, 'some-other-secret-value'),
          body: status,
          want: 401,
        },
        {
          name: 'shared token on a session URL',
          url: `${path('status')}?token=${SHARED_TOKEN}`,
          body: status,
          want: 401,
        },
        {
          name: 'session token on the console-default URL',
          url: `${webhook.base}/npp/callbacks/status?token=${callbackToken(SECRET, id)}`,
          body: status,
          want: 401,
        },
        { name: 'malformed JSON', url: url('status'), body: '{"callId": "c1",', want: 400 },
        { name: 'empty JSON body', url: url('status'), body: '', want: 400 },
        { name: 'JSON array', url: url('status'), body: [status], want: 400 },
        { name: 'number instead of string', url: url('status'), body: { ...status, timestamp: 1700000100 }, want: 400 },
        { name: 'timestamp not digits', url: url('status'), body: { ...status, timestamp: '17e8' }, want: 400 },
        { name: 'callId missing', url: url('status'), body: { ...status, callId: undefined }, want: 400 },
        { name: 'callId empty', url: url('status'), body: { ...status, callId: '' }, want: 400 },
        { name: 'callId with quotes', url: url('status'), body: { ...status, callId: "c' OR 1=1" }, want: 400 },
        { name: 'callStatus missing', url: url('status'), body: { ...status, callStatus: undefined }, want: 400 },
        { name: 'unknown callStatus bit', url: url('status'), body: { ...status, callStatus: '3' }, want: 400 },
        { name: 'callee not a number', url: url('status'), body: { ...status, dst: 'bob' }, want: 400 },
        {
          name: 'hangup that is neither a VirturalNumCdr nor a CallBackCdr',
          url: url('hangup'),
          body: { callId: 'c1', callEndStatus: '1' },
          want: 400,
        },
        {
          name: 'hangup without srcDuration',
          url: url('hangup'),
          body: { ...hangupBody('c1'), srcDuration: '' },
          want: 400,
        },
        {
          name: 'hangup time not digits',
          url: url('hangup'),
          body: { ...hangupBody('c1'), endCallTime: '2024-01-01' },
          want: 400,
        },
        {
          name: 'recordUrl not http(s)',
          url: url('record'),
          body: { ...recordBody('c1'), recordUrl: 'javascript:alert(1)' },
          want: 400,
        },
        { name: 'recordUrl missing', url: url('record'), body: { callId: 'c1' }, want: 400 },
        { name: 'key out of range', url: url('keypress'), body: { ...keypressBody('c1'), key: 'E' }, want: 400 },
        { name: 'two keys', url: url('keypress'), body: { ...keypressBody('c1'), key: '12' }, want: 400 },
        { name: 'spellings disagree', url: url('status'), body: { ...status, CallId: 'c2' }, want: 400 },
        {
          name: 'repeated form field',
          url: url('status'),
          body: 'callId=c1&callId=c2&callStatus=1024&timestamp=1',
          contentType: 'application/x-www-form-urlencoded',
          want: 400,
        },
        { name: 'oversized body', url: url('status'), body: { ...status, padding: 'x'.repeat(70_000) }, want: 413 },
        {
          name: 'wrong content type',
          url: url('status'),
          body: JSON.stringify(status),
          contentType: 'text/plain',
          want: 415,
        },
        {
          name: 'xml content type',
          url: url('status'),
          body: '<callId>c1</callId>',
          contentType: 'application/xml',
          want: 415,
        },
        { name: 'GET on a callback route', url: url('status'), method: 'GET', want: 405 },
        { name: 'PUT on a callback route', url: url('status'), body: status, method: 'PUT', want: 405 },
        { name: 'unknown kind', url: url('billing'), body: status, want: 404 },
        {
          name: 'unknown kind, console default',
          url: `${webhook.base}/npp/callbacks/billing?token=${SHARED_TOKEN}`,
          body: status,
          want: 404,
        },
      ];
    expect(cases.length).toBeGreaterThanOrEqual(20);
    for (const bad of cases) {
      const answer = await post(bad.url, bad.body, {
        ...(bad.contentType ? { contentType: bad.contentType } : {}),
        ...(bad.method ? { method: bad.method } : {}),
      });
      expect({ name: bad.name, status: answer.status }).toEqual({ name: bad.name, status: bad.want });
      if (bad.want === 400) expect(answer.body).toMatchObject({ error: 'invalid_payload', reason: expect.any(String) });
      if (bad.want === 405) expect(answer.headers.get('allow')).toBe('POST');
    }
    const signals = await settle(handle);
    expect(signals.map((s) => s.signal)).toEqual(['keyPress']);
    expect(await received(other)).toEqual([]);
    await Promise.all([handle.signal(stopRecorderSignal), other.signal(stopRecorderSignal)]);
  });
});

describe('callback routes: valid events', () => {
  it('delivers each kind as its typed event', async () => {
    const handle = await startRecorder(client, taskQueue);
    for (const [kind, body] of [
      ['status', statusBody('c1')],
      ['hangup', hangupBody('c1')],
      ['record', recordBody('c1')],
      ['keypress', keypressBody('c1')],
    ] as const) {
      const answer = await post(sessionUrl(webhook, kind, handle.workflowId), body);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ status: 'accepted', eventId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    }
    await expect.poll(async () => (await received(handle)).length).toBe(4);
    expect(await received(handle)).toEqual([
      {
        signal: 'callStatus',
        event: {
          eventId: expect.any(String),
          callId: 'c1',
          bindId: 'bind-1',
          callStatus: 1024,
          timestamp: 1700000100,
          caller: CALLER,
          callee: CALLEE,
        },
      },
      {
        signal: 'callHangup',
        event: {
          eventId: expect.any(String),
          callId: 'c1',
          bindId: 'bind-1',
          caller: CALLER,
          callee: CALLEE,
          virtualNum: VIRTUAL,
          callCenterAcceptTime: 1700000000,
          startDstCallTime: 1700000001,
          startDstRingTime: 1700000002,
          dstAcceptTime: 1700000010,
          endCallTime: 1700000070,
          callEndStatus: 1,
          srcDuration: 70,
          dstDuration: 60,
        },
      },
      {
        signal: 'callRecording',
        event: { eventId: expect.any(String), callId: 'c1', bindId: 'bind-1', recordUrl: recordBody('c1').recordUrl },
      },
      { signal: 'keyPress', event: { eventId: expect.any(String), callId: 'c1', key: '#', timestamp: 1700000005 } },
    ]);
    await handle.signal(stopRecorderSignal);
  });

  it('accepts both spellings, form encoding and the previous secret, with one event id for one event', async () => {
    const handle = await startRecorder(client, taskQueue);
    const body = statusBody('c2');
    const url = sessionUrl(webhook, 'status', handle.workflowId);
    const answers = [
      await post(url, body),
      await post(url, upperCamel(body)),
      await post(url, new URLSearchParams(body).toString(), { contentType: 'application/x-www-form-urlencoded' }),
      await post(`${url}`, body, { contentType: 'application/json; charset=utf-8' }),
      await post(sessionUrl(webhook, 'status', handle.workflowId, PREVIOUS_SECRET), body),
    ];
    const eventIds = new Set(answers.map((answer) => answer.body.eventId));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(eventIds.size).toBe(1);
    // Every delivery is a signal; the workflow is the one that drops redeliveries by eventId.
    await expect.poll(async () => (await received(handle)).length).toBe(5);
    const events = (await received(handle)).map((s) => s.event);
    expect(new Set(events.map((event) => JSON.stringify(event))).size).toBe(1);
    await handle.signal(stopRecorderSignal);
  });

  it('answers 200 ignored for a closed workflow no running session shares', async () => {
    const bindId = unique('bind');
    const handle = await startRecorder(client, taskQueue, { bindId });
    await handle.signal(stopRecorderSignal);
    await handle.result();
    const answer = await post(sessionUrl(webhook, 'status', handle.workflowId), statusBody(unique('call'), bindId));
    expect(answer).toMatchObject({ status: 200, body: { status: 'ignored', reason: 'workflow closed or not found' } });
    const never = await post(sessionUrl(webhook, 'status', 'never-started'), statusBody(unique('call'), bindId));
    expect(never).toMatchObject({ status: 200, body: { status: 'ignored' } });
  });
});

/** An id no other test (or test file) uses: the dev server's visibility is shared. */
const unique = (prefix: string) => `${prefix}-${randomUUID()}`;

/** Waits until visibility lists `count` workflows for `query`. */
async function indexed(query: string, count: number) {
  await expect.poll(async () => (await client.workflow.count(query)).count, { timeout: 10_000 }).toBe(count);
}

const runningWithBinding = (bindId: string) => `NppBindId = '${bindId}' AND ExecutionStatus = 'Running'`;

describe('shared XB bindings', () => {
  it("delivers a closed session's events to a running session sharing its binding", async () => {
    // The platform keeps pushing to the first session's URLs; the others share its binding.
    const bindId = unique('bind');
    const heldCall = unique('call');
    const first = await startRecorder(client, taskQueue, { bindId });
    const oldest = await startRecorder(client, taskQueue, { bindId });
    const holder = await startRecorder(client, taskQueue, { bindId, callIds: [heldCall] });
    await first.signal(stopRecorderSignal);
    await first.result();
    await indexed(runningWithBinding(bindId), 2);
    await indexed(`NppCallId = '${heldCall}'`, 1);

    const firstUrl = (kind: string) => sessionUrl(webhook, kind, first.workflowId);
    const newCall = await post(firstUrl('status'), statusBody(unique('call'), bindId));
    expect(newCall).toMatchObject({ status: 200, body: { status: 'accepted' } });
    // A call one of them has already seen goes to that one, even without a bindId (keypress).
    const known = await post(firstUrl('keypress'), keypressBody(heldCall));
    expect(known).toMatchObject({ status: 200, body: { status: 'accepted' } });

    await expect.poll(async () => (await received(oldest)).map((s) => s.signal)).toEqual(['callStatus']);
    await expect.poll(async () => (await received(holder)).map((s) => s.signal)).toEqual(['keyPress']);
    expect(await first.result()).toEqual([]);
    expect(webhook.logs()).toContain(`"closedWorkflowId":"${first.workflowId}"`);
    await Promise.all([oldest.signal(stopRecorderSignal), holder.signal(stopRecorderSignal)]);
  });
});

describe('console-default callbacks', () => {
  it('finds the workflow by NppBindId, or by NppCallId without a bindId', async () => {
    const bindId = `bind-${Date.now()}`;
    const callId = `call-${Date.now()}`;
    const byBind = await startRecorder(client, taskQueue, { bindId });
    const byCall = await startRecorder(client, taskQueue, { callIds: [callId] });
    const consoleUrl = (kind: string) => `${webhook.base}/npp/callbacks/${kind}?token=${SHARED_TOKEN}`;

    const first = await post(consoleUrl('status'), statusBody('c4', bindId));
    expect(first).toMatchObject({ status: 200, body: { status: 'accepted' } });
    const second = await post(consoleUrl('keypress'), keypressBody(callId));
    expect(second).toMatchObject({ status: 200, body: { status: 'accepted' } });

    await expect.poll(async () => (await received(byBind)).map((s) => s.signal)).toEqual(['callStatus']);
    await expect.poll(async () => (await received(byCall)).map((s) => s.signal)).toEqual(['keyPress']);
    await Promise.all([byBind.signal(stopRecorderSignal), byCall.signal(stopRecorderSignal)]);
  });

  it('picks, among running sessions sharing a binding, the one that has the call, else the oldest', async () => {
    const bindId = unique('bind');
    const heldCall = unique('call');
    const oldest = await startRecorder(client, taskQueue, { bindId });
    const holder = await startRecorder(client, taskQueue, { bindId, callIds: [heldCall] });
    const newest = await startRecorder(client, taskQueue, { bindId });
    await indexed(runningWithBinding(bindId), 3);
    await indexed(`NppCallId = '${heldCall}'`, 1);
    const consoleUrl = `${webhook.base}/npp/callbacks/status?token=${SHARED_TOKEN}`;

    for (const callId of [heldCall, unique('call'), heldCall, unique('call')]) {
      expect(await post(consoleUrl, statusBody(callId, bindId))).toMatchObject({ status: 200 });
    }
    const callsOf = async (handle: Recorder) =>
      (await received(handle)).map((s) => (s.event as { callId: string }).callId === heldCall);
    await expect.poll(() => callsOf(holder)).toEqual([true, true]);
    await expect.poll(() => callsOf(oldest)).toEqual([false, false]);
    expect(await received(newest)).toEqual([]);
    await Promise.all([oldest, holder, newest].map((handle) => handle.signal(stopRecorderSignal)));
  });

  it('routes the later events of a call without visibility: a rate-limited visibility does not turn them into 503', async () => {
    const bindId = unique('bind');
    const callId = unique('call');
    const recorder = await startRecorder(client, taskQueue, { bindId });
    await indexed(runningWithBinding(bindId), 1);
    // The server's per-namespace visibility rate limit, from the second query on: the SDK backs off
    // on RESOURCE_EXHAUSTED past the request's deadline, which the webhook answered 503.
    let lists = 0;
    const workflow = Object.create(client.workflow) as Client['workflow'];
    workflow.list = (options) => {
      lists++;
      if (lists > 1) throw new Error('8 RESOURCE_EXHAUSTED: namespace rate limit exceeded');
      return client.workflow.list(options);
    };
    const limited = Object.create(client, { workflow: { value: workflow } }) as Client;
    const app = createWebhookServer({ client: limited, secrets: { current: SECRET }, sharedToken: SHARED_TOKEN });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const consoleUrl = `${base}/npp/callbacks/status?token=${SHARED_TOKEN}`;
      for (const [index, callStatus] of ['1', '256', '512', '1024', '4096'].entries()) {
        const answer = await post(consoleUrl, {
          ...statusBody(callId, bindId),
          callStatus,
          timestamp: `${1_700_000_100 + index}`,
        });
        expect(answer, `status ${callStatus}`).toMatchObject({ status: 200, body: { status: 'accepted' } });
      }
      expect(lists).toBe(1);
      await expect.poll(async () => (await received(recorder)).length).toBe(5);
    } finally {
      await app.close();
      await recorder.signal(stopRecorderSignal);
    }
  });

  it('answers 503 with Retry-After when no workflow has the ids, after a bounded wait', async () => {
    const quick = createWebhookServer({
      client,
      secrets: { current: SECRET },
      sharedToken: SHARED_TOKEN,
      visibilityRetry: { attempts: 2, delayMs: 50 },
    });
    const base = await quick.listen({ port: 0, host: '127.0.0.1' });
    try {
      const answer = await post(`${base}/npp/callbacks/status?token=${SHARED_TOKEN}`, statusBody('nobody', 'nobind'));
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('5');
    } finally {
      await quick.close();
    }
  });

  it('rejects console-default callbacks when no shared token is configured', async () => {
    const closed = createWebhookServer({ client, secrets: { current: SECRET } });
    try {
      const answer = await closed.inject({
        method: 'POST',
        url: '/npp/callbacks/status?token=',
        payload: statusBody('c5'),
      });
      expect(answer.statusCode).toBe(401);
    } finally {
      await closed.close();
    }
  });
});

describe('operations', () => {
  /**
   * On a server of its own (fresh counters and logs): an accepted status and keypress, a status with
   * a forged token, one with a full phone number where a name belongs, and one for a closed workflow.
   */
  async function ownTraffic() {
    const own = await startTestWebhook(client);
    const handle = await startRecorder(client, taskQueue);
    const closed = await startRecorder(client, taskQueue);
    await closed.signal(stopRecorderSignal);
    await closed.result();
    const url = (kind: string) => sessionUrl(own, kind, handle.workflowId);
    const answers = [
      await post(url('status'), statusBody(unique('call'))),
      await post(url('keypress'), keypressBody(unique('call'))),
      await post(`${url('status').split('?')[0]}?token=${'A'.repeat(43)}`, statusBody('c6')),
      await post(url('status'), { ...statusBody('c6'), dst: `${CALLEE}x` }),
      await post(sessionUrl(own, 'status', closed.workflowId), statusBody(unique('call'), unique('bind'))),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 401, 400, 200]);
    expect(answers[4]?.body.status).toBe('ignored');
    await handle.signal(stopRecorderSignal);
    return own;
  }

  it('serves /healthz, /readyz and /metrics with the counts of the traffic', async () => {
    const own = await ownTraffic();
    try {
      expect((await fetch(`${own.base}/healthz`)).status).toBe(200);
      expect((await fetch(`${own.base}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`${own.base}/metrics`)).text();
      for (const line of [
        'npp_webhook_received_total{kind="status"} 4',
        'npp_webhook_received_total{kind="keypress"} 1',
        'npp_webhook_rejected_total{kind="status",reason="unauthorized"} 1',
        'npp_webhook_rejected_total{kind="status",reason="invalid_payload"} 1',
        'npp_webhook_signaled_total{kind="status"} 1',
        'npp_webhook_signaled_total{kind="keypress"} 1',
        'npp_webhook_ignored_total{kind="status"} 1',
        'npp_webhook_handling_seconds_count{kind="status",status="200"} 2',
        'npp_webhook_handling_seconds_count{kind="status",status="401"} 1',
      ]) {
        expect(metrics.split('\n')).toContain(line);
      }
      expect(metrics).not.toMatch(/npp_webhook_ignored_total\{kind="keypress"\}/);
    } finally {
      await own.close();
    }
  });

  it('logs no phone number, token or secret', async () => {
    const own = await ownTraffic();
    await own.close();
    const logs = own.logs();
    expect(logs).toContain('callback signaled');
    expect(logs).toContain('callback rejected');
    expect(logs).toContain('callback ignored');
    for (const secret of [SECRET, PREVIOUS_SECRET, SHARED_TOKEN, CALLER, CALLEE, VIRTUAL, 'token=']) {
      expect(logs).not.toContain(secret);
    }
    // Long digit runs other than pino's own timestamps would be phone numbers.
    expect(logs.replace(/"time":\d+/g, '')).not.toMatch(/\b\d{11,}\b/);
  });
});
