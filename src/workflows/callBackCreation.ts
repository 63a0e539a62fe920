// CreateCallBack for a callback call's run, recovering the call an attempt made when its answer was
// lost. Imports only @temporalio/workflow and pure modules.
import { ApplicationFailure, condition, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { NppActivities } from '../activities/nppActivities.ts';
import { NPP_ACTIVITY_OPTIONS } from '../activities/options.ts';
import type { CallBackState } from '../contract/callBack.ts';
import { CALL_MADE_BY_EARLIER_ATTEMPT, WORKFLOW_FAILURES } from '../contract/failures.ts';
import type { CallBackCdr } from '../npp/models.ts';
import type { CallBackEventGate } from './callBackEventGate.ts';
import type { ResolvedCallBackInput } from './callBackInput.ts';
import { type CdrPoller, MAX_CDR_POLLS } from './cdrPoller.ts';
import { failureOf } from './failures.ts';

/** CreateCallBack's request as the activity takes it (the client adds the worker's BizAppId). */
type CreateRequest = Parameters<NppActivities['createCallBack']>[0];

const { createCallBack } = proxyActivities<NppActivities>(NPP_ACTIVITY_OPTIONS.CreateCallBack);
const { describeCallerDisplayList } = proxyActivities<NppActivities>(NPP_ACTIVITY_OPTIONS.DescribeCallerDisplayList);

/** What creating the call needs of the run. */
export interface CreationContext {
  input: ResolvedCallBackInput;
  state: CallBackState;
  createdAtMs: number;
  gate: CallBackEventGate;
  poller: CdrPoller;
}

/**
 * Makes the call and records its CallId and display numbers on the state; answers the call's CDR
 * when recovering a lost answer found it. Every request carries a BizId (the app's, else the run id
 * without dashes, which leads an operator from the platform's records to the run) and the platform
 * refuses a BizId twice, so a retry cannot ring the caller again: the activity reports that refusal
 * as CallMadeByEarlierAttempt and the call is then found as recoverLostCall says.
 */
export async function createCall(context: CreationContext): Promise<CallBackCdr | undefined> {
  const { input, state } = context;
  const bizId = input.bizId ?? workflowInfo().runId.replaceAll('-', '');
  state.bizId = bizId;
  const bizAppId = input.bizAppId ? { BizAppId: input.bizAppId } : {};
  let srcDisplayNum = input.srcDisplayNum;
  let dstDisplayNum = input.dstDisplayNum;
  if (input.chooseDisplayNumbers && (!srcDisplayNum || !dstDisplayNum)) {
    const { CodeList } = await describeCallerDisplayList(bizAppId);
    const numbers = (CodeList ?? []).map((code) => `${code.Nation}${code.Phone}`);
    // An empty list means both parties see each other's number: nothing to choose.
    srcDisplayNum ??= numbers[0];
    dstDisplayNum ??= numbers[1] ?? numbers[0];
  }
  const request: CreateRequest = {
    Src: input.src,
    Dst: input.dst,
    ...(srcDisplayNum ? { SrcDisplayNum: srcDisplayNum } : {}),
    ...(dstDisplayNum ? { DstDisplayNum: dstDisplayNum } : {}),
    Record: input.record ? '1' : '0',
    MaxAllowTime: String(input.maxAllowTime),
    StatusFlag: String(input.statusFlag),
    BizId: bizId,
    ...(input.orderId ? { OrderId: input.orderId } : {}),
    ...(input.lastCallId ? { LastCallId: input.lastCallId } : {}),
    ...preCallerHandle(input),
    ...bizAppId,
  };
  let callId: string | undefined;
  let recoveredCdr: CallBackCdr | undefined;
  try {
    const response = await createCallBack.executeWithOptions(
      { ...NPP_ACTIVITY_OPTIONS.CreateCallBack, summary: `call back ${state.src} → ${state.dst}` },
      [request],
    );
    callId = response.CallId;
    state.srcDisplayNum = response.SrcDisplayNum ?? srcDisplayNum;
    state.dstDisplayNum = response.DstDisplayNum ?? dstDisplayNum;
  } catch (error) {
    if (failureOf(error).code !== CALL_MADE_BY_EARLIER_ATTEMPT) throw error;
    log.warn('an earlier CreateCallBack attempt made the call unseen; recovering its CallId');
    ({ callId, cdr: recoveredCdr } = await recoverLostCall(context, bizId));
    state.srcDisplayNum = srcDisplayNum;
    state.dstDisplayNum = dstDisplayNum;
  }
  if (!callId) throw ApplicationFailure.nonRetryable('CreateCallBack answered no CallId', WORKFLOW_FAILURES.noCallId);
  state.callId = callId;
  return recoveredCdr;
}

/** PreCallerHandle as the platform takes it; the activity fills in this worker's keypress URL. */
function preCallerHandle({ preCallerHandle: handle }: ResolvedCallBackInput): Pick<CreateRequest, 'PreCallerHandle'> {
  if (!handle) return {};
  return {
    PreCallerHandle: {
      ReadPrompt: handle.readPrompt,
      InterruptPrompt: handle.interruptPrompt,
      KeyList: handle.keyList.map(({ key, operate }) => ({ Key: key, Operate: String(operate) })),
      RepeatTimes: String(handle.repeatTimes ?? 2),
      KeyPressUrl: '',
      PromptGender: String(handle.promptGender ?? 1),
    },
  };
}

/**
 * The call an unseen CreateCallBack made: named by the first event pushed to this run's callback
 * URLs, or, once the call's longest life is over without one, by its CDR carrying the BizId.
 */
async function recoverLostCall(
  { input, state, createdAtMs, gate, poller }: CreationContext,
  bizId: string,
): Promise<{ callId: string; cdr?: CallBackCdr }> {
  const fromEvent = () => {
    state.callIdRecoveredFrom = 'event';
    return { callId: gate.heldCallId(bizId) as string };
  };
  const deadline = createdAtMs + input.hangupTimeoutSeconds * 1000;
  const named = () => gate.heldCallId(bizId) !== undefined;
  if (await condition(named, Math.max(1, deadline - Date.now()))) return fromEvent();
  for (let polls = 0; polls < MAX_CDR_POLLS; polls++) {
    const cdr = (await poller.callerCdrs()).find((record) => record.BizId === bizId);
    if (cdr) {
      state.callIdRecoveredFrom = 'cdr';
      return { callId: cdr.CallId, cdr };
    }
    if (await condition(named, input.pollIntervalSeconds * 1000)) return fromEvent();
  }
  throw ApplicationFailure.nonRetryable(
    'no event and no CDR named the call an earlier attempt made',
    WORKFLOW_FAILURES.callIdNotRecovered,
  );
}
