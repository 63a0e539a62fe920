import { describe, expect, it } from 'vitest';
import { ALL_STATUS_FLAGS, StatusFlagBits } from '../../src/npp/models.ts';

describe('StatusFlagBits', () => {
  it('are distinct single bits whose sum is ALL_STATUS_FLAGS', () => {
    const bits = Object.values(StatusFlagBits);
    expect(bits.every((b) => b > 0 && (b & (b - 1)) === 0)).toBe(true);
    expect(bits.reduce((a, b) => a | b, 0)).toBe(bits.reduce((a, b) => a + b, 0));
    expect(bits.reduce((a, b) => a + b, 0)).toBe(ALL_STATUS_FLAGS);
  });
});
