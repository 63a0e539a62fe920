import { createHash } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/workflow';
import { type CallBackHangupEvent, callBackHangupSignal } from '../../contract/callBack.ts';
import {
  type CallHangupEvent,
  type CallRecordingEvent,
  type CallStatusEvent,
  callHangupSignal,
  callRecordingSignal,
  callStatusSignal,
  type KeyPressEvent,
  keyPressSignal,
} from '../../contract/session.ts';
import { StatusFlagBits } from '../models.ts';
import {
  type Body,
  hasAny,
  InvalidPayloadError,
  optionalHttpUrl,
  optionalId,
  optionalNumber,
  optionalPhone,
  optionalString,
  optionalTime,
  requiredId,
  requiredNumber,
} from './fields.ts';
import type { CallbackKind } from './urls.ts';

// Platform callback bodies → the typed events of the workflow contract, each with the signal that
// carries it. The hangup route takes both detail records: VirturalNumCdr (sessions) and CallBackCdr
// (callback calls), told apart by the fields only one of them has.

type CallEvent = CallStatusEvent | CallHangupEvent | CallBackHangupEvent | CallRecordingEvent | KeyPressEvent;

/** An event and the signal that carries it, told apart by the signal's name. */
interface Parsed<Name extends string, E extends CallEvent> {
  signalName: Name;
  signal: SignalDefinition<[E]>;
  event: E;
  /** For routing console-default callbacks to their workflow. */
  callId: string;
  bindId?: string;
}

/** A parsed callback: one member per signal, each pairing the signal with its event type. */
export type ParsedCallback =
  | Parsed<'callStatus', CallStatusEvent>
  | Parsed<'callHangup', CallHangupEvent>
  | Parsed<'callBackHangup', CallBackHangupEvent>
  | Parsed<'callRecording', CallRecordingEvent>
  | Parsed<'keyPress', KeyPressEvent>;

const STATUS_BITS = new Set<number>(Object.values(StatusFlagBits));
const KEY = /^[0-9*#A-D]$/;
/** Fields only a virtual-number CDR has; a CallBackCdr has none of them. */
const SESSION_CDR_FIELDS = ['srcDuration', 'dstDuration', 'dstVirtualNum', 'callCenterAcceptTime'] as const;
/** Fields only a CallBackCdr has. */
const CALLBACK_CDR_FIELDS = ['startSrcCallTime', 'startSrcRingTime', 'srcAcceptTime', 'duration'] as const;

export function parseCallback(kind: CallbackKind, body: unknown): ParsedCallback {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidPayloadError('body must be an object');
  }
  const fields = body as Body;
  switch (kind) {
    case 'status':
      return withId(kind, 'callStatus', callStatusSignal, parseStatus(fields));
    case 'hangup':
      if (hasAny(fields, SESSION_CDR_FIELDS)) {
        return withId(kind, 'callHangup', callHangupSignal, parseSessionHangup(fields));
      }
      if (hasAny(fields, CALLBACK_CDR_FIELDS)) {
        return withId(kind, 'callBackHangup', callBackHangupSignal, parseCallBackHangup(fields));
      }
      throw new InvalidPayloadError(
        'neither a virtual-number (VirturalNumCdr) nor a callback-call (CallBackCdr) record',
      );
    case 'record':
      return withId(kind, 'callRecording', callRecordingSignal, parseRecording(fields));
    case 'keypress':
      return withId(kind, 'keyPress', keyPressSignal, parseKeyPress(fields));
  }
}

/** Signals the parsed event to the workflow of `handle`, with the signal that carries it. */
export function signalParsed(handle: Pick<WorkflowHandle, 'signal'>, parsed: ParsedCallback): Promise<void> {
  // One case per member: each narrows the signal and its event to the same type.
  switch (parsed.signalName) {
    case 'callStatus':
      return handle.signal(parsed.signal, parsed.event);
    case 'callHangup':
      return handle.signal(parsed.signal, parsed.event);
    case 'callBackHangup':
      return handle.signal(parsed.signal, parsed.event);
    case 'callRecording':
      return handle.signal(parsed.signal, parsed.event);
    case 'keyPress':
      return handle.signal(parsed.signal, parsed.event);
  }
}

