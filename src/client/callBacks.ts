// The app's side of a callback call (回拨): start it, follow it, cancel it, by the app's call key.
import type { Client, WorkflowHandle } from '@temporalio/client';
import {
  CALLBACK_WORKFLOW_TYPE,
  type CallBackInput,
  type CallBackState,
  type CancelCallBackResult,
  type CancelFlag,
  callBackStateQuery,
  callBackWorkflowId,
  cancelCallBackUpdate,
} from '../contract/callBack.ts';
import { maskPhone } from '../phone.ts';
import type { callBackCall } from '../workflows/callBackCall.ts';
import { resolveCallBackInput } from '../workflows/callBackInput.ts';
import { type AppClientOptions, startOnce } from './sessions.ts';

export interface CallBackHandle {
  callKey: string;
  workflowId: string;
  runId: string;
}

export class CallBackClient {
  readonly #client: Client;
  readonly #taskQueue: string;

  constructor(options: AppClientOptions) {
    this.#client = options.client;
    this.#taskQueue = options.taskQueue ?? 'npp';
  }

  /** Starts the call, or returns the run that already has this key, running or finished: a retried start rings nobody twice. */
  async startCallBackCall(input: CallBackInput): Promise<CallBackHandle> {
    // Bad input fails here, before anything starts, with the workflow's own reason (InvalidCallBackInput).
    resolveCallBackInput(input);
    const workflowId = callBackWorkflowId(input.callKey);
    const runId = await startOnce<typeof callBackCall>(this.#client, CALLBACK_WORKFLOW_TYPE, {
      args: [input],
      taskQueue: this.#taskQueue,
      workflowId,
      staticSummary: `Callback call ${maskPhone(input.src)} → ${maskPhone(input.dst)}`,
    });
    return { callKey: input.callKey, workflowId, runId };
  }

  getCallBackCall(callKey: string): Promise<CallBackState> {
    return this.#handle(callKey).query(callBackStateQuery);
  }

  /** DeleteCallBack with `cancelFlag` (default 0: whatever the stage); answers whether it was torn down. */
  cancelCallBackCall(callKey: string, cancelFlag: CancelFlag = 0): Promise<CancelCallBackResult> {
    return this.#handle(callKey).executeUpdate(cancelCallBackUpdate, { args: [{ cancelFlag }] });
  }

  /** The final state, once the call ended (or failed). */
  result(callKey: string): Promise<CallBackState> {
    return this.#handle(callKey).result();
  }

  #handle(callKey: string): WorkflowHandle<typeof callBackCall> {
    return this.#client.workflow.getHandle(callBackWorkflowId(callKey));
  }
}
