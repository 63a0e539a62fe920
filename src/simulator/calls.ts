import { randomUUID } from 'node:crypto';
import type { CallBackCdr, VirturalNumCdr } from '../npp/models.ts';
import { StatusFlagBits as Bit } from '../npp/models.ts';
import type { CallbackEvent, Delivery } from './delivery.ts';
import { AdminFailure, BusinessFailure } from './failures.ts';
import { CALLBACK_STAGES, type CallbackCall, type CallbackStage, type CallbackUrls, type SimState } from './model.ts';
import { event, lowerCamel, type Payload, statusEvent } from './payloads.ts';

/*
 * The call driver: plays a call through the platform's states and hands the resulting callbacks to
 * delivery. Simulated times are unix seconds from the clock plus fixed offsets (ringing 1 s after the
 * call starts, answer 5 s, no-answer timeout 30 s) plus the requested duration; nothing waits.
 */

export type Outcome = 'answered' | 'busy' | 'no-answer' | 'rejected';
export const OUTCOMES: readonly Outcome[] = ['answered', 'busy', 'no-answer', 'rejected'];

export interface DriverContext {
  state: SimState;
  delivery: Delivery;
  /** Unix milliseconds. */
  now: () => number;
  recordingUrl: (callId: string) => string;
  /**
   * Used when the binding or CreateCallBack gave no URL ("正式环境可以配置默认推送地址"); the seed names
   * no such default for KeyPressUrl.
   */
  defaults: CallbackUrls;
}

export const newCallId = (): string => randomUUID().replaceAll('-', '');
const nowSeconds = (ctx: DriverContext): number => Math.floor(ctx.now() / 1000);

export interface SessionCallInput {
  virtualNum: string;
  caller: string;
  outcome: Outcome;
  durationSeconds: number;
}

export interface SessionCallResult {
  CallId: string;
  /** "" when the caller is a party of no binding on the (AXB-shared) number. */
  BindId: string;
  Src: string;
  Dst: string;
  VirtualNum: string;
  /** False when the platform refused to forward the call (caller not a party / not accredited). */
  Forwarded: boolean;
  CallEndStatus: string;
  RecordUrl: string;
}

/**
 * A call dialled to a bound virtual number (AXB/XB), from the caller's "call start" to the CDR. It runs
 * through the XB binding holding the number, or the AXB binding of the caller on it. A number shared
 * by AXB pairs none of which has the caller cannot name a binding: the call is refused with no BindId,
 * and only the configured default URLs hear of it (assumption: the seed does not say).
 */
