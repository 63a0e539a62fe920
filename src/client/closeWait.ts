// Waiting for a session to finish closing: closeSession answers once the session took the request,
// while the session may still wait for its calls and recordings (status `closing`) before it unbinds;
// with `wait` it answers once the close update does.
import type { SessionState } from '../contract/session.ts';

/**
 * Default bound of closeSession's wait: beyond the default recordingWaitSeconds (600 s), with room
 * for the Get400Cdr lookups and an unbinding retried a few times.
 */
export const DEFAULT_CLOSE_WAIT_MS = 15 * 60_000;

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
 * Answers the session's state once it is `closed` or `failed`. `answer` is the close update's own
 * result, which Temporal hands over as the session unbinds: nothing is polled, and no query makes
 * a worker replay the run meanwhile. A run that ended without answering (a session that failed
 * while closing) is read once with `read`. When `timeoutMs` runs out first, `answer` is aborted
 * through its signal and SessionCloseTimeoutError carries the state read then.
 */
export async function waitUntilClosed(
  answer: (signal: AbortSignal) => Promise<SessionState>,
  read: () => Promise<SessionState>,
  timeoutMs: number,
): Promise<SessionState> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), timeoutMs);
  try {
    return await answer(timeout.signal);
  } catch (error) {
    if (timeout.signal.aborted) throw new SessionCloseTimeoutError(await read(), timeoutMs);
    const state = await read();
    if (isFinal(state)) return state;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
