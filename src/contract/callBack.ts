// The contract of callback calls (CreateCallBack: the platform rings the caller, then the callee):
// workflow type and id, input, state, and the signal, query and update shared by the workflow, the
// app client and the webhook server. Status, recording and keypress events reuse the session
// signals of ./definitions.ts; only the hangup differs, because a callback call's CDR is a
// CallBackCdr, not a VirturalNumCdr. Imports only @temporalio/workflow (deterministic).

import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CarriedNotifications, NotificationStats } from './notifications.ts';
import type { ArchivedRecording } from './session.ts';

export const CALLBACK_WORKFLOW_TYPE = 'callBackCall';
export const CALLBACK_WORKFLOW_ID_PREFIX = 'npp-callback-';

/** Workflow ID of a callback call: derived from the app's key, so starting twice finds the same run. */
export function callBackWorkflowId(callKey: string): string {
  return `${CALLBACK_WORKFLOW_ID_PREFIX}${callKey}`;
}

/** The hangup CDR of a callback call (CallBackCdr). Times are unix seconds; absent = never reached. */
export interface CallBackHangupEvent {
  eventId: string;
  callId: string;
  caller?: string;
  callee?: string;
  startSrcCallTime?: number;
  startSrcRingTime?: number;
  srcAcceptTime?: number;
  startDstCallTime?: number;
  startDstRingTime?: number;
  dstAcceptTime?: number;
  endCallTime?: number;
  /** CallBackCdr.CallEndStatus: 0 unknown, 1 normal, 2 caller did not answer, 3 caller answered but
   * callee did not, 4 caller unreachable, 5 callee unreachable. */
  callEndStatus: number;
  /** Billed seconds (callee answer to end). */
  duration: number;
  recordUrl?: string;
  /** 1 VoIP, 2 IP to PSTN, 3 PSTN to PSTN. */
  callType?: number;
  bizId?: string;
  orderId?: string;
}

export const callBackHangupSignal = defineSignal<[CallBackHangupEvent]>('callBackHangup');

/** One key of PreCallerHandle.KeyList. */
export interface CallBackKey {
  /** 0-9, *, # or A-D. */
  key: string;
  /** 1 dial the callee, 2 replay the interruptible prompt, 3 tear the call down. */
  operate: 1 | 2 | 3;
}

/** PreCallerHandle: an IVR played to the caller before the callee is rung. */
export interface CallBackPreCallerHandle {
  /** Prompt played once the caller answers; keys are ignored while it plays. */
  readPrompt: string;
  /** Interruptible prompt; the caller presses keys while it plays. */
  interruptPrompt: string;
  keyList: CallBackKey[];
  /** Replays before the platform hangs up. Default 2. */
  repeatTimes?: number;
  /** 1 female (default), 2 male. */
  promptGender?: 1 | 2;
}

export interface CallBackInput {
  /** The app's own unique name for the call (no personal data: it is visible in Temporal UI). */
  callKey: string;
  /** Caller: 0086 + an 11-digit mobile. Rung first. */
  src: string;
  /** Callee: 0086 + a mobile or a fixed line with area code. Rung once the caller answered. */
  dst: string;
  /** Number shown to the caller (SrcDisplayNum); random when omitted. */
  srcDisplayNum?: string;
  /** Number shown to the callee (DstDisplayNum); random when omitted. */
  dstDisplayNum?: string;
  /** Pick the display numbers not given from DescribeCallerDisplayList. */
  chooseDisplayNumbers?: boolean;
  /** Record the call (Record). */
  record?: boolean;
  /** Longest conversation in minutes (MaxAllowTime). Default 30. */
  maxAllowTime?: number;
  /** Which call states the platform pushes (sum of StatusFlag bits). Default: all (16191). */
  statusFlag?: number;
  preCallerHandle?: CallBackPreCallerHandle;
  /**
   * Business key sent as BizId (letters and digits, at most 64; unique within the application).
   * When omitted the run sends its own. Either way a retried CreateCallBack is refused for its BizId
   * instead of ringing the caller twice, and the run recovers the call the lost answer named.
   */
  bizId?: string;
  /** Order id sent as OrderId (at most 64 bytes; only in billing records). */
  orderId?: string;
  /** CallId of the previous call to the same parties, so the platform prefers another line. */
  lastCallId?: string;
  /** BizAppId when it differs from the worker's NPP_BIZ_APP_ID. */
  bizAppId?: string;
  /**
   * Seconds from creation after which, with no hangup CDR received, the platform is asked instead
   * (DescribeCallBackStatus, then DescribeCallBackCdr). Default: ringing allowance + MaxAllowTime.
   */
  hangupTimeoutSeconds?: number;
  /** Seconds between those polls. Default 60. */
  pollIntervalSeconds?: number;
  /**
   * Seconds to keep polling after hangupTimeoutSeconds before giving up (see CdrMissingReason).
   * Default: the call's longest life (ringing allowance + MaxAllowTime) again, at least one hour.
   */
  pollingLimitSeconds?: number;
  /**
   * Attempts of each DescribeCallBackStatus / DescribeCallBackCdr poll before it counts as failed.
   * A failed poll does not end the run: it waits twice as long as after the previous failure (from
   * pollIntervalSeconds, at most 5 minutes, or pollIntervalSeconds if longer) and asks again. Default: the activities' own policy (8).
   */
  pollAttempts?: number;
  /** Where to POST each status the call reaches, and its archived recording, as signed JSON: docs/notifications.md. */
  notifyUrl?: string;
  /** Continue-as-new once the history has this many events while polling (default: when Temporal suggests it). */
  continueAsNewAfterEvents?: number;
  /** Seconds to keep waiting for a recording URL the CDR did not carry. Default 120. */
  recordingWaitSeconds?: number;
  /** State carried over by continue-as-new while polling; never set by apps. */
  carried?: CarriedCallBack;
}

