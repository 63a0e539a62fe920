// The app's client starts sessions as a human sees them in Temporal UI (masked) and idempotently,
// and closes them, waiting if asked until the number is released.
import { randomUUID } from 'node:crypto';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { SessionNotBoundError, waitUntilBound as waitForBinding } from '../../src/client/bindWait.ts';
import { SessionCloseTimeoutError, waitUntilClosed } from '../../src/client/closeWait.ts';
import { SessionClient } from '../../src/client/sessions.ts';
import { NppBindId, NppSessionStatus, NppVirtualNum } from '../../src/contract/searchAttributes.ts';
import {
  callRecordingSignal,
  closeSessionUpdate,
  type SessionState,
  type SessionStatus,
  sessionWorkflowId,
} from '../../src/contract/session.ts';
import { test } from '../helpers/fixtures.ts';
import { answeredCallEvents, deliver, phone, simBindings, startNppStack, waitUntilBound } from '../helpers/session.ts';
import { withWorker } from '../helpers/temporal.ts';

describe('SessionClient.startSession', () => {
  test('shows a masked summary and returns the same run for the same key, running or finished', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const sessions = new SessionClient({ client, taskQueue });
    const [src, dst] = [phone(), phone()];
    const input = { sessionKey: `app-${randomUUID()}`, mode: 'AXB' as const, src, dst, drainSeconds: 0 };
    const started = await sessions.startSession(input);
    const handle = client.workflow.getHandle(started.workflowId);
    await waitUntilBound(handle);

    const summary = await (await handle.describe()).staticSummary();
    expect(summary).toBe(`AXB session to ${dst.slice(0, 7)}****${dst.slice(-4)}`);
    expect(summary).toMatch(/ 0086\d{3}\*{4}\d{4}$/);
    for (const number of [src, dst]) expect(summary).not.toContain(number);

    // A retried start while the session runs: the same run, and no second binding.
    expect(await sessions.startSession(input)).toEqual(started);
    expect(await simBindings(npp.sim)).toHaveLength(1);

    await handle.executeUpdate(closeSessionUpdate);
    await handle.result();
    // After it completed, the key still names that run: nothing starts, nothing binds.
    expect(await sessions.startSession(input)).toEqual(started);
    expect((await handle.describe()).runId).toBe(started.runId);
  });
});

describe('SessionClient input checks', () => {
  test('refuses invalid input before starting anything, naming the field', async ({
    worker: { client, taskQueue },
  }) => {
    const sessions = new SessionClient({ client, taskQueue });
    const sessionKey = `app-${randomUUID()}`;
    await expect(sessions.startSession({ sessionKey, mode: 'AXB', dst: phone() })).rejects.toMatchObject({
      type: 'InvalidSessionInput',
      message: expect.stringMatching(/^src is required in AXB mode/),
    });
    await expect(client.workflow.getHandle(sessionWorkflowId(sessionKey)).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  });
});

describe('SessionClient.addReference / releaseReference', () => {
  test('an XB session takes a second reference on its number and ends refnum-zero when it gives both back', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const sessions = new SessionClient({ client, taskQueue });
    const sessionKey = `app-${randomUUID()}`;
    await sessions.startSession({ sessionKey, mode: 'XB', dst: phone(), drainSeconds: 0, recordingWaitSeconds: 0 });
    await waitUntilBound(client.workflow.getHandle(sessionWorkflowId(sessionKey)));

    expect(await sessions.addReference(sessionKey)).toEqual({ heldReferences: 2, platformRefNum: 2 });
    expect(await simBindings(npp.sim)).toMatchObject([{ RefNum: 2 }]);
    expect(await sessions.releaseReference(sessionKey)).toMatchObject({ heldReferences: 1, platformRefNum: 1 });
    expect((await sessions.getSession(sessionKey)).status).not.toBe('closed');
    expect(await sessions.releaseReference(sessionKey)).toMatchObject({ heldReferences: 0 });
    const result = await client.workflow.getHandle(sessionWorkflowId(sessionKey)).result();
    expect(result).toMatchObject({ status: 'closed', closedReason: 'refnum-zero' });
    expect(await simBindings(npp.sim)).toEqual([]);
  });

  test('refuses a second reference in AXB with a readable reason', async ({ worker: { client, taskQueue } }) => {
    const sessions = new SessionClient({ client, taskQueue });
    const sessionKey = `app-${randomUUID()}`;
    await sessions.startSession({ sessionKey, mode: 'AXB', src: phone(), dst: phone(), drainSeconds: 0 });
    await waitUntilBound(client.workflow.getHandle(sessionWorkflowId(sessionKey)));
    await expect(sessions.addReference(sessionKey)).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/^only an XB session can take further references/) },
    });
    await sessions.closeSession(sessionKey, { wait: true });
  });
});

