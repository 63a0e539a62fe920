// src/workflows/calls.ts claims a session's calls do not depend on the order events arrive in, nor
// on redeliveries; and that what a run lists and carries stays within Temporal's limits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CallRecord, EarlierCalls } from '../../src/contract/session.ts';
import {
  applyHangup,
  applyKeyPress,
  applyRecording,
  applyStatus,
  CALL_IDS_SEARCHABLE,
  CALLS_CARRIED,
  carriedCalls,
  emptyCall,
  recentCallIds,
  sortCalls,
} from '../../src/workflows/calls.ts';
import { arrivals, type CallEvent, callEvents, sessionEvents } from './callEvents.ts';

function apply(call: CallRecord, { kind, event }: CallEvent): CallRecord {
  switch (kind) {
    case 'status':
      return applyStatus(call, event);
    case 'hangup':
      return applyHangup(call, event);
    case 'recording':
      return applyRecording(call, event);
    case 'keyPress':
      return applyKeyPress(call, event);
  }
}

/** The session's fold: each eventId once (redeliveries are recognised by it), calls kept sorted. */
function fold(events: CallEvent[]): CallRecord[] {
  const seen = new Set<string>();
  let calls: CallRecord[] = [];
  for (const arrival of events) {
    if (seen.has(arrival.event.eventId)) continue;
    seen.add(arrival.event.eventId);
    const existing = calls.find((call) => call.callId === arrival.event.callId);
    const updated = apply(existing ?? emptyCall(arrival.event.callId), arrival);
    calls = sortCalls([...calls.filter((call) => call !== existing), updated]);
  }
  return calls;
}

/** Folds one call's events without deduplication. */
const foldCall = (callId: string, events: CallEvent[]) => events.reduce(apply, emptyCall(callId));

const withArrivals = (events: fc.Arbitrary<CallEvent[]>) =>
  events.chain((generated) => fc.tuple(fc.constant(generated), arrivals(generated)));