/** What a run polling the platform hands to the run it continues as. */
export interface CarriedCallBack {
  state: CallBackState;
  seenEventIds: string[];
  /** Polls that failed since the last one that answered: the backoff grows with them. */
  failedPollsInARow: number;
  /** Polls of DescribeCallBackCdr that found no record after the platform said the call ended. */
  cdrPolls: number;
  /** Notifications not delivered yet, and what was notified (calls with a notifyUrl). */
  notifications?: CarriedNotifications;
}

/**
 * Why a run ended (status `ended`, `cdrMissing: true`) without the call's CDR:
 * - `platform-has-no-cdr`: the platform said the call ended but DescribeCallBackCdr kept finding no
 *   record of it;
 * - `call-never-ended`: the polling limit passed while the platform still said the call was going on,
 *   although it cannot last longer than ringing plus MaxAllowTime: a platform fault to report;
 * - `platform-unreachable`: the polling limit passed while every recent poll failed (see
 *   `lastPollFailure`): the call's outcome is unknown, look it up on the console.
 * The run logs an error in each case.
 */
export type CdrMissingReason = 'platform-has-no-cdr' | 'call-never-ended' | 'platform-unreachable';

export type CallBackStatus =
  | 'created'
  | 'caller-ringing'
  | 'caller-answered'
  | 'callee-ringing'
  | 'connected'
  | 'ended'
  | 'cancelled'
  | 'failed';

/** The hangup record, as far as it is known. */
export interface CallBackCdrSummary {
  /** CallBackCdr.CallEndStatus and its meaning. */
  endStatus: number;
  endStatusText: string;
  /** Billed seconds. */
  duration: number;
  /** ISO-8601 times of the moments reached. */
  callerCalledAt?: string;
  callerRingingAt?: string;
  callerAnsweredAt?: string;
  calleeCalledAt?: string;
  calleeRingingAt?: string;
  calleeAnsweredAt?: string;
  endedAt?: string;
  /** CallBackCdr.CallType: 1 VoIP, 2 IP to PSTN, 3 PSTN to PSTN. */
  callType?: number;
  /** CallBackCdr.OrderId: the order the call was made for, as the platform bills it. */
  orderId?: string;
  /** Where the CDR came from: the webhook, or polling DescribeCallBackCdr after it never came. */
  source: 'webhook' | 'poll';
}

export interface CallBackState {
  callKey: string;
  status: CallBackStatus;
  /** The platform's CallId, once CreateCallBack answered. */
  callId?: string;
  /** Masked parties. */
  src: string;
  dst: string;
  /** Numbers the platform shows to each party (platform numbers, not personal). */
  srcDisplayNum?: string;
  dstDisplayNum?: string;
  record: boolean;
  /** Every StatusFlag bit reported. */
  statusBits: number;
  /** Keys pressed at the IVR, in the order pressed. */
  keys: string[];
  keyTimes?: { key: string; timestamp: number }[];
  cdr?: CallBackCdrSummary;
  recordUrl?: string;
  /** Where the recording was archived, when archiving is on. */
  archive?: ArchivedRecording;
  /** Why the recording could not be archived (e.g. RecordingTooLarge, RecordingUnavailable). */
  archiveFailure?: { code: string; message: string };
  /** Why creating the call failed: error code and message from the platform. */
  failure?: { code: string; message: string };
  /** The CancelFlag of the cancel that tore the call down. */
  cancelledWith?: number;
  /** BizId sent with CreateCallBack: the app's, or this run's own. */
  bizId?: string;
  /**
   * CreateCallBack's answer was lost after the platform made the call; its CallId was then learnt
   * from the first event the platform pushed for it, or from its CDR found by BizId.
   */
  callIdRecoveredFrom?: 'event' | 'cdr';
  /** Ended without a CDR: the platform never produced its record, or polling gave up (cdrMissingReason). */
  cdrMissing?: boolean;
  /** Why the CDR is missing. */
  cdrMissingReason?: CdrMissingReason;
  /** Polls of the platform that failed after all their attempts; the run went on polling. */
  failedPolls?: number;
  /** Notifications to the app's notifyUrl: delivered and given up (with the last failure). */
  notifications?: NotificationStats;
  /** The latest of those failures, with its ISO-8601 time. */
  lastPollFailure?: { code: string; message: string; at: string };
  /** ISO-8601 times. */
  createdAt: string;
  endedAt?: string;
}

/**
 * DeleteCallBack.CancelFlag: 0 tear down whatever the state (default); 1 not once the caller rings;
 * 2 not once the caller answered; 3 not once the callee rings; 4 not once the callee answered.
 */
export type CancelFlag = 0 | 1 | 2 | 3 | 4;

export interface CancelCallBackRequest {
  cancelFlag: CancelFlag;
}

export interface CancelCallBackResult {
  /** True when the platform tore the call down. */
  tornDown: boolean;
  /** Why not, when not: e.g. the platform's refusal, or the call had already ended. */
  reason?: string;
  status: CallBackStatus;
}

export const callBackStateQuery = defineQuery<CallBackState>('state');
/** DeleteCallBack with the given CancelFlag; answers whether the call was actually torn down. */
export const cancelCallBackUpdate = defineUpdate<CancelCallBackResult, [CancelCallBackRequest]>('cancel');