describe('SessionClient.waitUntilBound', () => {
  test('answers the binding the session holds, once bound', async ({ npp, worker: { client, taskQueue } }) => {
    const sessions = new SessionClient({ client, taskQueue });
    const sessionKey = `app-${randomUUID()}`;
    await sessions.startSession({ sessionKey, mode: 'AXB', src: phone(), dst: phone(), drainSeconds: 0 });
    const binding = await sessions.waitUntilBound(sessionKey);
    const state = await sessions.getSession(sessionKey);
    expect(binding).toEqual({ bindId: state.bindId, virtualNum: state.virtualNum });
    expect((await simBindings(npp.sim)).map((b) => b.BindId)).toContain(binding.bindId);
    await sessions.closeSession(sessionKey, { wait: true });
  });

  test('throws SessionNotBoundError, with the status, when the bind failed', async () => {
    const small = await startNppStack({ pool: 1 });
    try {
      await withWorker({ activities: small.activities }, async ({ client, taskQueue }) => {
        const sessions = new SessionClient({ client, taskQueue });
        // One number serves each party once: a second pair with the same A finds none.
        const shared = phone();
        const [holder, starved] = [`app-${randomUUID()}`, `app-${randomUUID()}`];
        const start = (sessionKey: string) =>
          sessions.startSession({ sessionKey, mode: 'AXB', src: shared, dst: phone(), drainSeconds: 0 });
        // One after the other: the first takes the number before the second asks.
        await start(holder);
        await sessions.waitUntilBound(holder);
        await start(starved);
        const refused = sessions.waitUntilBound(starved);
        await expect(refused).rejects.toBeInstanceOf(SessionNotBoundError);
        await expect(refused).rejects.toMatchObject({
          sessionStatus: 'failed',
          message: expect.stringMatching(/ended without a virtual number \(failed\)/),
        });
        await sessions.closeSession(holder, { wait: true });
      });
    } finally {
      await small.close();
    }
  });
});

describe('waitUntilBound (the polling)', () => {
  const described = (status: string, attributes: { bindId?: string; virtualNum?: string; sessionStatus?: string }) => ({
    status: { name: status },
    typedSearchAttributes: {
      get: (key: unknown) =>
        key === NppBindId
          ? attributes.bindId
          : key === NppVirtualNum
            ? attributes.virtualNum
            : key === NppSessionStatus
              ? attributes.sessionStatus
              : undefined,
    },
  });

  it('describes the run until its search attributes carry the binding', async () => {
    const answers = [
      described('RUNNING', { sessionStatus: 'open' }),
      described('RUNNING', { sessionStatus: 'open' }),
      described('RUNNING', { sessionStatus: 'open', bindId: 'b-1', virtualNum: '008617000000001' }),
    ];
    let reads = 0;
    const describe = async () => answers[reads++] as never;
    expect(await waitForBinding('k', describe, 10_000)).toEqual({ bindId: 'b-1', virtualNum: '008617000000001' });
    expect(reads).toBe(3);
  });

  it('stops at a session that failed, closed or ended without a number', async () => {
    for (const [status, sessionStatus] of [
      ['RUNNING', 'failed'],
      ['RUNNING', 'closed'],
      ['FAILED', 'failed'],
      ['TERMINATED', 'open'],
    ] as const) {
      const describe = async () => described(status, { sessionStatus }) as never;
      await expect(waitForBinding('k', describe, 10_000)).rejects.toMatchObject({
        name: 'SessionNotBoundError',
        sessionStatus,
      });
    }
  });

  it('gives up after the timeout while the session is still binding', async () => {
    const started = Date.now();
    const describe = async () => described('RUNNING', { sessionStatus: 'open' }) as never;
    await expect(waitForBinding('k', describe, 400)).rejects.toMatchObject({
      name: 'SessionNotBoundError',
      sessionStatus: 'open',
      message: 'session k has not bound a virtual number after 0 s; it goes on trying',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });
});

describe('SessionClient.closeSession', () => {
  /**
   * A bound, recorded session with one answered call whose recording has not come: closing waits
   * for it (up to recordingWaitSeconds) before unbinding.
   */
  async function sessionAwaitingRecording(client: Client, taskQueue: string) {
    const sessions = new SessionClient({ client, taskQueue });
    const [src, dst] = [phone(), phone()];
    const sessionKey = `app-${randomUUID()}`;
    await sessions.startSession({
      sessionKey,
      mode: 'AXB',
      src,
      dst,
      record: true,
      recordingWaitSeconds: 120,
      drainSeconds: 0,
    });
    const handle = client.workflow.getHandle(sessionWorkflowId(sessionKey));
    const { bindId } = await waitUntilBound(handle);
    const callId = `call-${randomUUID()}`;
    const start = Math.floor(Date.now() / 1000);
    await deliver(handle, answeredCallEvents({ callId, bindId, caller: src, callee: dst, start, talkSeconds: 5 }));
    const recordingArrives = () =>
      handle.signal(callRecordingSignal, {
        eventId: `${callId}-record`,
        callId,
        bindId,
        recordUrl: `https://recordings.example.com/${callId}.mp3`,
      });
    return { sessions, sessionKey, callId, recordingArrives };
  }

  test('answers at once with the closing state, the number still bound while the session waits', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const { sessions, sessionKey, recordingArrives } = await sessionAwaitingRecording(client, taskQueue);
    const closing = await sessions.closeSession(sessionKey);
    expect(closing).toMatchObject({ status: 'closing', closingAt: expect.any(String) });
    expect(closing.closedAt).toBeUndefined();
    expect(await simBindings(npp.sim)).toHaveLength(1);

    await recordingArrives();
    await expect.poll(() => sessions.getSession(sessionKey).then((state) => state.status)).toBe('closed');
  });

  test('with wait, answers the closed state once the recording came and the number is released', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const { sessions, sessionKey, callId, recordingArrives } = await sessionAwaitingRecording(client, taskQueue);
    const closed = sessions.closeSession(sessionKey, { wait: true, timeoutMs: 30_000 });
    await expect.poll(() => sessions.getSession(sessionKey).then((state) => state.status)).toBe('closing');
    expect(await simBindings(npp.sim)).toHaveLength(1);

    await recordingArrives();
    const state = await closed;
    expect(state).toMatchObject({ status: 'closed', closedReason: 'closed-by-app', heldReferences: 0 });
    expect(state.calls).toMatchObject([{ callId, state: 'ended', recordUrl: expect.any(String) }]);
    expect(state.missingRecordings).toBeUndefined();
    expect(await simBindings(npp.sim)).toEqual([]);
  });

  test('with wait and a short timeout, gives up while the session still waits, and the session goes on', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const { sessions, sessionKey, recordingArrives } = await sessionAwaitingRecording(client, taskQueue);
    const started = Date.now();
    await expect(sessions.closeSession(sessionKey, { wait: true, timeoutMs: 1_500 })).rejects.toMatchObject({
      name: 'SessionCloseTimeoutError',
      state: { status: 'closing' },
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await simBindings(npp.sim)).toHaveLength(1);

    await recordingArrives();
    await expect.poll(() => sessions.getSession(sessionKey).then((state) => state.status)).toBe('closed');
    expect(await simBindings(npp.sim)).toEqual([]);
  });
});

