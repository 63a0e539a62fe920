// Timeouts and retry policy of every NPP activity, in one place. Pure data: workflows import it.
//
// The NPP client never retries; these policies do. Errors the client marks not retryable become
// non-retryable ApplicationFailures, so a retry policy only ever repeats what may succeed.
import type { ActivityOptions } from '@temporalio/workflow';
import type { NppAction } from '../npp/models.ts';

/** NPP answers in well under a second; a call still open after this is treated as lost. */
const NPP_CALL_TIMEOUT = '10s';

const standard: ActivityOptions = {
  startToCloseTimeout: NPP_CALL_TIMEOUT,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8 },
};

export const NPP_ACTIVITY_OPTIONS = {
  // Binding is not idempotent: a bounded number of attempts, each with a unique BizId (see the
  // session workflow), then the session fails as bind-failed instead of waiting forever.
  GetVirtualNum: {
    startToCloseTimeout: NPP_CALL_TIMEOUT,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
  },
  // Unbinding must eventually happen: no attempt limit (the default), backing off to once every 5 minutes.
  DelVirtualNum: {
    startToCloseTimeout: NPP_CALL_TIMEOUT,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
  },
  // Not idempotent either, but every request carries a BizId, so a retry cannot ring the caller twice
  // (see the callBackCall workflow).
  CreateCallBack: standard,
  // Cancelling a ringing call is time-critical: short backoff, few attempts.
  DeleteCallBack: {
    startToCloseTimeout: NPP_CALL_TIMEOUT,
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 5 },
  },
  DescribeCallBackStatus: standard,
  DescribeCallBackCdr: standard,
  DescribeCallerDisplayList: standard,
  Get400Cdr: standard,
} as const satisfies Record<NppAction, ActivityOptions>;

/** lookUpSessionHangups: one Get400Cdr per call a closing session lacks; heartbeats per call. */
export const SESSION_CDR_LOOKUP_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '5m',
  heartbeatTimeout: '30s',
  retry: standard.retry,
};
