// Waiting for a session to bind its virtual number, from what the server keeps of the run (its search
// attributes, read with describe): a query would make a worker replay the whole session to answer
// (the workers keep no run in memory), and an app waiting for a binding reads it several times.
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { NppBindId, NppSessionStatus, NppVirtualNum } from '../contract/searchAttributes.ts';

/** A bound session's binding, as waitUntilBound answers it. */
export interface SessionBinding {
  bindId: string;
  virtualNum: string;
}

/** Default bound of the wait: a bind retried through a few slow or failed NPP answers. */
export const DEFAULT_BIND_WAIT_MS = 60_000;

const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 1_000;

/**
 * The session ended without a number (its bind failed, or it was closed or cancelled first), or it
 * had not bound when the wait ran out. Apps recognise it by `name === 'SessionNotBoundError'`;
 * `sessionStatus` is the session's last status (`open` while still binding), `getSession` has the
 * rest (e.g. the platform's code of a failed bind).
 */
export class SessionNotBoundError extends Error {
  override readonly name = 'SessionNotBoundError';
  readonly sessionStatus: string | undefined;

  constructor(message: string, sessionStatus: string | undefined) {
    super(message);
    this.sessionStatus = sessionStatus;
  }
}

/**
 * Answers the session's binding once its search attributes carry it, describing the run with
 * `describe` (from 50 ms apart, backing off to 1 s). Throws SessionNotBoundError when the session
 * failed, closed or ended without one, or when `timeoutMs` ran out first.
 */
export async function waitUntilBound(
  sessionKey: string,
  describe: () => Promise<Pick<WorkflowExecutionDescription, 'status' | 'typedSearchAttributes'>>,
  timeoutMs: number,
): Promise<SessionBinding> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = FIRST_POLL_MS; ; pause = Math.min(pause * 2, MAX_POLL_MS)) {
    const { status, typedSearchAttributes } = await describe();
    const bindId = typedSearchAttributes.get(NppBindId);
    const virtualNum = typedSearchAttributes.get(NppVirtualNum);
    if (bindId && virtualNum) return { bindId, virtualNum };
    const sessionStatus = typedSearchAttributes.get(NppSessionStatus);
    if (status.name !== 'RUNNING' || sessionStatus === 'failed' || sessionStatus === 'closed') {
      throw new SessionNotBoundError(
        `session ${sessionKey} ended without a virtual number (${sessionStatus ?? status.name.toLowerCase()}); getSession tells why`,
        sessionStatus,
      );
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new SessionNotBoundError(
        `session ${sessionKey} has not bound a virtual number after ${Math.round(timeoutMs / 1000)} s; it goes on trying`,
        sessionStatus,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
  }
}
