// The app's side of a masked-call session: start, inspect, extend and close it by its key.
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowExecutionInfo,
  type WorkflowHandle,
  type WorkflowStartOptions,
  WorkflowUpdateStage,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { NppBindId, NppSessionStatus, NppVirtualNum } from '../contract/searchAttributes.ts';
import {
  addReferenceUpdate,
  closeSessionUpdate,
  extendTtlUpdate,
  type ReferenceResult,
  releaseReferenceUpdate,
  SESSION_STATUSES,
  SESSION_WORKFLOW_TYPE,
  type SessionInput,
  type SessionState,
  type SessionStatus,
  sessionStateQuery,
  sessionWorkflowId,
} from '../contract/session.ts';
import { maskPhone } from '../phone.ts';
import type { maskedCallSession } from '../workflows/maskedCallSession.ts';
import { resolveSessionInput } from '../workflows/sessionInput.ts';
import { DEFAULT_BIND_WAIT_MS, type SessionBinding, waitUntilBound } from './bindWait.ts';
import { DEFAULT_CLOSE_WAIT_MS, waitUntilClosed } from './closeWait.ts';

export interface AppClientOptions {
  client: Client;
  /** The workers' task queue (NPP_TASK_QUEUE). Default `npp`. */
  taskQueue?: string;
}

/** A session as the app sees it: its workflow and where it is. */
export interface SessionHandle {
  sessionKey: string;
  workflowId: string;
  /** The run this call started, or the one already running under the same key. */
  runId: string;
}

export interface CloseSessionOptions {
  /** Answer only once the session is `closed` (unbound) or `failed`, not as soon as it began closing. */
  wait?: boolean;
  /** Longest wait with `wait`, in milliseconds; then SessionCloseTimeoutError. Default 15 minutes. */
  timeoutMs?: number;
}

/** One row of listSessions: what visibility knows, without querying the workflow. */
export interface SessionSummary {
  workflowId: string;
  runId: string;
  sessionStatus?: SessionStatus;
  bindId?: string;
  virtualNum?: string;
  startTime: Date;
  closeTime?: Date;
  executionStatus: WorkflowExecutionInfo['status']['name'];
}

export class SessionClient {
  readonly #client: Client;
  readonly #taskQueue: string;

  constructor(options: AppClientOptions) {
    this.#client = options.client;
    this.#taskQueue = options.taskQueue ?? 'npp';
  }