export function simulateSessionCall(ctx: DriverContext, input: SessionCallInput): SessionCallResult {
  const binding = ctx.state.bindingForCall(input.virtualNum, input.caller);
  if (!binding && ctx.state.bindingsOfNumber(input.virtualNum).length === 0) {
    throw new AdminFailure(404, 'virtual number is not bound');
  }
  const callId = newCallId();
  const t = nowSeconds(ctx);
  const urls = { ...ctx.defaults, ...binding?.urls };
  const bindId = binding?.bindId ?? '';
  const virtualNum = input.virtualNum;
  let dst = '';
  if (binding?.mode === 'AXB') {
    dst = input.caller === binding.src ? binding.dst : (binding.src ?? '');
  } else if (binding && (binding.accreditList.length === 0 || binding.accreditList.includes(input.caller))) {
    dst = binding.dst;
  }
  const base: Payload = { callId, bindId, src: input.caller, dst, virtualNum };
  const status = (bit: number, at: number): CallbackEvent[] =>
    statusEvent(urls.status, binding?.statusFlag ?? 0, bit, at, base);
  const events: CallbackEvent[] = [...status(Bit.CallerCallStart, t)];

  // Times of the callee leg: [ring, accept, end] and the CDR end status.
  let ring = 0;
  let accept = 0;
  let end = t;
  let endStatus: string;
  if (dst === '') {
    // The platform found no callee for this caller: "查询呼叫转移被叫号异常".
    endStatus = '2';
    events.push(...status(Bit.CallerError, t));
  } else {
    events.push(...status(Bit.CalleeCallStart, t));
    if (input.outcome === 'busy') {
      end = t + 1;
      endStatus = '8';
      events.push(...status(Bit.CalleeError, end));
    } else {
      ring = t + 1;
      events.push(...status(Bit.CalleeRinging, ring));
      if (input.outcome === 'answered') {
        accept = t + 5;
        end = accept + input.durationSeconds;
        endStatus = '1';
        events.push(...status(Bit.CalleeAnswered, accept));
      } else if (input.outcome === 'rejected') {
        end = t + 4;
        endStatus = '5';
        events.push(...status(Bit.CalleeRejected, end));
      } else {
        end = t + 30;
        endStatus = '4';
      }
    }
    events.push(...status(Bit.CallerHangup, end));
    if (accept > 0) events.push(...status(Bit.CalleeHangup, end));
  }

  const recorded = binding?.record === true && accept > 0;
  const cdr: VirturalNumCdr = {
    CallId: callId,
    BindId: bindId,
    Src: input.caller,
    Dst: dst,
    DstVirtualNum: virtualNum,
    CallCenterAcceptTime: String(t),
    StartDstCallTime: dst === '' ? '0' : String(t),
    StartDstRingTime: String(ring),
    DstAcceptTime: String(accept),
    EndCallTime: String(end),
    CallEndStatus: endStatus,
    SrcDuration: String(end - t),
    DstDuration: String(accept > 0 ? end - accept : 0),
    RecordUrl: '',
  };
  ctx.state.addSessionCdr(cdr);
  const recordUrl = ctx.recordingUrl(callId);
  const recording = () => {
    produceRecording(ctx, cdr, recordUrl);
    return event('record', urls.record, { callId, bindId, recordUrl });
  };
  const delayMs = ctx.delivery.settings.recordingDelayMs;
  if (recorded && delayMs === 0) produceRecording(ctx, cdr, recordUrl);
  events.push(...event('hangup', urls.hangup, lowerCamel(cdr)));
  if (recorded && delayMs === 0) events.push(...recording());
  ctx.delivery.send(callId, events);
  if (recorded && delayMs > 0) ctx.delivery.later(callId, delayMs, recording);
  return {
    CallId: callId,
    BindId: bindId,
    Src: input.caller,
    Dst: dst,
    VirtualNum: virtualNum,
    Forwarded: dst !== '',
    CallEndStatus: endStatus,
    RecordUrl: recorded ? recordUrl : '',
  };
}

/** The recording is ready: its URL serves the file and the call's CDR carries it from now on. */
function produceRecording(ctx: DriverContext, cdr: { CallId: string; RecordUrl: string }, recordUrl: string): void {
  ctx.state.recordings.add(cdr.CallId);
  cdr.RecordUrl = recordUrl;
}

export interface ProgressInput {
  /** Stop once this stage is reached (default: run to the end). */
  until: CallbackStage;
  callerOutcome: Outcome;
  calleeOutcome: Outcome;
  /** Key the caller presses at the PreCallerHandle prompt. */
  key?: string;
  durationSeconds: number;
}

export interface ProgressResult {
  CallId: string;
  Stage: CallbackStage;
  CallStatus: string;
  /** Set once the call has ended. */
  CallEndStatus?: string;
  /** True when the call waits for a key press (PreCallerHandle) before dialling the callee. */
  AwaitingKey: boolean;
}

const stageIndex = (stage: CallbackStage): number => CALLBACK_STAGES.indexOf(stage);

