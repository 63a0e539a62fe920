// How call events fold into a call's record. Pure and order-independent: every field is a union
// (status bits), a minimum or maximum (times), or set once from the CDR, so any arrival order and
// any number of redeliveries give the same record.

import type {
  CallHangupEvent,
  CallRecord,
  CallRecordingEvent,
  CallStatusEvent,
  EarlierCalls,
  KeyPressEvent,
} from '../contract/session.ts';
import { maskPhone } from '../phone.ts';

const UTF8 = new TextEncoder();

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
    ...(event.startDstCallTime ? { calleeCalledAt: event.startDstCallTime } : {}),
    ...(event.startDstRingTime ? { calleeRingingAt: event.startDstRingTime } : {}),
    ...(event.virtualNum ? { virtualNum: event.virtualNum } : {}),
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

/** Keys are kept in the order they were pressed, whatever order they arrived in (also for callback calls). */
export function applyKeyPress<T extends Pick<CallRecord, 'keys' | 'keyTimes'>>(call: T, event: KeyPressEvent): T {
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

/** CallIds kept in the NppCallId search attribute: the most recent ones, well under its 2 KiB limit. */
export const CALL_IDS_SEARCHABLE = 40;
/** Room those CallIds may take (UTF-8 bytes), whatever their length. */
const CALL_IDS_SEARCHABLE_BYTES = 1536;
/** Calls a run carries into the next one; older calls are only counted (SessionState.earlierCalls). */
export const CALLS_CARRIED = 100;

/** The CallIds of the most recent calls, as many as fit the NppCallId search attribute. */
export function recentCallIds(calls: CallRecord[]): string[] {
  const ids: string[] = [];
  let bytes = 2;
  for (let i = calls.length - 1; i >= 0 && ids.length < CALL_IDS_SEARCHABLE; i--) {
    const id = (calls[i] as CallRecord).callId;
    // Quotes and a comma around each id in the JSON list Temporal measures.
    bytes += UTF8.encode(id).length + 3;
    if (bytes > CALL_IDS_SEARCHABLE_BYTES) break;
    ids.unshift(id);
  }
  return ids;
}

/**
 * What a run hands to the next one: the CALLS_CARRIED most recent calls, plus any call `mustKeep`
 * names (work still pending on it), in their order; every other call only adds to the counters, and
 * to the latest start of a counted call (EarlierCalls.latestStartedAt).
 */
export function carriedCalls(
  calls: CallRecord[],
  earlier: EarlierCalls | undefined,
  mustKeep: (call: CallRecord) => boolean,
): { calls: CallRecord[]; earlierCalls?: EarlierCalls } {
  const firstKept = calls.length - CALLS_CARRIED;
  const kept: CallRecord[] = [];
  const dropped: CallRecord[] = [];
  for (const [i, call] of calls.entries()) (i >= firstKept || mustKeep(call) ? kept : dropped).push(call);
  if (dropped.length === 0) return { calls, ...(earlier ? { earlierCalls: earlier } : {}) };
  const counted: EarlierCalls = {
    count: earlier?.count ?? 0,
    answered: earlier?.answered ?? 0,
    talkSeconds: earlier?.talkSeconds ?? 0,
  };
  const starts: number[] = [];
  for (const call of dropped) {
    counted.count++;
    if (call.answeredAt !== undefined || (call.dstDuration ?? 0) > 0) counted.answered++;
    counted.talkSeconds += call.dstDuration ?? 0;
    if (call.startedAt !== undefined) starts.push(call.startedAt);
  }
  // Once a counted call's start is unknown, no later count can bound the counted calls again.
  const startsKnown =
    starts.length === dropped.length && (earlier === undefined || earlier.latestStartedAt !== undefined);
  if (!startsKnown) return { calls: kept, earlierCalls: counted };
  const latestStartedAt = Math.max(earlier?.latestStartedAt ?? 0, ...starts);
  return { calls: kept, earlierCalls: { ...counted, latestStartedAt } };
}
