// Failure types (ApplicationFailure.type) the workflows and activities raise and apps may match on.
// Pure constants: workflows, activities, client and CLI import them from here.

/** Workflow failure types: how a run ended when it could not do its job. */
export const WORKFLOW_FAILURES = {
  /** maskedCallSession: GetVirtualNum refused or never answered; the state is in the failure's details. */
  bindFailed: 'BindFailed',
  /** callBackCall: CreateCallBack refused or never answered; the state is in the failure's details. */
  createCallBackFailed: 'CreateCallBackFailed',
  /** addReference: the platform answered with a binding other than the session's (released at once). */
  unexpectedBinding: 'UnexpectedBinding',
  /** addReference / releaseReference reached the session after it began unbinding. */
  sessionClosing: 'SessionClosing',
  /** CreateCallBack answered without a CallId. */
  noCallId: 'NoCallId',
  /** An earlier CreateCallBack attempt made the call, and no event or CDR ever named it. */
  callIdNotRecovered: 'CallIdNotRecovered',
} as const;

/**
 * Failure type of a CreateCallBack retry refused for its BizId: an earlier attempt made the call and
 * its answer was lost. A first attempt refused so keeps the platform's code (the BizId was taken).
 */
export const CALL_MADE_BY_EARLIER_ATTEMPT = 'CallMadeByEarlierAttempt';

/** Failure types a workflow may see from archiveRecording. */
export const ARCHIVE_FAILURES = {
  tooLarge: 'RecordingTooLarge',
  unavailable: 'RecordingUnavailable',
  invalidUrl: 'InvalidRecordingUrl',
  fetchFailed: 'RecordingFetchFailed',
  /** Object storage refused the worker (credentials, bucket, key policy): fix the configuration. */
  storageRefused: 'ArchiveStorageRefused',
} as const;

/** The reconciliation activities ran on a worker without a Temporal client. */
export const RECONCILE_NOT_CONFIGURED = 'ReconcileNotConfigured';