/** Drives a callback call (CreateCallBack) forward, one stage at a time, until `input.until` or its end. */
export function progressCallback(ctx: DriverContext, callId: string, input: ProgressInput): ProgressResult {
  const call = ctx.state.callback(callId);
  const events: CallbackEvent[] = [];
  let awaitingKey = false;
  let key = input.key;
  // At most one step per stage.
  for (let i = 0; i < CALLBACK_STAGES.length && stageIndex(call.stage) < stageIndex(input.until); i++) {
    if (call.stage === 'caller-answered' && needsKey(call)) {
      if (key === undefined) {
        awaitingKey = true;
        break;
      }
      const proceed = pressKey(ctx, call, key, events);
      key = undefined;
      if (!proceed) {
        awaitingKey = (call.stage as CallbackStage) !== 'ended';
        break;
      }
    }
    step(ctx, call, input, events);
  }
  ctx.delivery.send(callId, events);
  return progressResult(call, awaitingKey);
}

/** DeleteCallBack: tears the call down unless CancelFlag forbids it at the call's stage. */
export function cancelCallback(ctx: DriverContext, callId: string, cancelFlag: number): void {
  const call = ctx.state.callback(callId);
  if (call.stage === 'ended') throw new BusinessFailure('CallNotCancellable', 'The call has already ended.');
  const reached = stageIndex(call.stage);
  if (cancelFlag > 0 && reached >= cancelFlag) {
    throw new BusinessFailure(
      'CallNotCancellable',
      `CancelFlag ${cancelFlag} forbids tearing down at stage ${call.stage}.`,
    );
  }
  const events: CallbackEvent[] = [];
  // Before the caller answered: "主叫未接"; before the callee answered: "主叫接听,被叫未接"; else a normal call.
  const status = reached < 2 ? '2' : reached < 4 ? '3' : '1';
  end(ctx, call, status, nextTime(ctx, call), events);
  ctx.delivery.send(callId, events);
}

export function progressResult(call: CallbackCall, awaitingKey = false): ProgressResult {
  const result: ProgressResult = {
    CallId: call.callId,
    Stage: call.stage,
    CallStatus: String(stageIndex(call.stage)),
    AwaitingKey: awaitingKey,
  };
  if (call.endStatus !== undefined) result.CallEndStatus = call.endStatus;
  return result;
}

function needsKey(call: CallbackCall): boolean {
  return (call.preCallerHandle?.KeyList.length ?? 0) > 0;
}

/** Strictly increasing simulated seconds within a call: the clock, or one past the latest moment. */
function nextTime(ctx: DriverContext, call: CallbackCall): number {
  const latest = Math.max(...Object.values(call.times), call.lastKeyAt ?? 0);
  return latest === 0 ? nowSeconds(ctx) : Math.max(nowSeconds(ctx), latest + 1);
}

function statusOf(ctx: DriverContext, call: CallbackCall, bit: number, at: number): CallbackEvent[] {
  const url = call.urls.status ?? ctx.defaults.status;
  return statusEvent(url, call.statusFlag, bit, at, { callId: call.callId, src: call.src, dst: call.dst });
}

/** The caller's key press; answers whether the callee is dialled now. */
function pressKey(ctx: DriverContext, call: CallbackCall, key: string, events: CallbackEvent[]): boolean {
  const handle = call.preCallerHandle;
  const at = nextTime(ctx, call);
  call.lastKeyAt = at;
  // "如果为空不回调": an empty KeyPressUrl means no keypress callback, with no default to fall back on.
  const url = handle?.KeyPressUrl || undefined;
  events.push(...event('keypress', url, { callId: call.callId, key, timestamp: String(at) }));
  const operate = handle?.KeyList.find((k) => k.Key === key)?.Operate;
  if (operate === '1') return true;
  // Operate 2 and undefined keys replay the prompt, up to RepeatTimes; Operate 3 hangs up.
  call.keyReplays += 1;
  if (operate === '3' || call.keyReplays > Number(handle?.RepeatTimes || 0)) end(ctx, call, '3', at, events);
  return false;
}

