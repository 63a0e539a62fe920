// The session's lifetime rule, in one place: expiry at bind, extension, and the MaxAssignTime cap.
// Pure: times are passed in, so the same rule serves the workflow, its validators and the tests.

/** When a freshly bound session expires, and the latest expiry an extension may reach. */
export interface Expiry {
  /** ISO-8601: the TTL counted from binding, never past maxExpiresAt. */
  expiresAt: string;
  /** ISO-8601: MaxAssignTime counted from before the request was sent. */
  maxExpiresAt: string;
}

/**
 * The expiry of a binding made between `requestedAtMs` and `boundAtMs`. The platform starts counting
 * MaxAssignTime when it binds, somewhere after the request left: counted from the request, the cap
 * ends no later than the platform's own unbinding, so the session never outlives its binding.
 */
export function expiryAtBind(
  requestedAtMs: number,
  boundAtMs: number,
  ttlSeconds: number,
  maxTtlSeconds: number,
): Expiry {
  const maxExpiresAtMs = requestedAtMs + maxTtlSeconds * 1000;
  const expiresAtMs = Math.min(boundAtMs + ttlSeconds * 1000, maxExpiresAtMs);
  return { expiresAt: new Date(expiresAtMs).toISOString(), maxExpiresAt: new Date(maxExpiresAtMs).toISOString() };
}

/**
 * The expiry after adding `additionalSeconds`, or an Error saying why the extension is refused: the
 * update's validator and its handler both call it, so what is accepted is exactly what is applied.
 */
export function extendedExpiry(current: Partial<Expiry>, additionalSeconds: number): string {
  if (!Number.isInteger(additionalSeconds) || additionalSeconds <= 0) {
    throw new Error('additionalSeconds must be a positive whole number');
  }
  const wanted = Date.parse(current.expiresAt ?? '') + additionalSeconds * 1000;
  if (!(wanted <= Date.parse(current.maxExpiresAt ?? ''))) {
    throw new Error(`cannot extend past ${current.maxExpiresAt} (MaxAssignTime chosen at bind)`);
  }
  return new Date(wanted).toISOString();
}

/**
 * A sliding session's expiry after a call event at `interactionMs`: ttlSeconds after it, never earlier
 * than the current expiry (an extension stands) and never past maxExpiresAt.
 */
export function slidExpiry(current: Expiry, interactionMs: number, ttlSeconds: number): string {
  const slid = Math.min(interactionMs + ttlSeconds * 1000, Date.parse(current.maxExpiresAt));
  return new Date(Math.max(slid, Date.parse(current.expiresAt))).toISOString();
}

/** Milliseconds until `expiresAt` (zero or less once it passed). */
export function msUntilExpiry(expiresAt: string | undefined, nowMs: number): number {
  return Date.parse(expiresAt ?? '') - nowMs;
}