describe('folding call events', () => {
  it('gives the same calls whatever the arrival order and however many redeliveries', () => {
    fc.assert(
      fc.property(withArrivals(sessionEvents), ([events, arrived]) => {
        expect(fold(arrived)).toStrictEqual(fold(events));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps every reported StatusFlag bit, the earliest start and the keys in the order pressed', () => {
    fc.assert(
      fc.property(withArrivals(callEvents('c1')), ([events, arrived]) => {
        const [call] = fold(arrived);
        if (!call) {
          expect(events).toEqual([]);
          return;
        }
        const statuses = events.flatMap((e) => (e.kind === 'status' ? [e.event] : []));
        expect(call.statusBits).toBe(statuses.reduce((bits, status) => bits | status.callStatus, 0));
        const presses = events.flatMap((e) => (e.kind === 'keyPress' ? [e.event] : []));
        const byTime = [...presses].sort((a, b) => a.timestamp - b.timestamp || a.key.localeCompare(b.key));
        expect(call.keys).toEqual(byTime.map((press) => press.key));
        const starts = [
          ...statuses.map((status) => status.timestamp),
          ...events.flatMap((e) =>
            e.kind === 'hangup' && e.event.callCenterAcceptTime ? [e.event.callCenterAcceptTime] : [],
          ),
        ];
        expect(call.startedAt).toBe(starts.length > 0 ? Math.min(...starts) : undefined);
      }),
      { numRuns: 300 },
    );
  });

  it('needs no deduplication for statuses, the hangup CDR and the recording: applying one twice changes nothing', () => {
    const withoutKeys = callEvents('c1').map((events) => events.filter((e) => e.kind !== 'keyPress'));
    fc.assert(
      fc.property(withArrivals(withoutKeys), ([events, arrived]) => {
        expect(foldCall('c1', arrived)).toStrictEqual(foldCall('c1', events));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps what the hangup CDR tells beyond the status events: callee dialled and ringing, the virtual number', () => {
    const call = applyHangup(emptyCall('c1'), {
      eventId: 'c1-hangup',
      callId: 'c1',
      virtualNum: '008617000000001',
      callCenterAcceptTime: 100,
      startDstCallTime: 101,
      startDstRingTime: 102,
      dstAcceptTime: 0,
      endCallTime: 130,
      callEndStatus: 4,
      srcDuration: 30,
      dstDuration: 0,
    });
    expect(call).toMatchObject({ calleeCalledAt: 101, calleeRingingAt: 102, virtualNum: '008617000000001' });
    expect(call.answeredAt).toBeUndefined();
  });

  it('orders calls by start, unknown starts last, then by CallId', () => {
    const calls = [
      { ...emptyCall('b'), startedAt: 20 },
      emptyCall('z'),
      { ...emptyCall('c'), startedAt: 10 },
      emptyCall('a'),
      { ...emptyCall('a2'), startedAt: 20 },
    ];
    expect(sortCalls(calls).map((call) => call.callId)).toEqual(['c', 'a2', 'b', 'a', 'z']);
  });
});

const UTF8 = new TextEncoder();
/** CallIds as the platform sends them, and longer or non-ASCII ones, whose UTF-8 length differs. */
const callId = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{32}$/),
  fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 }).filter((id) => JSON.stringify(id) === `"${id}"`),
);
const callsWithIds = (maxLength: number) =>
  fc.uniqueArray(callId, { maxLength }).map((ids) => ids.map((id) => emptyCall(id)));

describe('recentCallIds', () => {
  it('lists the most recent calls in order, at most 40 and 1536 bytes, and as many as fit', () => {
    fc.assert(
      fc.property(callsWithIds(120), (calls) => {
        const ids = recentCallIds(calls);
        const all = calls.map((call) => call.callId);
        expect(ids).toEqual(all.slice(all.length - ids.length));
        expect(ids.length).toBeLessThanOrEqual(CALL_IDS_SEARCHABLE);
        // The size Temporal measures: the JSON list.
        expect(UTF8.encode(JSON.stringify(ids)).length).toBeLessThanOrEqual(1536);
        const next = all[all.length - ids.length - 1];
        if (next !== undefined && ids.length < CALL_IDS_SEARCHABLE) {
          expect(UTF8.encode(JSON.stringify([next, ...ids])).length).toBeGreaterThan(1536 - 1);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps 40 short ids, and fewer long ones', () => {
    const short = Array.from({ length: 100 }, (_, i) => emptyCall(`c${i}`));
    expect(recentCallIds(short)).toEqual(short.slice(60).map((call) => call.callId));
    const long = Array.from({ length: 100 }, (_, i) => emptyCall(`${i}`.padStart(128, 'x')));
    expect(recentCallIds(long)).toHaveLength(11);
  });
});

const earlierCalls: fc.Arbitrary<EarlierCalls | undefined> = fc.option(
  fc.record({ count: fc.nat(10_000), answered: fc.nat(10_000), talkSeconds: fc.nat(1_000_000) }),
  { nil: undefined },
);
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 10 });
const pastCall = (id: string) =>
  fc.record({ startedAt: maybe(fc.nat()), answeredAt: maybe(fc.nat()), dstDuration: maybe(fc.nat(3600)) }).map(
    (fields): CallRecord => ({
      ...emptyCall(id),
      ...Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)),
    }),
  );

describe('carriedCalls', () => {
  it('carries the 100 most recent calls and every call still needed, and counts the others', () => {
    const input = fc
      .integer({ min: 0, max: 2.5 * CALLS_CARRIED })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => pastCall(`call-${i}`))))
      .chain((calls) => fc.tuple(fc.constant(calls), earlierCalls, fc.subarray(calls.map((call) => call.callId))));
    fc.assert(
      fc.property(input, ([calls, earlier, needed]) => {
        const mustKeep = new Set(needed);
        const result = carriedCalls(calls, earlier, (call) => mustKeep.has(call.callId));
        const kept = new Set(result.calls.map((call) => call.callId));
        const dropped = calls.filter((call) => !kept.has(call.callId));

        expect(result.calls).toEqual(calls.filter((call) => kept.has(call.callId)));
        expect(dropped.length + result.calls.length).toBe(calls.length);
        for (const id of needed) expect(kept.has(id)).toBe(true);
        for (const call of calls.slice(-CALLS_CARRIED)) expect(kept.has(call.callId)).toBe(true);
        for (const call of dropped) expect(mustKeep.has(call.callId)).toBe(false);
        expect(result.calls.length).toBeLessThanOrEqual(CALLS_CARRIED + mustKeep.size);

        if (dropped.length === 0) {
          expect(result.earlierCalls).toEqual(earlier);
          return;
        }
        const answered = dropped.filter((call) => call.answeredAt !== undefined || (call.dstDuration ?? 0) > 0);
        expect(result.earlierCalls).toMatchObject({
          count: (earlier?.count ?? 0) + dropped.length,
          answered: (earlier?.answered ?? 0) + answered.length,
          talkSeconds: (earlier?.talkSeconds ?? 0) + dropped.reduce((sum, call) => sum + (call.dstDuration ?? 0), 0),
        });
        // A bound on the counted calls' starts, when given, holds for every one of them.
        const latest = result.earlierCalls?.latestStartedAt;
        if (latest !== undefined) for (const call of dropped) expect(call.startedAt).toBeLessThanOrEqual(latest);
      }),
      { numRuns: 200 },
    );
  });
});
