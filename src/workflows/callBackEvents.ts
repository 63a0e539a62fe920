// How events fold into a callback call's state. Pure and order-independent: status bits are a union,
// key presses are sorted by time, the CDR is set once, so any arrival order gives the same state.

import type { CallBackCdrSummary, CallBackHangupEvent, CallBackState, CallBackStatus } from '../contract/callBack.ts';
import type { CallBackCdr } from '../npp/models.ts';
import { StatusFlagBits as Bit } from '../npp/models.ts';

/** CallBackCdr.CallEndStatus meanings. */
export const CALLBACK_END_STATUS_TEXT: Record<number, string> = {
  0: 'unknown',
  1: 'normal',
  2: 'caller did not answer',
  3: 'caller answered, callee did not',
  4: 'caller unreachable',
  5: 'callee unreachable',
};

const ENDED_BITS =
  Bit.CallerRejected | Bit.CallerHangup | Bit.CallerError | Bit.CalleeRejected | Bit.CalleeHangup | Bit.CalleeError;

/** The furthest stage the reported bits show; `cancelled` and `failed` are set by the workflow and stay. */
export function statusOf(state: CallBackState): CallBackStatus {
  if (state.status === 'cancelled' || state.status === 'failed') return state.status;
  const bits = state.statusBits;
  // Polling gave up (cdrMissingReason) only once the call cannot be going on any more.
  if (state.cdr !== undefined || state.cdrMissingReason !== undefined || bits & ENDED_BITS) return 'ended';
  if (bits & Bit.CalleeAnswered) return 'connected';
  if (bits & (Bit.CalleeCallStart | Bit.CalleeRinging)) return 'callee-ringing';
  if (bits & Bit.CallerAnswered) return 'caller-answered';
  if (bits & (Bit.CallerCallStart | Bit.CallerRinging)) return 'caller-ringing';
  return 'created';
}

const iso = (seconds: number | undefined) => (seconds ? new Date(seconds * 1000).toISOString() : undefined);

export function cdrSummary(event: CallBackHangupEvent, source: CallBackCdrSummary['source']): CallBackCdrSummary {
  const moments = {
    callerCalledAt: iso(event.startSrcCallTime),
    callerRingingAt: iso(event.startSrcRingTime),
    callerAnsweredAt: iso(event.srcAcceptTime),
    calleeCalledAt: iso(event.startDstCallTime),
    calleeRingingAt: iso(event.startDstRingTime),
    calleeAnsweredAt: iso(event.dstAcceptTime),
    endedAt: iso(event.endCallTime),
  };
  return {
    endStatus: event.callEndStatus,
    endStatusText: CALLBACK_END_STATUS_TEXT[event.callEndStatus] ?? 'unknown',
    duration: event.duration,
    ...Object.fromEntries(Object.entries(moments).filter(([, value]) => value !== undefined)),
    ...(event.callType === undefined ? {} : { callType: event.callType }),
    ...(event.orderId ? { orderId: event.orderId } : {}),
    source,
  };
}

/** A CDR as DescribeCallBackCdr answers it (strings, "0" = never reached) → the hangup event's shape. */
export function hangupFromCdr(cdr: CallBackCdr): CallBackHangupEvent {
  const time = (value: string | undefined) => (Number(value) > 0 ? Number(value) : undefined);
  const event: CallBackHangupEvent = {
    eventId: `cdr-poll-${cdr.CallId}`,
    callId: cdr.CallId,
    startSrcCallTime: time(cdr.StartSrcCallTime),
    startSrcRingTime: time(cdr.StartSrcRingTime),
    srcAcceptTime: time(cdr.SrcAcceptTime),
    startDstCallTime: time(cdr.StartDstCallTime),
    startDstRingTime: time(cdr.StartDstRingTime),
    dstAcceptTime: time(cdr.DstAcceptTime),
    endCallTime: time(cdr.EndCallTime),
    callEndStatus: Number(cdr.CallEndStatus) || 0,
    duration: Number(cdr.Duration) || 0,
    ...(cdr.RecordUrl ? { recordUrl: cdr.RecordUrl } : {}),
  };
  return Object.fromEntries(Object.entries(event).filter(([, value]) => value !== undefined)) as CallBackHangupEvent;
}
