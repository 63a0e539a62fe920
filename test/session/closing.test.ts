// Closing keeps the platform's contract: calls and recordings are collected before DelVirtualNum, a
// lost hangup CDR is found by the session itself, and an unbind that never succeeds still ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { createActivities } from '../../src/activities/index.ts';
import { DirectorySink } from '../../src/archive/directorySink.ts';
import { NppClosedReason } from '../../src/contract/searchAttributes.ts';
import {
  callStatusSignal,
  closeSessionUpdate,
  type SessionState,
  sessionStateQuery,
} from '../../src/contract/session.ts';
import { callBackTest } from '../helpers/fixtures.ts';
import { addFault, phone, startSession, waitUntilBound } from '../helpers/session.ts';
import { SECRET } from '../webhooks/helpers.ts';

// Callbacks reach the file's webhook, and recordings are archived into a directory of the file's own.
const test = callBackTest.extend('activities', { scope: 'file' }, ({ npp, webhook }, { onCleanup }) => {
  const dir = mkdtempSync(join(tmpdir(), 'npp-closing-test-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return createActivities({
    client: npp.client,
    callbacks: { publicUrl: webhook.base, secret: SECRET },
    archive: { sink: new DirectorySink(dir), maxBytes: 1024 * 1024 },
  });
});

interface LoggedRequest {
  at: number;
  action: string;
  CallId?: string;
}

async function requestLog(simUrl: string): Promise<LoggedRequest[]> {
  return (await fetch(`${simUrl}/_sim/requests`)).json() as Promise<LoggedRequest[]>;
}

/**
 * A person calls the session's virtual number; the simulator plays the call out (talking 5 s) and,
 * with `wait`, answers once every callback of it, a delayed recording's included, was delivered.
 */
async function call(simUrl: string, virtualNum: string, caller: string, wait = true): Promise<string> {
  const response = await fetch(`${simUrl}/_sim/calls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ virtualNum, caller, durationSeconds: 5, wait }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { CallId: string }).CallId;
}

async function setDelivery(simUrl: string, settings: object): Promise<void> {
  const response = await fetch(`${simUrl}/_sim/delivery`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(settings),
  });
  expect(response.status).toBe(200);
}

describe('a closing session', () => {
  test('waits for a recording that comes 5 s after the hangup and archives it before DelVirtualNum', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    await setDelivery(npp.sim.url, { recordingDelayMs: 5000 });
    const src = phone();
    const handle = await startSession(client, taskQueue, { src, record: true, recordingWaitSeconds: 60 });
    const { virtualNum } = await waitUntilBound(handle);
    const callId = await call(npp.sim.url, virtualNum as string, src, false);
    // The hangup came, the recording not yet: closing waits for it.
    await expect
      .poll(async () => (await handle.query(sessionStateQuery)).calls[0]?.state, { timeout: 10_000 })
      .toBe('ended');
    const hungUpAt = Date.now();
    expect((await handle.query(sessionStateQuery)).calls[0]?.recordUrl).toBeUndefined();

    const closed: SessionState = await handle.executeUpdate(closeSessionUpdate);
    expect(closed).toMatchObject({ status: 'closed', closedReason: 'closed-by-app', heldReferences: 0 });
    expect(closed.calls[0]?.archive?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.now() - hungUpAt).toBeGreaterThanOrEqual(3_000);
    const log = await requestLog(npp.sim.url);
    const downloaded = log.findIndex((entry) => entry.action === 'RecordingDownload' && entry.CallId === callId);
    const unbound = log.findIndex((entry) => entry.action === 'DelVirtualNum');
    expect(downloaded).toBeGreaterThanOrEqual(0);
    expect(unbound).toBeGreaterThan(downloaded);
  });

  test('stops waiting for a recording that never comes at recordingWaitSeconds and finds it with Get400Cdr', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    // The recording is ready 1 s after the hangup, but its callback is never sent.
    await setDelivery(npp.sim.url, { recordingDelayMs: 1000, dropKinds: ['record'] });
    const src = phone();
    const handle = await startSession(client, taskQueue, { src, record: true, recordingWaitSeconds: 3 });
    const { virtualNum } = await waitUntilBound(handle);
    const callId = await call(npp.sim.url, virtualNum as string, src);
    await expect
      .poll(async () => (await handle.query(sessionStateQuery)).calls[0]?.state, { timeout: 10_000 })
      .toBe('ended');
    const closingFrom = Date.now();

    const closed: SessionState = await handle.executeUpdate(closeSessionUpdate);
    // The wait ran to its bound (3 s), then Get400Cdr by CallId brought the URL, and it was archived.
    expect(Date.now() - closingFrom).toBeGreaterThanOrEqual(2_500);
    expect(closed.calls[0]?.recordUrl).toMatch(/^http/);
    expect(closed.calls[0]?.archive).toBeDefined();
    expect(closed.missingRecordings).toBeUndefined();
    const log = await requestLog(npp.sim.url);
    expect(log.some((entry) => entry.action === 'Get400Cdr' && entry.CallId === callId)).toBe(true);
    expect(Date.now() - closingFrom).toBeLessThan(30_000);
  });

  test('recovers a call whose hangup CDR and recording were lost with Get400Cdr, with no schedule running', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const src = phone();
    const handle = await startSession(client, taskQueue, { src, record: true, recordingWaitSeconds: 2 });
    const { virtualNum } = await waitUntilBound(handle);
    // The platform made the call; only its start reached the session, its hangup and recording were lost.
    await setDelivery(npp.sim.url, { drop: true });
    const callId = await call(npp.sim.url, virtualNum as string, src);
    await setDelivery(npp.sim.url, { drop: false });
    const start = { eventId: `${callId}-start`, callId, callStatus: 1, timestamp: Math.floor(Date.now() / 1000) };
    await handle.signal(callStatusSignal, start);
    expect((await handle.query(sessionStateQuery)).calls.map((c) => c.state)).toEqual(['ringing']);

    const closed: SessionState = await handle.executeUpdate(closeSessionUpdate);
    expect(closed).toMatchObject({ status: 'closed', closedReason: 'closed-by-app', heldReferences: 0 });
    expect(closed.calls).toHaveLength(1);
    expect(closed.calls[0]).toMatchObject({ callId, state: 'ended', endStatus: 1, dstDuration: 5 });
    expect(closed.calls[0]?.recordUrl).toMatch(/^http/);
    expect(closed.missingRecordings).toBeUndefined();
  });

  test('ends released-by-platform at MaxAssignTime when DelVirtualNum keeps failing with an unknown code', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    await addFault(npp.sim, { action: 'DelVirtualNum', kind: 'business', errorCode: '9999', count: 1000 });
    const handle = await startSession(client, taskQueue, { src: phone(), ttlSeconds: 2, maxTtlSeconds: 4 });
    const bound = await waitUntilBound(handle);
    const state = await handle.result();
    expect(state).toMatchObject({
      status: 'closed',
      closedReason: 'released-by-platform',
      heldReferences: 0,
      unbindFailure: { code: '9999' },
    });
    // Not before the platform's own release (MaxAssignTime from the bind request), and then promptly.
    const endedAfterMax = Date.parse(state.closedAt ?? '') - Date.parse(bound.maxExpiresAt ?? '');
    expect(endedAfterMax).toBeGreaterThanOrEqual(0);
    expect(endedAfterMax).toBeLessThan(90_000);
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(NppClosedReason)).toBe('released-by-platform');
  }, 150_000);
});
