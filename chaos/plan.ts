// What a chaos run does to each session, drawn from a seed so a failing run can be repeated.

/** How the session ends: closed by the app, its TTL passing, or its last reference released. */
export type SessionEnding = 'close' | 'ttl' | 'release';

/** One simulated call through a session's number. */
export interface PlannedCall {
  /** Who dials: side A (AXB only), side B, or (XB) an outside caller. */
  caller: 'A' | 'B' | 'outside';
  outcome: 'answered' | 'busy' | 'no-answer';
  durationSeconds: number;
}

/** One session of the load, with everything that happens to it. */
export interface SessionPlan {
  index: number;
  sessionKey: string;
  mode: 'AXB' | 'XB';
  src?: string;
  dst: string;
  record: boolean;
  /** XB: this session binds the Dst of an earlier one (the platform adds a reference to that binding). */
  sharesDstWith?: number;
  /** XB: takes a second reference on its binding (addReference), released again before it ends. */
  extraReference: boolean;
  calls: PlannedCall[];
  /** Callback calls (回拨) started beside the session. */
  callBacks: number;
  ending: SessionEnding;
  /** Milliseconds after the run's start at which the session starts. */
  startAtMs: number;
}

/** A small seeded PRNG (mulberry32): the plan must be the same for the same seed. */
export function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A mobile number no other session of the run uses (0086 + 11 digits). */
export function runNumber(run: number, index: number, side: number): string {
  return `00861${String(30 + (run % 60)).padStart(2, '0')}${String(index * 4 + side).padStart(8, '0')}`;
}

/**
 * N sessions arriving evenly over `arrivalMs`: half AXB, the rest XB (a fifth of those binding the
 * Dst of an earlier XB session), 40% recorded, 1–3 calls each, one in ten with a callback call.
 */
export function planSessions(options: { sessions: number; arrivalMs: number; seed: number }): SessionPlan[] {
  const random = randomSource(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const run = options.seed % 1000;
  const plans: SessionPlan[] = [];
  for (let index = 0; index < options.sessions; index++) {
    const mode = random() < 0.5 ? 'AXB' : 'XB';
    const earlierXb = plans.filter((p) => p.mode === 'XB' && p.sharesDstWith === undefined && p.index > index - 20);
    const sharesDstWith = mode === 'XB' && earlierXb.length > 0 && random() < 0.2 ? pick(earlierXb).index : undefined;
    const dst = sharesDstWith === undefined ? runNumber(run, index, 1) : (plans[sharesDstWith] as SessionPlan).dst;
    const calls: PlannedCall[] = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({
      caller: mode === 'AXB' ? pick(['A', 'B'] as const) : 'outside',
      outcome: random() < 0.8 ? 'answered' : pick(['busy', 'no-answer'] as const),
      durationSeconds: 5 + Math.floor(random() * 55),
    }));
    plans.push({
      index,
      sessionKey: `chaos-${options.seed}-${index}`,
      mode,
      ...(mode === 'AXB' ? { src: runNumber(run, index, 0) } : {}),
      dst,
      record: random() < 0.4,
      ...(sharesDstWith === undefined ? {} : { sharesDstWith }),
      extraReference: mode === 'XB' && random() < 0.2,
      calls,
      callBacks: random() < 0.1 ? 1 : 0,
      ending: pick(['close', 'close', 'close', 'ttl', 'release'] as const),
      startAtMs: Math.round((index / Math.max(1, options.sessions)) * options.arrivalMs),
    });
  }
  return plans;
}
