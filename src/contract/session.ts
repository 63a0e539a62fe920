// Signals, queries, updates and the types they carry: the one contract shared by the workflows,
// the app client and the webhook server. Imports only @temporalio/workflow (deterministic).

import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CarriedNotifications, NotificationStats } from './notifications.ts';

export const SESSION_WORKFLOW_TYPE = 'maskedCallSession';

/** Workflow ID of a session: derived from the app's key, so starting twice finds the same run. */
export function sessionWorkflowId(sessionKey: string): string {
  return `npp-session-${sessionKey}`;
}

// ---------------------------------------------------------------------------------------------
// Call events (webhook → workflow). Every event carries `eventId`, derived by the webhook from the
// event's content, so a redelivered event is recognised and ignored. Times are unix seconds.
// ---------------------------------------------------------------------------------------------

/** One step of a call, as one StatusFlag bit (see StatusFlagBits in src/npp/models.ts). */
export interface CallStatusEvent {
  eventId: string;
  callId: string;
  bindId?: string;
  /** The StatusFlag bit this event reports, e.g. 1024 = callee answered. */
  callStatus: number;
  timestamp: number;
  caller?: string;
  callee?: string;
}

/** The hangup CDR of a call to a virtual number (VirturalNumCdr). */
export interface CallHangupEvent {
  eventId: string;
  callId: string;
  bindId?: string;
  caller?: string;
  callee?: string;
  virtualNum?: string;
  callCenterAcceptTime?: number;
  startDstCallTime?: number;
  startDstRingTime?: number;
  dstAcceptTime?: number;
  endCallTime?: number;
  /** VirturalNumCdr.CallEndStatus: 0 unknown, 1 normal, 2 forwarding lookup error, 3 not connected,
   * 4 not answered, 5 rejected, 6 powered off, 7 no such number, 8 busy, 9 arrears, 10 carrier/platform error. */
  callEndStatus: number;
  /** Seconds from the caller reaching the virtual number to the end. */
  srcDuration: number;
  /** Seconds from the callee answering to the end. */
  dstDuration: number;
  recordUrl?: string;
}

/** A call's recording became available. */
export interface CallRecordingEvent {
  eventId: string;
  callId: string;
  bindId?: string;
  recordUrl: string;
}

/** A key the caller pressed (IVR). */
export interface KeyPressEvent {
  eventId: string;
  callId: string;
  key: string;
  timestamp: number;
}

export const callStatusSignal = defineSignal<[CallStatusEvent]>('callStatus');
export const callHangupSignal = defineSignal<[CallHangupEvent]>('callHangup');
export const callRecordingSignal = defineSignal<[CallRecordingEvent]>('callRecording');
export const keyPressSignal = defineSignal<[KeyPressEvent]>('keyPress');

// ---------------------------------------------------------------------------------------------
// Masked-call session
// ---------------------------------------------------------------------------------------------

/** AXB: A and B call each other through X. XB: anyone (or the AccreditList) calls B through X. */
export type SessionMode = 'AXB' | 'XB';
/**
 * `fixed`: the session expires ttlSeconds after binding (extendSession moves it). `sliding`: every call
 * event moves the expiry to ttlSeconds after that interaction, as Twilio Proxy's ttl does; neither
 * ever reaches past maxTtlSeconds (the binding's MaxAssignTime).
 */
export type TtlMode = 'fixed' | 'sliding';

