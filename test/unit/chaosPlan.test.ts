import { describe, expect, it } from 'vitest';
import { planSessions, runNumber } from '../../chaos/plan.ts';

describe('chaos run plan', () => {
  const plans = planSessions({ sessions: 400, arrivalMs: 100_000, seed: 9 });

  it('is the same for the same seed, and another for another seed', () => {
    expect(planSessions({ sessions: 400, arrivalMs: 100_000, seed: 9 })).toEqual(plans);
    expect(planSessions({ sessions: 400, arrivalMs: 100_000, seed: 10 })).not.toEqual(plans);
  });

  it('mixes every kind of session the run must exercise', () => {
    const share = (keep: (p: (typeof plans)[number]) => boolean) => plans.filter(keep).length / plans.length;
    expect(share((p) => p.mode === 'AXB')).toBeGreaterThan(0.3);
    expect(share((p) => p.mode === 'XB')).toBeGreaterThan(0.3);
    expect(share((p) => p.sharesDstWith !== undefined)).toBeGreaterThan(0.02);
    expect(share((p) => p.extraReference)).toBeGreaterThan(0.02);
    expect(share((p) => p.record)).toBeGreaterThan(0.2);
    expect(share((p) => p.callBacks > 0)).toBeGreaterThan(0.03);
    for (const ending of ['close', 'ttl', 'release'] as const)
      expect(share((p) => p.ending === ending)).toBeGreaterThan(0.1);
    expect(plans.every((p) => p.calls.length >= 1 && p.calls.length <= 3)).toBe(true);
  });

  it('shares a Dst only with an earlier XB session, and gives every other party its own number', () => {
    for (const plan of plans) {
      if (plan.sharesDstWith === undefined) continue;
      const owner = plans[plan.sharesDstWith];
      expect(owner?.mode).toBe('XB');
      expect(owner?.index).toBeLessThan(plan.index);
      expect(plan.dst).toBe(owner?.dst);
    }
    const own = plans.flatMap((p) => [...(p.src ? [p.src] : []), ...(p.sharesDstWith === undefined ? [p.dst] : [])]);
    expect(new Set(own).size).toBe(own.length);
    expect(own.every((number) => /^00861\d{10}$/.test(number))).toBe(true);
    expect(runNumber(9, 1, 0)).not.toBe(runNumber(9, 0, 1));
  });

  it('spreads arrivals over the window', () => {
    expect(plans[0]?.startAtMs).toBe(0);
    expect(plans.at(-1)?.startAtMs).toBeLessThan(100_000);
    expect(plans.at(-1)?.startAtMs).toBeGreaterThan(99_000);
  });
});
