// Sliding TTL (ttlMode "sliding"): every call event moves the expiry to ttlSeconds after it, so a
// session in use outlives its TTL and closes ttlSeconds after its last call.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect } from 'vitest';
import { callHangupSignal, sessionStateQuery } from '../../src/contract/session.ts';
import { test } from '../helpers/fixtures.ts';
import { recordHistoryIfAsked } from '../helpers/histories.ts';
import { answeredCallEvents, expectNoBindings, phone, startSession, waitUntilBound } from '../helpers/session.ts';

const TTL_SECONDS = 4;

describe('a sliding-TTL session', () => {
  test('outlives its TTL while calls keep coming and closes TTL seconds after the last one', async ({
    npp,
    worker: { client, taskQueue },
  }) => {
    const src = phone();
    const handle = await startSession(client, taskQueue, {
      src,
      ttlMode: 'sliding',
      ttlSeconds: TTL_SECONDS,
      maxTtlSeconds: 120,
    });
    const { bindId, expiresAt: firstExpiry, ttlMode } = await waitUntilBound(handle);
    expect(ttlMode).toBe('sliding');
    const boundAt = Date.now();

    // A call every 2 s for twice the TTL: each one pushes the expiry on.
    let lastCallAt = 0;
    for (let i = 0; i < 4; i++) {
      await sleep(2_000);
      const { hangup } = answeredCallEvents({
        callId: `sliding-${randomUUID()}`,
        bindId,
        caller: src,
        callee: phone(),
        start: Math.floor(Date.now() / 1000),
        talkSeconds: 0,
      });
      await handle.signal(callHangupSignal, hangup);
      lastCallAt = Date.now();
    }
    const state = await handle.query(sessionStateQuery);
    expect(Date.now() - boundAt).toBeGreaterThan(TTL_SECONDS * 1000);
    expect(state.status).toBe('in-progress');
    expect(state.calls).toHaveLength(4);
    expect(Date.parse(state.expiresAt ?? '')).toBeGreaterThan(Date.parse(firstExpiry ?? ''));

    const result = await handle.result();
    expect(result).toMatchObject({ status: 'closed', closedReason: 'ttl-expired' });
    // Closed TTL seconds after the last call (its event time, here up to 2 s ahead), not earlier.
    const sinceLastCall = Date.parse(result.closedAt ?? '') - lastCallAt;
    expect(sinceLastCall).toBeGreaterThan((TTL_SECONDS - 1) * 1000);
    expect(sinceLastCall).toBeLessThan((TTL_SECONDS + 4) * 1000);
    await expectNoBindings(npp.sim);
    // Part of the replay baseline (test/session/replay.test.ts replays every recorded history).
    recordHistoryIfAsked('maskedCallSession-sliding-ttl', await handle.fetchHistory());
  });
});
