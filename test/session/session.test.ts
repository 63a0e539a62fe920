import { WorkflowFailedError, type WorkflowUpdateFailedError } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect } from 'vitest';
import {
  addReferenceUpdate,
  closeSessionUpdate,
  extendTtlUpdate,
  keyPressSignal,
  releaseReferenceUpdate,
  sessionStateQuery,
} from '../../src/contract/session.ts';
import { BUSINESS_ERROR_CODES } from '../../src/npp/errors.ts';
import type { Simulator } from '../../src/simulator/server.ts';
import { test } from '../helpers/fixtures.ts';
import {
  addFault,
  answeredCallEvents,
  deliver,
  expectNoBindings,
  phone,
  type SimBinding,
  simBindings,
  startNppStack,
  startSession,
  waitUntilBound,
} from '../helpers/session.ts';
import { testDataConverter, withWorker } from '../helpers/temporal.ts';

/** The reason a rejected update gives (the validator's message travels as the failure's cause). */
const rejection = (update: Promise<unknown>) =>
  update.then(
    () => 'accepted',
    (error: WorkflowUpdateFailedError) => error.cause?.message ?? error.message,
  );

/** Payloads of this suite's histories, decrypted and parsed as the worker would. */
async function decodePayloads(payloads: Payload[] | null | undefined): Promise<unknown[]> {
  const codec = testDataConverter().payloadCodecs?.[0];
  const plain = codec ? await codec.decode(payloads ?? []) : (payloads ?? []);
  return plain.map((payload) => defaultPayloadConverter.fromPayload(payload));
}

