// A session's input: the defaults apps rely on, the platform's bounds, and refusals that name the
// field without repeating a phone number.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SessionInput, TtlMode } from '../../src/contract/session.ts';
import { ALL_STATUS_FLAGS } from '../../src/npp/models.ts';
import {
  DEFAULT_DRAIN_SECONDS,
  DEFAULT_RECORDING_WAIT_SECONDS,
  DEFAULT_TTL_SECONDS,
  INVALID_SESSION_INPUT,
  MAX_ACCREDIT_LIST,
  MAX_TTL_SECONDS,
  resolveSessionInput,
} from '../../src/workflows/sessionInput.ts';
import { refusal } from './refusal.ts';

const A = '008613800138000';
const B = '008613900139000';
const axb = (fields: Partial<SessionInput> = {}): SessionInput => ({
  sessionKey: 'order-1',
  mode: 'AXB',
  src: A,
  dst: B,
  ...fields,
});
const refused = (input: unknown) => refusal(() => resolveSessionInput(input as SessionInput));

describe('resolveSessionInput', () => {
  it('defaults: 24 h TTL, twice that as the limit, every StatusFlag, no recording, 300 s drain, 10 min recording wait', () => {
    expect(resolveSessionInput(axb())).toEqual({
      ...axb(),
      record: false,
      ttlSeconds: DEFAULT_TTL_SECONDS,
      ttlMode: 'fixed',
      maxTtlSeconds: 2 * DEFAULT_TTL_SECONDS,
      statusFlag: ALL_STATUS_FLAGS,
      drainSeconds: DEFAULT_DRAIN_SECONDS,
      recordingWaitSeconds: DEFAULT_RECORDING_WAIT_SECONDS,
    });
    expect(DEFAULT_TTL_SECONDS).toBe(24 * 3600);
    expect(DEFAULT_RECORDING_WAIT_SECONDS).toBe(600);
  });

  it('caps the default limit at the platform’s 168 h MaxAssignTime', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_TTL_SECONDS }), (ttlSeconds) => {
        const resolved = resolveSessionInput(axb({ ttlSeconds }));
        expect(resolved.maxTtlSeconds).toBe(Math.min(2 * ttlSeconds, MAX_TTL_SECONDS));
        expect(resolved.maxTtlSeconds).toBeGreaterThanOrEqual(ttlSeconds);
      }),
    );
  });

  it('refuses TTLs outside 1 s..168 h and a limit below the TTL', () => {
    for (const ttlSeconds of [0, -1, MAX_TTL_SECONDS + 1, 1.5]) {
      expect(refused(axb({ ttlSeconds })).message).toBe('ttlSeconds must be a whole number between 1 and 604800');
    }
    expect(refused(axb({ ttlSeconds: 3600, maxTtlSeconds: 3599 })).message).toBe(
      'maxTtlSeconds must be a whole number between 3600 and 604800',
    );
    expect(resolveSessionInput(axb({ ttlSeconds: MAX_TTL_SECONDS })).maxTtlSeconds).toBe(MAX_TTL_SECONDS);
  });

  it('fails as InvalidSessionInput, non-retryable, naming the field', () => {
    const cases: [Partial<SessionInput> | null, RegExp][] = [
      [null, /^input must be an object/],
      [{ sessionKey: 'has space' }, /^sessionKey must be/],
      [{ mode: 'AB' as SessionInput['mode'] }, /^mode must be "AXB" or "XB"/],
      [{ src: undefined }, /^src is required in AXB mode/],
      [{ src: B }, /^src and dst must differ/],
      [{ accreditList: [A] }, /^accreditList applies to XB mode only/],
      [{ assignVirtualNum: '17000000001' }, /^assignVirtualNum must be/],
      [{ cityId: 'shenzhen' }, /^cityId must be digits/],
      [{ record: 'yes' as unknown as boolean }, /^record must be true or false/],
      [{ statusFlag: 64 }, /^statusFlag must be a sum/],
      [{ drainSeconds: -1 }, /^drainSeconds must be/],
      [{ notifyUrl: 'ftp://example.com/x' }, /^notifyUrl must be an http/],
      [{ notifyUrl: 'https://' }, /^notifyUrl must be an http/],
      [{ ttlMode: 'rolling' as TtlMode }, /^ttlMode must be "fixed" or "sliding"$/],
      [{ continueAsNewAfterEvents: 99 }, /^continueAsNewAfterEvents must be/],
    ];
    for (const [fields, reason] of cases) {
      const failure = refused(fields === null ? null : axb(fields));
      expect(failure).toMatchObject({ type: INVALID_SESSION_INPUT, nonRetryable: true });
      expect(failure.message).toMatch(reason);
    }
  });

  it('takes XB with no src and at most 30 accredited callers', () => {
    const xb = (fields: Partial<SessionInput>) =>
      ({ sessionKey: 'xb-1', mode: 'XB', dst: B, ...fields }) as SessionInput;
    expect(resolveSessionInput(xb({ accreditList: [A] })).accreditList).toEqual([A]);
    expect(refused(xb({ src: A })).message).toMatch(/^src must be absent in XB mode/);
    const tooMany = Array.from({ length: MAX_ACCREDIT_LIST + 1 }, () => A);
    expect(refused(xb({ accreditList: tooMany })).message).toMatch(/^accreditList must be a list of at most 30/);
    expect(refused(xb({ accreditList: [A, '13800138000'] })).message).toBe(
      'accreditList[1] is not a 0086-prefixed number',
    );
  });

  it('never repeats a participant’s number in a refusal', () => {
    // Too short with the prefix, or a whole mobile without it: refused either way.
    const malformed = fc.stringMatching(/^0086(1\d{7,9}|0\d{6,8})$|^1\d{10}$/);
    fc.assert(
      fc.property(malformed, (number) => {
        for (const input of [axb({ src: number }), axb({ dst: number }), axb({ accreditList: [number] })]) {
          expect(refused(input).message).not.toContain(number);
        }
      }),
    );
  });
});
