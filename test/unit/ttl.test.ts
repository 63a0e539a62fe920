import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expiryAtBind, extendedExpiry, msUntilExpiry, slidExpiry } from '../../src/workflows/ttl.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-12-01T00:00:00.000Z');

describe('ttl', () => {
  it('counts the TTL from binding and the MaxAssignTime cap from the request', () => {
    const expiry = expiryAtBind(T0, T0 + 2_000, 3600, 7200);
    expect(expiry).toEqual({
      expiresAt: new Date(T0 + 2_000 + HOUR).toISOString(),
      maxExpiresAt: new Date(T0 + 2 * HOUR).toISOString(),
    });
  });

  it('never lets the expiry pass the cap, however slow the bind answer was', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 600_000 }),
        fc.integer({ min: 1, max: 168 * 3600 }),
        fc.integer({ min: 0, max: 168 * 3600 }),
        (bindMs, ttl, extra) => {
          const maxTtl = Math.min(ttl + extra, 168 * 3600);
          const { expiresAt, maxExpiresAt } = expiryAtBind(T0, T0 + bindMs, Math.min(ttl, maxTtl), maxTtl);
          expect(Date.parse(expiresAt)).toBeLessThanOrEqual(Date.parse(maxExpiresAt));
          expect(Date.parse(maxExpiresAt)).toBe(T0 + maxTtl * 1000);
        },
      ),
    );
  });

  it('extends up to the cap and refuses past it or with a bad amount, naming why', () => {
    const current = expiryAtBind(T0, T0, 3600, 7200);
    expect(extendedExpiry(current, 3600)).toBe(current.maxExpiresAt);
    expect(() => extendedExpiry(current, 3601)).toThrow(/cannot extend past .*MaxAssignTime/);
    for (const bad of [0, -5, 1.5, Number.NaN]) {
      expect(() => extendedExpiry(current, bad)).toThrow('additionalSeconds must be a positive whole number');
    }
  });

  it('accepts exactly the extensions that stay within the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), (seconds) => {
        const current = expiryAtBind(T0, T0, 3600, 7200);
        const allowed = seconds <= 3600;
        if (allowed) expect(Date.parse(extendedExpiry(current, seconds))).toBe(T0 + HOUR + seconds * 1000);
        else expect(() => extendedExpiry(current, seconds)).toThrow(/cannot extend past/);
      }),
    );
  });

  it('refuses to extend a session that has no expiry yet (not bound)', () => {
    expect(() => extendedExpiry({}, 60)).toThrow(/cannot extend past/);
  });

  it('measures the time left, zero or less once passed', () => {
    const expiresAt = new Date(T0 + 5_000).toISOString();
    expect(msUntilExpiry(expiresAt, T0)).toBe(5_000);
    expect(msUntilExpiry(expiresAt, T0 + 6_000)).toBe(-1_000);
  });

  it('slides the expiry to ttl after each interaction, never back and never past MaxAssignTime', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3600 }),
        fc.array(fc.integer({ min: 0, max: 10 * 3600 * 1000 }), { maxLength: 20 }),
        (ttlSeconds, offsets) => {
          let current = expiryAtBind(T0, T0, ttlSeconds, 2 * 3600);
          let latest = T0;
          for (const offset of [...offsets].sort((a, b) => a - b)) {
            const before = Date.parse(current.expiresAt);
            current = { ...current, expiresAt: slidExpiry(current, T0 + offset, ttlSeconds) };
            latest = T0 + offset;
            const after = Date.parse(current.expiresAt);
            expect(after).toBeGreaterThanOrEqual(before);
            expect(after).toBe(Math.min(latest + ttlSeconds * 1000, Date.parse(current.maxExpiresAt)));
          }
        },
      ),
    );
  });

  it('keeps an extension that reaches further than the slide', () => {
    const bound = expiryAtBind(T0, T0, 60, 7200);
    const extended = { ...bound, expiresAt: extendedExpiry(bound, 3600) };
    expect(slidExpiry(extended, T0 + 10_000, 60)).toBe(extended.expiresAt);
  });
});