function step(ctx: DriverContext, call: CallbackCall, input: ProgressInput, events: CallbackEvent[]): void {
  const at = nextTime(ctx, call);
  const status = (bit: number): void => {
    events.push(...statusOf(ctx, call, bit, at));
  };
  switch (call.stage) {
    case 'created':
      call.times.startSrcCallTime = at;
      call.times.startSrcRingTime = at;
      status(Bit.CallerCallStart);
      status(Bit.CallerRinging);
      call.stage = 'caller-ringing';
      return;
    case 'caller-ringing':
      if (input.callerOutcome === 'answered') {
        call.times.srcAcceptTime = at;
        status(Bit.CallerAnswered);
        call.stage = 'caller-answered';
      } else {
        if (input.callerOutcome === 'busy') status(Bit.CallerError);
        if (input.callerOutcome === 'rejected') status(Bit.CallerRejected);
        end(ctx, call, input.callerOutcome === 'busy' ? '4' : '2', at, events);
      }
      return;
    case 'caller-answered':
      call.times.startDstCallTime = at;
      call.times.startDstRingTime = at;
      status(Bit.CalleeCallStart);
      status(Bit.CalleeRinging);
      call.stage = 'callee-ringing';
      return;
    case 'callee-ringing':
      if (input.calleeOutcome === 'answered') {
        call.times.dstAcceptTime = at;
        status(Bit.CalleeAnswered);
        call.stage = 'callee-answered';
      } else {
        if (input.calleeOutcome === 'busy') status(Bit.CalleeError);
        if (input.calleeOutcome === 'rejected') status(Bit.CalleeRejected);
        end(ctx, call, input.calleeOutcome === 'busy' ? '5' : '3', at, events);
      }
      return;
    case 'callee-answered': {
      const talk = Math.min(input.durationSeconds, call.maxAllowMinutes * 60);
      end(ctx, call, '1', Math.max(at, call.times.dstAcceptTime + talk), events);
      return;
    }
    case 'ended':
      return;
  }
}

/** Ends the call: hang-up states of the connected legs, the CallBackCdr and the recording. */
function end(ctx: DriverContext, call: CallbackCall, endStatus: string, at: number, events: CallbackEvent[]): void {
  call.stage = 'ended';
  call.times.endCallTime = at;
  call.endStatus = endStatus;
  if (call.times.srcAcceptTime > 0) events.push(...statusOf(ctx, call, Bit.CallerHangup, at));
  if (call.times.dstAcceptTime > 0) events.push(...statusOf(ctx, call, Bit.CalleeHangup, at));
  const talked = call.times.dstAcceptTime > 0;
  const recorded = call.record && talked;
  const t = call.times;
  const cdr: CallBackCdr = {
    CallId: call.callId,
    Src: call.src,
    Dst: call.dst,
    StartSrcCallTime: String(t.startSrcCallTime),
    StartSrcRingTime: String(t.startSrcRingTime),
    SrcAcceptTime: String(t.srcAcceptTime),
    StartDstCallTime: String(t.startDstCallTime),
    StartDstRingTime: String(t.startDstRingTime),
    DstAcceptTime: String(t.dstAcceptTime),
    EndCallTime: String(at),
    CallEndStatus: endStatus,
    Duration: String(talked ? at - t.dstAcceptTime : 0),
    RecordUrl: '',
    CallType: '3',
    BizId: call.bizId ?? '',
    OrderId: call.orderId ?? '',
  };
  ctx.state.addCallbackCdr(cdr);
  const recordUrl = ctx.recordingUrl(call.callId);
  const recording = () => {
    produceRecording(ctx, cdr, recordUrl);
    return event('record', call.urls.record ?? ctx.defaults.record, { callId: call.callId, recordUrl });
  };
  const delayMs = ctx.delivery.settings.recordingDelayMs;
  if (recorded && delayMs === 0) produceRecording(ctx, cdr, recordUrl);
  events.push(...event('hangup', call.urls.hangup ?? ctx.defaults.hangup, lowerCamel(cdr)));
  if (recorded && delayMs === 0) events.push(...recording());
  // Sent after this batch: the call's events leave in order.
  if (recorded && delayMs > 0) ctx.delivery.later(call.callId, delayMs, recording);
}