describe('waitUntilClosed', () => {
  const state = (status: SessionStatus): SessionState => ({
    sessionKey: 'k',
    mode: 'XB',
    ttlMode: 'fixed',
    status,
    dst: '0086138****0000',
    record: true,
    bizId: 'b',
    heldReferences: status === 'closing' ? 1 : 0,
    calls: [],
    createdAt: '2025-01-01T00:00:00.000Z',
    ...(status === 'closing' ? { closingAt: '2025-01-01T01:00:00.000Z' } : {}),
  });

  const notToBeRead = () => Promise.reject(new Error('not to be read'));

  it("answers the close update's answer, without reading the session", async () => {
    const answer = async () => state('closed');
    expect(await waitUntilClosed(answer, notToBeRead, 10_000)).toMatchObject({ status: 'closed' });
  });

  it('reads the session once when its run ended without answering, and answers a final state', async () => {
    const ended = new Error('workflow execution already completed');
    let reads = 0;
    const read = async () => {
      reads++;
      return state('failed');
    };
    expect(await waitUntilClosed(() => Promise.reject(ended), read, 10_000)).toMatchObject({ status: 'failed' });
    expect(reads).toBe(1);
    // Still closing after all: the update's error is the answer.
    await expect(
      waitUntilClosed(
        () => Promise.reject(ended),
        async () => state('closing'),
        10_000,
      ),
    ).rejects.toBe(ended);
  });

  it('gives up after the timeout, stops waiting for the answer, and names the session and where it stands', async () => {
    const started = Date.now();
    let aborted = false;
    const answer = (signal: AbortSignal) =>
      new Promise<SessionState>((_, reject) =>
        signal.addEventListener('abort', () => {
          aborted = true;
          reject(new Error('cancelled'));
        }),
      );
    const waited = waitUntilClosed(answer, async () => state('closing'), 600);
    await expect(waited).rejects.toBeInstanceOf(SessionCloseTimeoutError);
    await expect(waited).rejects.toMatchObject({
      name: 'SessionCloseTimeoutError',
      state: { status: 'closing' },
      message: expect.stringMatching(
        /^session k is still closing \(closing since 2025-01-01T01:00:00\.000Z\) after waiting 1 s/,
      ),
    });
    expect(aborted).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(590);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