  /**
   * Starts the session, or returns the run that already has this key, running or finished: an app
   * that retries a timed-out start never binds a second number. Session keys are single-use within
   * the namespace's retention. Invalid input throws an ApplicationFailure (type InvalidSessionInput)
   * naming the field, without starting anything.
   */
  async startSession(input: SessionInput): Promise<SessionHandle> {
    // Bad input fails here, before anything starts, with the workflow's own reason (InvalidSessionInput).
    resolveSessionInput(input);
    const workflowId = sessionWorkflowId(input.sessionKey);
    const runId = await startOnce<typeof maskedCallSession>(this.#client, SESSION_WORKFLOW_TYPE, {
      args: [input],
      taskQueue: this.#taskQueue,
      workflowId,
      // Shown in Temporal UI's list: masked, like everything a human reads.
      staticSummary: `${input.mode} session to ${maskPhone(input.dst)}`,
    });
    return { sessionKey: input.sessionKey, workflowId, runId };
  }

  /**
   * Waits until the session has bound its virtual number (GetVirtualNum answered) and answers its
   * BindId and number. Reads what the server keeps of the run, so unlike polling getSession no
   * worker replays the session meanwhile. Throws SessionNotBoundError when the session ended without
   * a number (e.g. its bind failed: getSession has the platform's code) or after `timeoutMs`
   * (default 60 s) while it still tries.
   */
  waitUntilBound(sessionKey: string, options: { timeoutMs?: number } = {}): Promise<SessionBinding> {
    const handle = this.#handle(sessionKey);
    return waitUntilBound(sessionKey, () => handle.describe(), options.timeoutMs ?? DEFAULT_BIND_WAIT_MS);
  }

  /** The session's state, from the workflow itself (also after it closed). */
  getSession(sessionKey: string): Promise<SessionState> {
    return this.#handle(sessionKey).query(sessionStateQuery);
  }

  /**
   * Ends the session. Answers its state as soon as the session took the request: `closing` while it
   * waits for its calls to end and their recordings to arrive before unbinding, or already `closed`.
   * With `wait`, answers only once it is `closed` (the number is released) or `failed`: the close
   * update's answer (at most `timeoutMs`, default 15 minutes; then SessionCloseTimeoutError).
   */
  async closeSession(sessionKey: string, options: CloseSessionOptions = {}): Promise<SessionState> {
    const handle = this.#handle(sessionKey);
    // Accepted, not completed: the update itself may answer only after the (bounded) closing wait.
    const update = await handle.startUpdate(closeSessionUpdate, { waitForStage: WorkflowUpdateStage.ACCEPTED });
    const read = () => handle.query(sessionStateQuery);
    if (!options.wait) return read();
    return waitUntilClosed(
      (signal) => this.#client.connection.withAbortSignal(signal, () => update.result()),
      read,
      options.timeoutMs ?? DEFAULT_CLOSE_WAIT_MS,
    );
  }

  /** Moves the expiry later, within the session's maxTtlSeconds; answers the new expiry. */
  extendSession(sessionKey: string, additionalSeconds: number): Promise<{ expiresAt: string }> {
    return this.#handle(sessionKey).executeUpdate(extendTtlUpdate, { args: [{ additionalSeconds }] });
  }

  /**
   * XB only: takes one more reference on the session's number (GetVirtualNum for the same Dst, e.g.
   * another order for the same callee); answers the session's references and the platform's RefNum.
   */
  addReference(sessionKey: string): Promise<ReferenceResult> {
    return this.#handle(sessionKey).executeUpdate(addReferenceUpdate);
  }

  /**
   * Gives one reference back (DelVirtualNum); once the session holds none it closes with reason
   * `refnum-zero`. Answers the references left.
   */
  releaseReference(sessionKey: string): Promise<ReferenceResult> {
    return this.#handle(sessionKey).executeUpdate(releaseReferenceUpdate);
  }

  /** Sessions known to visibility (eventually consistent), newest first. */
  async listSessions(filter: { sessionStatus?: SessionStatus; limit?: number } = {}): Promise<SessionSummary[]> {
    const clauses = [`WorkflowType = '${SESSION_WORKFLOW_TYPE}'`];
    if (filter.sessionStatus) {
      // Only known values reach the visibility query.
      if (!SESSION_STATUSES.includes(filter.sessionStatus))
        throw new TypeError(`unknown session status: ${filter.sessionStatus}`);
      clauses.push(`NppSessionStatus = '${filter.sessionStatus}'`);
    }
    const rows: SessionSummary[] = [];
    for await (const info of this.#client.workflow.list({ query: clauses.join(' AND ') })) {
      rows.push(toSummary(info));
      if (rows.length >= (filter.limit ?? 100)) break;
    }
    return rows;
  }

  #handle(sessionKey: string): WorkflowHandle<typeof maskedCallSession> {
    return this.#client.workflow.getHandle(sessionWorkflowId(sessionKey));
  }
}

function toSummary(info: WorkflowExecutionInfo): SessionSummary {
  const attributes = info.typedSearchAttributes;
  const sessionStatus = attributes.get(NppSessionStatus) as SessionStatus | undefined;
  const bindId = attributes.get(NppBindId);
  const virtualNum = attributes.get(NppVirtualNum);
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    ...(sessionStatus ? { sessionStatus } : {}),
    ...(bindId ? { bindId } : {}),
    ...(virtualNum ? { virtualNum } : {}),
    startTime: info.startTime,
    ...(info.closeTime ? { closeTime: info.closeTime } : {}),
    executionStatus: info.status.name,
  };
}

/**
 * Starts `workflowType` under `options.workflowId`, or answers the run already holding that id:
 * a running one (USE_EXISTING), or a finished one (REJECT_DUPLICATE refuses to start it again).
 */
export async function startOnce<W extends Workflow>(
  client: Client,
  workflowType: string,
  options: Omit<WorkflowStartOptions<W>, 'workflowIdConflictPolicy' | 'workflowIdReusePolicy'>,
): Promise<string> {
  try {
    const handle = await client.workflow.start<W>(workflowType, {
      ...options,
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      // Omit<> over the SDK's conditional args type loses the link TypeScript needs to see it back.
    } as WorkflowStartOptions<W>);
    return handle.firstExecutionRunId;
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    return (await client.workflow.getHandle(options.workflowId).describe()).runId;
  }
}
