// The checks every workflow runs on its input first: a refusal is a non-retryable ApplicationFailure
// of the workflow's own type whose message names the field.
import { ApplicationFailure } from '@temporalio/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_STATUS_FLAGS, StatusFlagBits } from '../../src/npp/models.ts';
import { inputChecks } from '../../src/workflows/inputChecks.ts';
import { refusal } from './refusal.ts';

const checks = inputChecks('SomeInvalidInput');

describe('inputChecks', () => {
  it('refuses with the workflow’s failure type, non-retryable, naming the field', () => {
    const failure = refusal(() => checks.wholeNumber(0, 'ttlSeconds', 1, 10));
    expect(failure).toMatchObject({ type: 'SomeInvalidInput', nonRetryable: true });
    expect(failure.message).toBe('ttlSeconds must be a whole number between 1 and 10');
  });

  it('accepts exactly the whole numbers within the bounds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 0, max: 100 }),
        fc.oneof(fc.integer({ min: -2000, max: 2000 }), fc.double({ noNaN: false }), fc.string()),
        (min, span, value) => {
          const max = min + span;
          const inBounds = Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
          if (inBounds) expect(() => checks.wholeNumber(value, 'n', min, max)).not.toThrow();
          else expect(refusal(() => checks.wholeNumber(value, 'n', min, max)).message).toMatch(/^n must be/);
        },
      ),
    );
  });

  it('accepts a StatusFlag only when it is a sum of StatusFlag bits', () => {
    const bits = Object.values(StatusFlagBits);
    fc.assert(
      fc.property(fc.subarray(bits), (chosen) => {
        expect(() => checks.statusFlag(chosen.reduce((sum, bit) => sum + bit, 0))).not.toThrow();
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 20 }), (value) => {
        fc.pre((value & ~ALL_STATUS_FLAGS) !== 0);
        expect(refusal(() => checks.statusFlag(value)).message).toMatch(/^statusFlag must be a sum/);
      }),
    );
    for (const value of [-1, 1.5, '16191', null]) expect(() => checks.statusFlag(value)).toThrow(ApplicationFailure);
  });

  it('accepts keys of 1-128 letters, digits, ".", "_", ":" and "-" only', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/), (key) => {
        expect(() => checks.key(key, 'sessionKey')).not.toThrow();
      }),
    );
    for (const key of ['', 'a'.repeat(129), 'with space', 'slash/es', '键', 42, undefined]) {
      expect(refusal(() => checks.key(key, 'sessionKey')).message).toMatch(/^sessionKey must be 1-128 characters/);
    }
  });

  it('accepts a dst only in the platform format, and never repeats the refused value', () => {
    for (const dst of ['008613800138000', '0086075512345678']) expect(() => checks.platformDst(dst)).not.toThrow();
    for (const dst of ['13800138000', '+8613800138000', '00861380013800', '0086238001380001']) {
      const failure = refusal(() => checks.platformDst(dst));
      expect(failure.message).toMatch(/^dst must be a number in the platform format/);
      expect(failure.message).not.toContain(dst);
    }
  });
});
