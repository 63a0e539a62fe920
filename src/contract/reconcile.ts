// The contract of CDR reconciliation: workflow type, input and result. Pure types and constants.

export const RECONCILE_WORKFLOW_TYPE = 'reconcileCdrs';

/** Default look-back of one run: well over the schedule's interval, so windows overlap. */
export const DEFAULT_RECONCILE_LOOKBACK_SECONDS = 3600;

export interface ReconcileInput {
  /**
   * How far back each run looks, in seconds; the platform selects CDRs by call start, so this
   * must cover the schedule interval plus the longest call. Default 3600.
   */
  lookbackSeconds?: number;
  /** BizAppId when it differs from the worker's NPP_BIZ_APP_ID. */
  bizAppId?: string;
}

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
  /** Records the webhook's parser refuses too. */
  invalid: number;
}

export interface ReconcileResult {
  window: CdrWindow;
  /** Get400Cdr → maskedCallSession. */
  sessions: ReconcileCounts;
  /** DescribeCallBackCdr → callBackCall. */
  callBacks: ReconcileCounts;
}