export interface SessionInput {
  /** The app's own unique name for the session (no personal data: it is visible in Temporal UI). */
  sessionKey: string;
  mode: SessionMode;
  /** A: the caller side, 0086-prefixed; required in AXB, absent in XB. */
  src?: string;
  /** B: the callee side, 0086-prefixed. */
  dst: string;
  /** Record calls (GetVirtualNum.Record). */
  record?: boolean;
  /** Session lifetime from binding (or, `sliding`, from the last call event), in seconds. Default 24 h, at most 168 h. */
  ttlSeconds?: number;
  /** How ttlSeconds counts: from binding (`fixed`, the default) or from the last call event (`sliding`). */
  ttlMode?: TtlMode;
  /**
   * Upper bound for extendTtl, in seconds from binding; becomes GetVirtualNum.MaxAssignTime, so the
   * platform itself unbinds by then even if this worker never runs again. Default min(2 × ttl, 168 h).
   */
  maxTtlSeconds?: number;
  /** XB only: who may call B (at most 30 numbers). */
  accreditList?: string[];
  /** Ask for a specific virtual number; binding fails if it is in use. */
  assignVirtualNum?: string;
  /** City the virtual number should belong to (platform city id). */
  cityId?: string;
  /** Which call states the platform pushes (sum of StatusFlag bits). Default: all (16191). */
  statusFlag?: number;
  /**
   * Longest wait, once the session ends, for its calls to end and (with `record`) for the recording of
   * every answered call before unbinding, as the platform asks; never past MaxAssignTime. A recording
   * still missing then is looked up with Get400Cdr. Default 600 s; 0 unbinds at once.
   */
  recordingWaitSeconds?: number;
  /** How long to keep collecting late hangup and recording events after unbinding. Default 300 s. */
  drainSeconds?: number;
  /** BizAppId when it differs from the worker's NPP_BIZ_APP_ID. */
  bizAppId?: string;
  /**
   * Continue-as-new once history reaches this many events, 100 to 50,000 (Temporal's own suggestion
   * always applies). Default 1,000 (sessions started on 0.2.0 or later): each workflow task replays
   * its run's history, so a shorter run keeps tasks cheap.
   */
  continueAsNewAfterEvents?: number;
  /**
   * Where to POST the session's events (bound, call started/answered/ended, recording archived,
   * closing, closed, failed) as signed JSON: docs/notifications.md. http(s) only.
   */
  notifyUrl?: string;
  /** State carried over by continue-as-new; never set by apps. */
  carried?: CarriedSession;
}

/**
 * Twilio-Proxy-like lifecycle: open → in-progress → closing → closed, or failed. `closing`: the session
 * ended and waits (bounded) for its calls to end and their recordings to arrive before it unbinds.
 */
