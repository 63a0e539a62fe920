// A callback call's CDR summary keeps every field of CallBackCdr an app reads.
import { describe, expect, it } from 'vitest';
import { cdrSummary } from '../../src/workflows/callBackEvents.ts';

describe('cdrSummary', () => {
  it('keeps the moments reached, CallType and OrderId, and leaves out moments never reached', () => {
    const summary = cdrSummary(
      {
        eventId: 'c1-hangup',
        callId: 'c1',
        startSrcCallTime: 1_800_000_000,
        srcAcceptTime: 1_800_000_005,
        endCallTime: 1_800_000_009,
        callEndStatus: 3,
        duration: 0,
        callType: 2,
        orderId: 'order-7',
      },
      'webhook',
    );
    expect(summary).toEqual({
      endStatus: 3,
      endStatusText: expect.any(String),
      duration: 0,
      callerCalledAt: new Date(1_800_000_000_000).toISOString(),
      callerAnsweredAt: new Date(1_800_000_005_000).toISOString(),
      endedAt: new Date(1_800_000_009_000).toISOString(),
      callType: 2,
      orderId: 'order-7',
      source: 'webhook',
    });
  });
});