function parseStatus(body: Body): Omit<CallStatusEvent, 'eventId'> {
  const callStatus = requiredNumber(body, 'callStatus');
  if (!STATUS_BITS.has(callStatus)) throw new InvalidPayloadError(`callStatus ${callStatus} is not a known status bit`);
  return compact({
    callId: requiredId(body, 'callId'),
    bindId: optionalId(body, 'bindId'),
    callStatus,
    timestamp: requiredNumber(body, 'timestamp'),
    caller: optionalPhone(body, 'src'),
    callee: optionalPhone(body, 'dst'),
  });
}

function parseSessionHangup(body: Body): Omit<CallHangupEvent, 'eventId'> {
  return compact({
    callId: requiredId(body, 'callId'),
    bindId: optionalId(body, 'bindId'),
    caller: optionalPhone(body, 'src'),
    callee: optionalPhone(body, 'dst'),
    virtualNum: optionalPhone(body, 'dstVirtualNum'),
    callCenterAcceptTime: optionalTime(body, 'callCenterAcceptTime'),
    startDstCallTime: optionalTime(body, 'startDstCallTime'),
    startDstRingTime: optionalTime(body, 'startDstRingTime'),
    dstAcceptTime: optionalTime(body, 'dstAcceptTime'),
    endCallTime: optionalTime(body, 'endCallTime'),
    callEndStatus: requiredNumber(body, 'callEndStatus'),
    srcDuration: requiredNumber(body, 'srcDuration'),
    dstDuration: requiredNumber(body, 'dstDuration'),
    recordUrl: optionalHttpUrl(body, 'recordUrl'),
  });
}

function parseCallBackHangup(body: Body): Omit<CallBackHangupEvent, 'eventId'> {
  return compact({
    callId: requiredId(body, 'callId'),
    caller: optionalPhone(body, 'src'),
    callee: optionalPhone(body, 'dst'),
    startSrcCallTime: optionalTime(body, 'startSrcCallTime'),
    startSrcRingTime: optionalTime(body, 'startSrcRingTime'),
    srcAcceptTime: optionalTime(body, 'srcAcceptTime'),
    startDstCallTime: optionalTime(body, 'startDstCallTime'),
    startDstRingTime: optionalTime(body, 'startDstRingTime'),
    dstAcceptTime: optionalTime(body, 'dstAcceptTime'),
    endCallTime: optionalTime(body, 'endCallTime'),
    callEndStatus: requiredNumber(body, 'callEndStatus'),
    duration: requiredNumber(body, 'duration'),
    recordUrl: optionalHttpUrl(body, 'recordUrl'),
    callType: optionalNumber(body, 'callType'),
    bizId: optionalId(body, 'bizId'),
    orderId: optionalString(body, 'orderId'),
  });
}

function parseRecording(body: Body): Omit<CallRecordingEvent, 'eventId'> {
  const recordUrl = optionalHttpUrl(body, 'recordUrl');
  if (recordUrl === undefined) throw new InvalidPayloadError('recordUrl is missing');
  return compact({ callId: requiredId(body, 'callId'), bindId: optionalId(body, 'bindId'), recordUrl });
}

// The platform sends nothing finer than the second: the same key twice in one second of a call gets
// one event id, and the workflow keeps one press (docs/webhooks.md, "Event ids").
function parseKeyPress(body: Body): Omit<KeyPressEvent, 'eventId'> {
  const key = optionalString(body, 'key');
  if (key === undefined || !KEY.test(key)) throw new InvalidPayloadError('key must be one of 0-9 * # A-D');
  return { callId: requiredId(body, 'callId'), key, timestamp: requiredNumber(body, 'timestamp') };
}

/** Drops absent fields, so the canonical form (and the event id) does not depend on them. */
function compact<T extends object>(event: T): T {
  return Object.fromEntries(Object.entries(event).filter(([, value]) => value !== undefined)) as T;
}

function withId<Name extends string, E extends CallEvent>(
  kind: CallbackKind,
  signalName: Name,
  signal: SignalDefinition<[E]>,
  content: Omit<E, 'eventId'>,
): Parsed<Name, E> {
  const event = { eventId: eventId(kind, content), ...content } as E;
  const { callId, bindId } = content as { callId: string; bindId?: string };
  return { signalName, signal, event, callId, ...(bindId === undefined ? {} : { bindId }) };
}

/**
 * Same content, same id: a redelivery (any spelling or encoding) is recognised by the workflow.
 * Only the parsed event counts, nothing of the delivery (headers, route, arrival time).
 */
export function eventId(kind: CallbackKind, content: object): string {
  const canonical = JSON.stringify(Object.entries(content).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHash('sha256').update(`${kind}\n${canonical}`).digest('hex').slice(0, 32);
}