export const SESSION_STATUSES = ['open', 'in-progress', 'closing', 'closed', 'failed'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
/**
 * Why a session ended. `released-by-platform`: DelVirtualNum kept failing until the binding's
 * MaxAssignTime (plus a margin) passed, after which the platform has released the number itself.
 */
export type SessionClosedReason =
  | 'ttl-expired'
  | 'closed-by-app'
  | 'refnum-zero'
  | 'binding-gone'
  | 'cancelled'
  | 'released-by-platform';
export type SessionFailedReason = 'bind-failed';

export type CallState = 'ringing' | 'answered' | 'ended';

/** A call recording kept by this worker's archive, beyond the platform URL's expiry. */
export interface ArchivedRecording {
  /** Where the archive keeps it (a file path for the directory archive). */
  location: string;
  /** Hex SHA-256 of the recording. */
  sha256: string;
  bytes: number;
}

/** One interaction through the virtual number. Numbers are masked. */
export interface CallRecord {
  callId: string;
  bindId?: string;
  state: CallState;
  caller?: string;
  callee?: string;
  /** Every StatusFlag bit reported for this call. */
  statusBits: number;
  startedAt?: number;
  /** VirturalNumCdr.StartDstCallTime / StartDstRingTime: when the callee was dialled and rang (unix s). */
  calleeCalledAt?: number;
  calleeRingingAt?: number;
  answeredAt?: number;
  endedAt?: number;
  /** VirturalNumCdr.DstVirtualNum: the virtual number the call came in on (the platform's, not a person's). */
  virtualNum?: string;
  /** VirturalNumCdr.CallEndStatus and its meaning, once the hangup CDR arrived. */
  endStatus?: number;
  endStatusText?: string;
  srcDuration?: number;
  dstDuration?: number;
  recordUrl?: string;
  /** Where the recording was archived, when archiving is on. */
  archive?: ArchivedRecording;
  /** Why the recording could not be archived (e.g. RecordingTooLarge, RecordingUnavailable). */
  archiveFailure?: { code: string; message: string };
  /** Keys pressed (IVR), in the order pressed. */
  keys: string[];
  keyTimes?: { key: string; timestamp: number }[];
}

export interface SessionState {
  sessionKey: string;
  mode: SessionMode;
  status: SessionStatus;
  closedReason?: SessionClosedReason;
  failedReason?: SessionFailedReason;
  /** Why binding failed: error code and message from the platform. */
  failure?: { code: string; message: string };
  /** Masked participant numbers. */
  src?: string;
  dst: string;
  record: boolean;
  virtualNum?: string;
  bindId?: string;
  /** BizId prefix of every GetVirtualNum of this session (12 characters; 4 more name the request). */
  bizId: string;
  /** The full BizId of the GetVirtualNum that bound: DelVirtualNum carries it. */
  bindBizId?: string;
  /** References this session holds on the binding (GetVirtualNum calls minus DelVirtualNum calls). */
  heldReferences: number;
  /** The platform's count as last reported (RefNum / RefLeftNum); includes other holders in XB. */
  platformRefNum?: number;
  /**
   * BizIds of addReference requests whose outcome stayed unknown (each may have taken a reference
   * unseen): asked again with the same BizId before unbinding, so what they took is given back too.
   */
  unsettledBizIds?: string[];
  /** The most recent calls (see earlierCalls); all of them when the session stayed in one run. */
  calls: CallRecord[];
  /**
   * Calls no longer listed in `calls`: a session that continues as new carries only its most recent
   * calls (a long-lived XB number can take thousands) and counts the older ones here.
   */
  earlierCalls?: EarlierCalls;
  /** ISO-8601 times. */
  createdAt: string;
  boundAt?: string;
  expiresAt?: string;
  /** How expiresAt moves: `sliding` pushes it to ttlSeconds after each call event. */
  ttlMode: TtlMode;
  /** The latest expiry extendTtl allows: MaxAssignTime counted from before the bind request was made,
   * as the platform counts it from when it bound, so the session never outlives its binding. */
  maxExpiresAt?: string;
  lastInteractionAt?: string;
  /** When the session began closing (status `closing`): it unbinds once its calls and recordings are in. */
  closingAt?: string;
  /** Answered calls of a recorded session whose recording URL never came, not even through Get400Cdr. */
  missingRecordings?: string[];
  /** Notifications to the app's notifyUrl: delivered and given up (with the last failure). */
  notifications?: NotificationStats;
  /** The last failure of DelVirtualNum while it keeps being retried (cleared once unbound). */
  unbindFailure?: { code: string; message: string };
  closedAt?: string;
}

/** Totals of the calls a session no longer lists. */
export interface EarlierCalls {
  count: number;
  /** Calls the callee answered. */
  answered: number;
  /** Sum of their dstDuration (seconds from the callee answering to the end). */
  talkSeconds: number;
  /**
   * The latest start (unix seconds) of the calls counted here: a call the session does not list that
   * started no later may be one of them. Absent when one of them had no known start (or was counted
   * before this field existed): then any call the session does not list may be one of them.
   */
  latestStartedAt?: number;
}

/** What a run hands to the next one when it continues as new. */
export interface CarriedSession {
  state: SessionState;
  /** Event ids already applied (dedupe of redeliveries). */
  seenEventIds: string[];
  /** BizIds issued so far: the next GetVirtualNum uses a new one. */
  bizIdsIssued: number;
  /** Calls whose recording archiving was still under way: the next run archives them again (idempotent). */
  archivesHandedOver?: string[];
  /** Notifications not delivered yet, and what was notified (sessions with a notifyUrl). */
  notifications?: CarriedNotifications;
}

export interface ExtendTtlRequest {
  /** Seconds to add to the current expiry. */
  additionalSeconds: number;
}

export interface ReferenceResult {
  heldReferences: number;
  platformRefNum?: number;
}

export const sessionStateQuery = defineQuery<SessionState>('state');
/**
 * Ends the session: it waits (status `closing`, bounded by recordingWaitSeconds) for its calls and
 * recordings, unbinds, and the update answers the `closed` state; the run then drains late events and
 * completes. A caller that only needs the session ended waits for the update to be accepted and reads
 * the state (SessionClient.closeSession without `wait`, `npp-temporal session close` without --wait).
 */
export const closeSessionUpdate = defineUpdate<SessionState, []>('close');
export const extendTtlUpdate = defineUpdate<{ expiresAt: string }, [ExtendTtlRequest]>('extendTtl');
/** XB: take one more reference on the session's virtual number (GetVirtualNum for the same Dst). */
export const addReferenceUpdate = defineUpdate<ReferenceResult, []>('addReference');
/** Give one reference back (DelVirtualNum); the session ends when it holds none. */
export const releaseReferenceUpdate = defineUpdate<ReferenceResult, []>('releaseReference');
