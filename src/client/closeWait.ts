// Waiting for a session to finish closing: closeSession answers once the session took the request,
// while the session may still wait for its calls and recordings (status `closing`) before it unbinds.
import type { SessionState } from '../contract/session.ts';

/**
 * Default bound of closeSession's wait: beyond the default recordingWaitSeconds (600 s), with room
 * for the Get400Cdr lookups and an unbinding retried a few times.
 */
export const DEFAULT_CLOSE_WAIT_MS = 15 * 60_000;

// Unbinding takes one NPP call when nothing is awaited: the first read comes soon, later ones back off.
const FIRST_POLL_MS = 100;
const MAX_POLL_MS = 5_000;

/**
 * The session had not closed when the wait ran out; `state` is the last one read. Apps recognise it
 * by `name === 'SessionCloseTimeoutError'` (the package exports only its type).
 */
export class SessionCloseTimeoutError extends Error {
  override readonly name = 'SessionCloseTimeoutError';
  readonly state: SessionState;

  constructor(state: SessionState, timeoutMs: number) {
    const since = state.closingAt ? ` (closing since ${state.closingAt})` : '';
    const unbind = state.unbindFailure ? `; unbinding keeps failing with ${state.unbindFailure.code}` : '';
    super(
      `session ${state.sessionKey} is still ${state.status}${since} after waiting ${Math.round(timeoutMs / 1000)} s${unbind}; ` +
        'it closes by itself, read it again later',
    );
    this.state = state;
  }
}

const isFinal = (state: SessionState) => state.status === 'closed' || state.status === 'failed';

/**
 * Answers the session's state once it is `closed` or `failed`, reading it with `read` (backing off
 * from 100 ms to 5 s); throws SessionCloseTimeoutError when `timeoutMs` ran out first.
 */
export async function waitUntilClosed(
  first: SessionState,
  read: () => Promise<SessionState>,
  timeoutMs: number,
): Promise<SessionState> {
  const deadline = Date.now() + timeoutMs;
  let state = first;
  for (let pause = FIRST_POLL_MS; !isFinal(state); pause = Math.min(pause * 2, MAX_POLL_MS)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new SessionCloseTimeoutError(state, timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    state = await read();
  }
  return state;
}
