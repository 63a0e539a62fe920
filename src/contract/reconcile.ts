// The contract of CDR reconciliation: workflow type, input and result. Pure types and constants.

export const RECONCILE_WORKFLOW_TYPE = 'reconcileCdrs';

/** Default look-back of one run: well over the schedule's interval, so windows overlap. */
export const DEFAULT_RECONCILE_LOOKBACK_SECONDS = 3600;

export interface ReconcileInput {
  /** How far back each run looks for calls that ended, in seconds: well over the schedule's interval. Default 3600. */
  lookbackSeconds?: number;
  /**
   * The longest call, in seconds. The platform selects CDRs by call start (an assumption: the seed
   * says only "话单开始时间戳"), so the window starts this much earlier than the look-back, and a call
   * longer than the look-back is still found. Default 7200.
   */
  longestCallSeconds?: number;
  /** Every BizAppId the deployment uses (NPP_RECONCILE_BIZ_APP_IDS); default the worker's NPP_BIZ_APP_ID. */
  bizAppIds?: string[];
}

/** Default longest call the window reaches back for. */
export const DEFAULT_LONGEST_CALL_SECONDS = 7200;

/** The time range asked of the platform: unix seconds, inclusive. */
export interface CdrWindow {
  start: number;
  end: number;
  bizAppId?: string;
}

/** What one run did with the CDRs of one kind. */
export interface ReconcileCounts {
  /** CDRs the platform listed for the window. */
  cdrs: number;
  /** Signalled to their workflow, which had not received them. */
  signalled: number;
  /** Their workflow already had them (the webhook delivered them). */
  alreadyApplied: number;
  /** No running workflow owns them: closed, or not one of ours. */
  noOwner: number;
  /**
   * Older than the calls their session still lists after continuing as new: it may have counted the
   * call already (SessionState.earlierCalls), so signalling could add it twice. Left alone.
   */
  maybeDropped: number;
  /**
   * CDRs of calls a closed workflow lists without their CDR: it takes no signal any more, so they are
   * logged (CallId and workflow id, warn) for an operator to attach.
   */
  unclaimed: number;
  /** Records the webhook's parser refuses too. */
  invalid: number;
}

export interface ReconcileResult {
  /** The window of the first BizAppId (every BizAppId is asked for the same time range). */
  window: CdrWindow;
  /** Get400Cdr → maskedCallSession, summed over the BizAppIds. */
  sessions: ReconcileCounts;
  /** DescribeCallBackCdr → callBackCall, summed over the BizAppIds. */
  callBacks: ReconcileCounts;
}
