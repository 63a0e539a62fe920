import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/contract/session.ts';
import { CALLS_CARRIED, carriedCalls } from '../../src/workflows/calls.ts';

// The carry-over boundary reconciliation reads: a session counts the calls it drops when it
// continues as new, and records the latest start among them (EarlierCalls.latestStartedAt).

/** `count` ended calls, started one second apart from `firstStart`, in start order. */
function calls(count: number, firstStart: number): CallRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    callId: `call-${firstStart + i}`,
    state: 'ended' as const,
    statusBits: 0,
    keys: [],
    startedAt: firstStart + i,
  }));
}

const keepNone = () => false;

describe('carriedCalls: the latest start of the dropped calls', () => {
  it('is the start of the last call dropped, not of any call carried on', () => {
    const all = calls(CALLS_CARRIED + 3, 1000);
    const { calls: kept, earlierCalls } = carriedCalls(all, undefined, keepNone);
    expect(kept).toHaveLength(CALLS_CARRIED);
    expect(earlierCalls).toMatchObject({ count: 3, latestStartedAt: 1002 });
    expect(kept[0]?.startedAt).toBe(1003);
  });

  it('counts a call kept for pending work as carried, not dropped', () => {
    const all = calls(CALLS_CARRIED + 3, 1000);
    const { earlierCalls } = carriedCalls(all, undefined, (call) => call.startedAt === 1002);
    expect(earlierCalls).toMatchObject({ count: 2, latestStartedAt: 1001 });
  });

  it('moves forward from the earlier runs', () => {
    const { earlierCalls } = carriedCalls(
      calls(CALLS_CARRIED + 1, 5000),
      { ...counts(4), latestStartedAt: 900 },
      keepNone,
    );
    expect(earlierCalls).toEqual({ ...counts(5), latestStartedAt: 5000 });
  });

  it('keeps the earlier boundary when nothing is dropped', () => {
    const earlier = { ...counts(4), latestStartedAt: 900 };
    expect(carriedCalls(calls(3, 5000), earlier, keepNone).earlierCalls).toEqual(earlier);
  });

  it('is left out once a dropped call had no known start, and stays out', () => {
    const unknownStart = calls(CALLS_CARRIED + 1, 1000).map((call, i) =>
      i === 0 ? { ...call, startedAt: undefined } : call,
    );
    const first = carriedCalls(unknownStart, undefined, keepNone).earlierCalls;
    expect(first).toEqual(counts(1));
    // A later run cannot bound the calls counted before: any call it does not list may be one.
    expect(carriedCalls(calls(CALLS_CARRIED + 1, 5000), first, keepNone).earlierCalls).toEqual(counts(2));
  });
});

/** Totals of `count` dropped calls that the callee never answered. */
function counts(count: number) {
  return { count, answered: 0, talkSeconds: 0 };
}