describe('maskedCallSession', () => {
  test('AXB: binds, follows two calls with recordings, closes and unbinds', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const [a, b] = [phone(), phone()];
    const handle = await startSession(client, taskQueue, { mode: 'AXB', src: a, dst: b, record: true });
    const bound = await waitUntilBound(handle);
    expect(bound).toMatchObject({ status: 'open', heldReferences: 1, platformRefNum: 1, record: true });
    expect(bound.src).toBe(`${a.slice(0, 7)}****${a.slice(-4)}`);
    const [binding] = await simBindings(npp.sim);
    expect(binding).toMatchObject({ BindId: bound.bindId, VirtualNum: bound.virtualNum, RefNum: 1 });

    const first = answeredCallEvents({
      callId: 'call-1',
      bindId: bound.bindId,
      caller: a,
      callee: b,
      start: 1_800_000_000,
      talkSeconds: 30,
      recordUrl: 'http://127.0.0.1:1/rec/1.wav',
    });
    const second = answeredCallEvents({
      callId: 'call-2',
      bindId: bound.bindId,
      caller: b,
      callee: a,
      start: 1_800_000_100,
      talkSeconds: 5,
      recordUrl: 'http://127.0.0.1:1/rec/2.wav',
    });
    await deliver(handle, first);
    await deliver(handle, second);

    const closed = await handle.executeUpdate(closeSessionUpdate);
    expect(closed).toMatchObject({
      status: 'closed',
      closedReason: 'closed-by-app',
      heldReferences: 0,
      platformRefNum: 0,
    });
    const summary = await handle.result();
    expect(summary.calls.map((c) => [c.callId, c.state, c.dstDuration, c.recordUrl, c.endStatusText])).toEqual([
      ['call-1', 'ended', 30, 'http://127.0.0.1:1/rec/1.wav', 'normal'],
      ['call-2', 'ended', 5, 'http://127.0.0.1:1/rec/2.wav', 'normal'],
    ]);
    expect(summary.calls[1]).toMatchObject({
      caller: `${b.slice(0, 7)}****${b.slice(-4)}`,
      answeredAt: 1_800_000_102,
    });
    expect(summary.lastInteractionAt).toBe(new Date((1_800_000_100 + 7) * 1000).toISOString());

    const { searchAttributes, memo } = await handle.describe();
    expect(searchAttributes).toMatchObject({
      NppBindId: [bound.bindId],
      NppVirtualNum: [bound.virtualNum],
      NppSessionStatus: ['closed'],
      NppCallId: ['call-1', 'call-2'],
    });
    expect(JSON.stringify(searchAttributes)).not.toContain(a);
    expect(memo).toMatchObject({ mode: 'AXB', src: bound.src, dst: bound.dst, virtualNum: bound.virtualNum });
    expect(JSON.stringify(memo)).not.toContain(b);
  });

  test('XB with an AccreditList binds without Src and passes the list to the platform', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const [b, allowed] = [phone(), phone()];
    const handle = await startSession(client, taskQueue, { mode: 'XB', dst: b, accreditList: [allowed] });
    await waitUntilBound(handle);
    const [binding] = await simBindings(npp.sim);
    expect(binding).toMatchObject({ mode: 'XB', Src: null, Dst: b, AccreditList: [allowed] });
    await handle.executeUpdate(closeSessionUpdate);
    expect((await handle.result()).closedReason).toBe('closed-by-app');
  });

  test('ends when the TTL passes and unbinds', async ({ worker: { client, taskQueue } }) => {
    const handle = await startSession(client, taskQueue, { mode: 'AXB', src: phone(), ttlSeconds: 2 });
    const summary = await handle.result();
    expect(summary).toMatchObject({ status: 'closed', closedReason: 'ttl-expired', heldReferences: 0 });
    expect(Date.parse(summary.closedAt as string) - Date.parse(summary.boundAt as string)).toBeGreaterThanOrEqual(2000);
  });

  test('extends the TTL up to the MaxAssignTime chosen at bind, not beyond', async ({
    worker: { client, taskQueue },
  }) => {
    const handle = await startSession(client, taskQueue, {
      mode: 'AXB',
      src: phone(),
      ttlSeconds: 2,
      maxTtlSeconds: 600,
    });
    const before = await waitUntilBound(handle);
    const { expiresAt } = await handle.executeUpdate(extendTtlUpdate, { args: [{ additionalSeconds: 60 }] });
    expect(Date.parse(expiresAt) - Date.parse(before.expiresAt as string)).toBe(60_000);
    expect(await rejection(handle.executeUpdate(extendTtlUpdate, { args: [{ additionalSeconds: 600 }] }))).toMatch(
      /^cannot extend past .* \(MaxAssignTime chosen at bind\)$/,
    );
    expect(await rejection(handle.executeUpdate(extendTtlUpdate, { args: [{ additionalSeconds: -5 }] }))).toBe(
      'additionalSeconds must be a positive whole number',
    );
    // The original 2 s have passed: still open thanks to the extension.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await handle.query(sessionStateQuery)).status).toBe('open');
    await handle.executeUpdate(closeSessionUpdate);
    await handle.result();
  });

  test('measures the extend limit from before the bind request, as the platform counts MaxAssignTime', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    // The platform binds at once and starts counting MaxAssignTime; its answer arrives 3 s later.
    await addFault(npp.sim, { action: 'GetVirtualNum', kind: 'late-answer', latencyMs: 3000, count: 1 });
    const handle = await startSession(client, taskQueue, {
      mode: 'AXB',
      src: phone(),
      ttlSeconds: 60,
      maxTtlSeconds: 120,
    });
    const { maxExpiresAt, expiresAt } = await waitUntilBound(handle);
    const [binding] = (await simBindings(npp.sim)) as (SimBinding & { expiresAt: number })[];
    // The platform reports its expiry in whole seconds, rounded down.
    expect(Date.parse(maxExpiresAt as string)).toBeLessThan(((binding?.expiresAt as number) + 1) * 1000);
    // maxTtl - ttl measured from the answer would reach past the platform's unbinding.
    expect(await rejection(handle.executeUpdate(extendTtlUpdate, { args: [{ additionalSeconds: 60 }] }))).toMatch(
      /^cannot extend past/,
    );
    const allowed = Math.floor((Date.parse(maxExpiresAt as string) - Date.parse(expiresAt as string)) / 1000);
    expect(allowed).toBeGreaterThan(50);
    const extended = await handle.executeUpdate(extendTtlUpdate, { args: [{ additionalSeconds: allowed }] });
    expect(Date.parse(extended.expiresAt)).toBeLessThanOrEqual(Date.parse(maxExpiresAt as string));
    await handle.executeUpdate(closeSessionUpdate);
    await handle.result();
  });

  test('XB: shared references are counted and the session ends when they reach zero', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const dst = phone();
    const handle = await startSession(client, taskQueue, { mode: 'XB', dst });
    await waitUntilBound(handle);
    // A second session for the same callee shares the exclusive number: the platform's count is 2.
    const other = await startSession(client, taskQueue, { mode: 'XB', dst });
    await expect.poll(() => other.query(sessionStateQuery).then((s) => s.platformRefNum)).toBe(2);
    expect((await other.query(sessionStateQuery)).bindId).toBe((await handle.query(sessionStateQuery)).bindId);

    expect(await handle.executeUpdate(addReferenceUpdate)).toEqual({ heldReferences: 2, platformRefNum: 3 });
    expect(await handle.executeUpdate(releaseReferenceUpdate)).toEqual({ heldReferences: 1, platformRefNum: 2 });
    expect(await handle.executeUpdate(releaseReferenceUpdate)).toEqual({ heldReferences: 0, platformRefNum: 1 });
    const summary = await handle.result();
    expect(summary).toMatchObject({ status: 'closed', closedReason: 'refnum-zero', heldReferences: 0 });
    // The other session's reference is untouched...
    expect(await simBindings(npp.sim)).toMatchObject([{ RefNum: 1 }]);
    // ...and releasing it brings the platform's count to zero.
    expect(await other.executeUpdate(releaseReferenceUpdate)).toEqual({ heldReferences: 0, platformRefNum: 0 });
    expect((await other.result()).closedReason).toBe('refnum-zero');
    expect(await rejection(handle.executeUpdate(addReferenceUpdate))).toMatch(/already completed/);
  });

  test('AXB refuses addReference', async ({ worker: { client, taskQueue } }) => {
    const handle = await startSession(client, taskQueue, { mode: 'AXB', src: phone() });
    await waitUntilBound(handle);
    expect(await rejection(handle.executeUpdate(addReferenceUpdate))).toMatch(/only an XB session/);
    await handle.executeUpdate(closeSessionUpdate);
    await handle.result();
  });

  test('duplicated and reordered events give the same state as a clean delivery', async ({
    worker: { client, taskQueue },
  }) => {
    const results = [];
    const [a, b] = [phone(), phone()];
    for (const order of ['clean', 'reversed', 'duplicated'] as const) {
      const handle = await startSession(client, taskQueue, { mode: 'AXB', src: a, dst: b, record: true });
      await waitUntilBound(handle);
      const events = answeredCallEvents({
        callId: 'c-1',
        bindId: 'b',
        caller: a,
        callee: b,
        start: 1_800_000_000,
        talkSeconds: 9,
        recordUrl: 'http://127.0.0.1:1/r.wav',
      });
      await deliver(handle, events, order);
      // Keys pressed 1, 2, 3, delivered out of order and twice.
      for (const [key, t] of [
        ['3', 30],
        ['1', 10],
        ['2', 20],
        ['1', 10],
      ] as const) {
        await handle.signal(keyPressSignal, {
          eventId: `k-${key}`,
          callId: 'c-1',
          key,
          timestamp: 1_800_000_000 + t,
        });
      }
      await handle.executeUpdate(closeSessionUpdate);
      const { calls, lastInteractionAt } = await handle.result();
      results.push({ calls, lastInteractionAt });
    }
    expect(results[0]?.calls[0]).toMatchObject({
      state: 'ended',
      statusBits: 1 | 256 | 512 | 1024 | 4096,
      keys: ['1', '2', '3'],
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  test('cancellation unbinds before the run ends as cancelled', async ({ npp, worker: { client, taskQueue } }) => {
    const handle = await startSession(client, taskQueue, { mode: 'XB', dst: phone() });
    await waitUntilBound(handle);
    expect(await simBindings(npp.sim)).toHaveLength(1);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    expect(await handle.query(sessionStateQuery)).toMatchObject({ status: 'closed', closedReason: 'cancelled' });
  });

  test.for<[Record<string, unknown>, RegExp]>([
    [{ mode: 'AXB', dst: '13800000000' }, /dst must be a number in the platform format/],
    [{ mode: 'AXB' }, /src is required in AXB mode/],
    [{ mode: 'XB', src: '008613800000000' }, /src must be absent in XB mode/],
    [{ mode: 'AB' }, /mode must be "AXB" or "XB"/],
    [{ mode: 'XB', ttlSeconds: 169 * 3600 }, /ttlSeconds must be a whole number between 1 and 604800/],
    [{ mode: 'XB', accreditList: Array.from({ length: 31 }, () => '008613800000000') }, /at most 30/],
    [{ mode: 'XB', statusFlag: 1 << 20 }, /statusFlag must be a sum of the StatusFlag bits/],
    [{ mode: 'XB', sessionKey: 'has spaces' }, /sessionKey must be/],
  ])(
    'invalid input %j fails at once, non-retryable, with a reason',
    async ([input, reason], { worker: { client, taskQueue } }) => {
      const handle = await startSession(client, taskQueue, input as never);
      const failure = await handle.result().then(
        () => expect.unreachable('should fail'),
        (error: WorkflowFailedError) => error,
      );
      expect(failure.cause).toMatchObject({ type: 'InvalidSessionInput', nonRetryable: true });
      expect(failure.cause?.message).toMatch(reason);
      expect(failure.cause?.message).not.toMatch(/\d{11}/);
    },
  );

  test('transient API faults are retried to success', async ({ npp, worker: { client, taskQueue } }) => {
    await addFault(npp.sim, { action: 'GetVirtualNum', kind: '5xx', count: 1 });
    await addFault(npp.sim, { action: 'GetVirtualNum', kind: 'RequestLimitExceeded', count: 1 });
    await addFault(npp.sim, { action: 'DelVirtualNum', kind: 'drop-connection', count: 1 });
    const handle = await startSession(client, taskQueue, { mode: 'AXB', src: phone() });
    await waitUntilBound(handle);
    await handle.executeUpdate(closeSessionUpdate);
    expect((await handle.result()).heldReferences).toBe(0);
    const history = await handle.fetchHistory();
    const failedAttempts = history.events?.find(
      (e) => e.activityTaskStartedEventAttributes?.attempt && e.activityTaskStartedEventAttributes.attempt > 1,
    );
    expect(failedAttempts).toBeDefined();
  });
});

describe('maskedCallSession with an exhausted pool', () => {
  test('fails with reason bind-failed and holds nothing', async () => {
    const small = await startNppStack({ pool: 1 });
    try {
      await withWorker({ activities: small.activities }, async ({ client, taskQueue }) => {
        // A number serves many pairs but each party once: a second pair with the same A needs a second number.
        const shared = phone();
        const holder = await startSession(client, taskQueue, { mode: 'AXB', src: shared });
        await waitUntilBound(holder);
        const starved = await startSession(client, taskQueue, { mode: 'AXB', src: shared });
        const failure = await starved.result().then(
          () => expect.unreachable('should fail'),
          (error: WorkflowFailedError) => error,
        );
        expect(failure.cause).toMatchObject({ type: 'BindFailed', nonRetryable: true });
        expect(failure.cause?.message).toMatch(/^bind-failed: 101: /);
        expect((await starved.describe()).searchAttributes.NppSessionStatus).toEqual(['failed']);
        // The platform's answer is in history: business code as the failure type, its RequestId in the details.
        const events = (await starved.fetchHistory()).events ?? [];
        const bindFailure = events.find((e) => e.activityTaskFailedEventAttributes)?.activityTaskFailedEventAttributes
          ?.failure?.applicationFailureInfo;
        expect(bindFailure?.type).toBe(BUSINESS_ERROR_CODES.NoVirtualNumberAvailable.code);
        const [details] = await decodePayloads(bindFailure?.details?.payloads);
        expect(details).toMatchObject({ action: 'GetVirtualNum', code: bindFailure?.type, layer: 'business' });
        expect((details as { requestId?: string }).requestId).toMatch(/^[0-9a-f-]{36}$/);
        // A session whose bind failed holds nothing, so it unbinds nothing.
        const scheduled = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
        expect(scheduled.filter(Boolean)).toEqual(['getVirtualNum']);
        await holder.executeUpdate(closeSessionUpdate);
        await holder.result();
      });
      await expectNoBindings(small.sim);
    } finally {
      await small.close();
    }
  });
});

describe('maskedCallSession when a bind answer is lost', () => {
  const lateAnswer = (sim: Simulator) =>
    // Processed by the platform, answered after the activity's 10 s start-to-close timeout.
    addFault(sim, { action: 'GetVirtualNum', kind: 'late-answer', latencyMs: 11_000, count: 1 });

  test('XB: the retry is refused by BizId, the session recovers the lost reference and gives both back', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    await lateAnswer(npp.sim);
    const handle = await startSession(client, taskQueue, { mode: 'XB', dst: phone() });
    await waitUntilBound(handle, { timeout: 30_000 });
    expect(await handle.query(sessionStateQuery)).toMatchObject({ heldReferences: 2, platformRefNum: 2 });
    expect(await simBindings(npp.sim)).toMatchObject([{ RefNum: 2 }]);
    await handle.executeUpdate(closeSessionUpdate);
    expect(await handle.result()).toMatchObject({ heldReferences: 0, platformRefNum: 0 });
  }, 60_000);

  test('XB addReference: the retry refused by BizId recovers the reference the platform took unseen', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const handle = await startSession(client, taskQueue, { mode: 'XB', dst: phone() });
    await waitUntilBound(handle);
    await lateAnswer(npp.sim);
    expect(await handle.executeUpdate(addReferenceUpdate)).toEqual({ heldReferences: 3, platformRefNum: 3 });
    expect(await simBindings(npp.sim)).toMatchObject([{ RefNum: 3 }]);
    await handle.executeUpdate(closeSessionUpdate);
    expect(await handle.result()).toMatchObject({ heldReferences: 0, platformRefNum: 0 });
  }, 60_000);

  test('AXB: the session fails as bind-failed and the orphan expires at MaxAssignTime (the documented risk)', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    await lateAnswer(npp.sim);
    const handle = await startSession(client, taskQueue, {
      mode: 'AXB',
      src: phone(),
      ttlSeconds: 600,
      maxTtlSeconds: 900,
    });
    const failure = await handle.result().then(
      () => expect.unreachable('should fail'),
      (error: WorkflowFailedError) => error,
    );
    expect(failure.cause?.message).toMatch(/^bind-failed: 104: /);
    const [orphan] = await simBindings(npp.sim);
    expect((orphan as SimBinding & { expiresAt: number }).expiresAt - Date.now() / 1000).toBeLessThanOrEqual(900);
    npp.sim.reset();
  }, 60_000);
});
