// Where the console-default events of a call went: the workflow that accepted its first event.
// Ownership is sticky (a session that accepted an event lists the call in NppCallId and stays its
// owner while it runs), so the later events of the call (five statuses, hangup, recording, keys) can
// skip the visibility lookup. Visibility queries are rate limited per namespace by the server
// (RESOURCE_EXHAUSTED), and the client's backoff then outlasts the request's deadline: one lookup
// per event made the webhook answer 503 under load while nothing was down.

/** Default bound: the calls of the last few minutes at a high callback rate. */
export const DEFAULT_CALL_ROUTES = 10_000;

/** A bounded map of CallId → workflow id, least recently used forgotten first. */
export class CallRoutes {
  readonly #routes = new Map<string, string>();
  readonly #capacity: number;

  constructor(capacity = DEFAULT_CALL_ROUTES) {
    this.#capacity = capacity;
  }

  get(callId: string): string | undefined {
    const workflowId = this.#routes.get(callId);
    if (workflowId !== undefined) {
      // Re-inserted: a Map iterates in insertion order, so the first key is the least recently used.
      this.#routes.delete(callId);
      this.#routes.set(callId, workflowId);
    }
    return workflowId;
  }

  remember(callId: string, workflowId: string): void {
    this.#routes.delete(callId);
    this.#routes.set(callId, workflowId);
    if (this.#routes.size > this.#capacity) {
      const oldest = this.#routes.keys().next().value;
      if (oldest !== undefined) this.#routes.delete(oldest);
    }
  }

  /** The workflow is gone (closed): the next event of the call is looked up again. */
  forget(callId: string): void {
    this.#routes.delete(callId);
  }
}
