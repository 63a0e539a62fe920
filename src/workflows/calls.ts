// How call events fold into a call's record. Pure and order-independent: every field is a union
// (status bits), a minimum or maximum (times), or set once from the CDR, so any arrival order and
// any number of redeliveries give the same record.
import type { CallHangupEvent, CallRecord, CallRecordingEvent, CallStatusEvent, KeyPressEvent } from './definitions.ts';
import { maskPhone } from '../phone.ts';

/** StatusFlag bits (the seed's values) that tell a call was answered or is over. */
const ANSWERED_BITS = 4 | 1024;
const ENDED_BITS = 8 | 16 | 32 | 2048 | 4096 | 8192;

/** VirturalNumCdr.CallEndStatus meanings. */
export const CALL_END_STATUS_TEXT: Record<number, string> = {
  0: 'unknown',
  1: 'normal',
  2: 'forwarding lookup error',
  3: 'not connected',
  4: 'not answered',
  5: 'rejected',
  6: 'powered off',
  7: 'no such number',
  8: 'busy',
  9: 'in arrears',
  10: 'carrier or platform error',
};

const earliest = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);
const latest = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b);

export function emptyCall(callId: string): CallRecord {
  return { callId, state: 'ringing', statusBits: 0, keys: [] };
}

function withState(call: CallRecord): CallRecord {
  const ended = call.endStatus !== undefined || (call.statusBits & ENDED_BITS) !== 0;
  const answered = (call.statusBits & ANSWERED_BITS) !== 0 || (call.dstDuration ?? 0) > 0;
  return { ...call, state: ended ? 'ended' : answered ? 'answered' : 'ringing' };
}

function withParties(call: CallRecord, caller?: string, callee?: string): CallRecord {
  return {
    ...call,
    ...(call.caller === undefined && caller ? { caller: maskPhone(caller) } : {}),
    ...(call.callee === undefined && callee ? { callee: maskPhone(callee) } : {}),
  };
}

export function applyStatus(call: CallRecord, event: CallStatusEvent): CallRecord {
  const bit = event.callStatus;
  const next: CallRecord = {
    ...withParties(call, event.caller, event.callee),
    statusBits: call.statusBits | bit,
    startedAt: earliest(call.startedAt, event.timestamp),
    ...(bit & ANSWERED_BITS ? { answeredAt: earliest(call.answeredAt, event.timestamp) } : {}),
    ...(bit & ENDED_BITS ? { endedAt: latest(call.endedAt, event.timestamp) } : {}),
    ...(call.bindId === undefined && event.bindId ? { bindId: event.bindId } : {}),
  };
  return withState(next);
}

export function applyHangup(call: CallRecord, event: CallHangupEvent): CallRecord {
  const next: CallRecord = {
    ...withParties(call, event.caller, event.callee),
    startedAt: earliest(call.startedAt, event.callCenterAcceptTime),
    answeredAt: earliest(call.answeredAt, event.dstAcceptTime || undefined),
    endedAt: latest(call.endedAt, event.endCallTime),
    endStatus: event.callEndStatus,
    endStatusText: CALL_END_STATUS_TEXT[event.callEndStatus] ?? 'unknown',
    srcDuration: event.srcDuration,
    dstDuration: event.dstDuration,
    ...(call.recordUrl === undefined && event.recordUrl ? { recordUrl: event.recordUrl } : {}),
    ...(call.bindId === undefined && event.bindId ? { bindId: event.bindId } : {}),
  };
  return withState(next);
}

export function applyRecording(call: CallRecord, event: CallRecordingEvent): CallRecord {
  return {
    ...call,
    recordUrl: call.recordUrl ?? event.recordUrl,
    ...(call.bindId === undefined && event.bindId ? { bindId: event.bindId } : {}),
  };
}

export function applyKeyPress(call: CallRecord, event: KeyPressEvent): CallRecord {
  // Keys are kept in the order they were pressed, whatever order they arrived in.
  const keyed = [...(call.keyTimes ?? []), { key: event.key, timestamp: event.timestamp }].sort(
    (a, b) => a.timestamp - b.timestamp || a.key.localeCompare(b.key),
  );
  return { ...call, keyTimes: keyed, keys: keyed.map((k) => k.key) };
}

/** Calls in the order they started (unknown start last), then by id: independent of arrival order. */
export function sortCalls(calls: CallRecord[]): CallRecord[] {
  return [...calls].sort(
    (a, b) =>
      (a.startedAt ?? Number.MAX_SAFE_INTEGER) - (b.startedAt ?? Number.MAX_SAFE_INTEGER) ||
      a.callId.localeCompare(b.callId),
  );
}
