import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { CALL_MADE_BY_EARLIER_ATTEMPT } from '../contract/failures.ts';
import { type CallbackUrlConfig, sessionCallbackUrls } from '../npp/callbacks/urls.ts';
import type { NppClient, NppRequest, NppResponse } from '../npp/client.ts';
import { BUSINESS_ERROR_CODES, NppError } from '../npp/errors.ts';
import type { NppAction } from '../npp/models.ts';

/** What an NPP activity failure carries besides its type (the error code) and message. */
export interface NppFailureDetails {
  action: NppAction;
  code: string;
  layer: NppError['layer'];
  requestId?: string;
  httpStatus?: number;
}

/** Turns the client's error into the failure Temporal records; its `retryable` verdict decides. */
export function toApplicationFailure(error: unknown): unknown {
  if (!(error instanceof NppError)) return error;
  const details: NppFailureDetails = {
    action: error.action,
    code: error.code,
    layer: error.layer,
    ...(error.requestId ? { requestId: error.requestId } : {}),
    ...(error.httpStatus ? { httpStatus: error.httpStatus } : {}),
  };
  return ApplicationFailure.create({
    type: error.code,
    message: `${error.action}: ${error.code}: ${error.message}`,
    nonRetryable: !error.retryable,
    details: [details],
  });
}

/**
 * A retry of CreateCallBack refused because its BizId is taken: only an earlier attempt of this very
 * activity can have taken it, so that attempt made the call and its answer was lost on the way back.
 */
function madeByEarlierAttempt(error: unknown): unknown {
  const bizIdTaken = error instanceof ApplicationFailure && error.type === BUSINESS_ERROR_CODES.BizIdAlreadyUsed.code;
  if (!bizIdTaken || Context.current().info.attempt === 1) return error;
  return ApplicationFailure.create({
    type: CALL_MADE_BY_EARLIER_ATTEMPT,
    message: 'CreateCallBack: an earlier attempt made the call (its BizId is taken) but its answer was lost',
    nonRetryable: true,
    details: error.details ?? undefined,
  });
}

function cancellationReason(signal: AbortSignal): unknown {
  return signal.reason instanceof CancelledFailure ? signal.reason : new CancelledFailure('activity cancelled');
}

/**
 * One NPP call from inside an activity, aborted with it. Cancelled (by the workflow, or by a worker
 * shutting down): reported as a cancellation, which Temporal retries on shutdown, not as the client's
 * non-retryable "aborted". Any other error becomes the failure its `retryable` verdict says.
 */
export async function callNpp<A extends NppAction>(
  client: NppClient,
  action: A,
  request: NppRequest<A>,
): Promise<NppResponse<A>> {
  const { cancellationSignal } = Context.current();
  try {
    return await client.call(action, request, { signal: cancellationSignal });
  } catch (error) {
    if (cancellationSignal.aborted) throw cancellationReason(cancellationSignal);
    throw toApplicationFailure(error);
  }
}

export interface NppActivityDependencies {
  client: NppClient;
  /** Where the platform should push this worker's callbacks; without it the console defaults apply. */
  callbacks?: CallbackUrlConfig;
}

/** The one activity per NPP action, each a thin call through the injected client. */
export function createNppActivities({ client, callbacks }: NppActivityDependencies) {
  // Callback URLs carry a token derived from the secret: built here, so no secret enters history.
  function urlsForThisWorkflow(): Partial<ReturnType<typeof sessionCallbackUrls>> {
    const workflowId = Context.current().info.workflowExecution?.workflowId;
    return callbacks && workflowId ? sessionCallbackUrls(callbacks, workflowId) : {};
  }

  return {
    async getVirtualNum(request: NppRequest<'GetVirtualNum'>) {
      const { StatusUrl, HangupUrl, RecordUrl } = urlsForThisWorkflow();
      return callNpp(client, 'GetVirtualNum', { StatusUrl, HangupUrl, RecordUrl, ...request });
    },
    async delVirtualNum(request: NppRequest<'DelVirtualNum'>) {
      return callNpp(client, 'DelVirtualNum', request);
    },
    async createCallBack(request: NppRequest<'CreateCallBack'>) {
      const { StatusUrl, HangupUrl, RecordUrl, KeyPressUrl } = urlsForThisWorkflow();
      const PreCallerHandle = request.PreCallerHandle && {
        ...request.PreCallerHandle,
        KeyPressUrl: request.PreCallerHandle.KeyPressUrl || KeyPressUrl || '',
      };
      try {
        return await callNpp(client, 'CreateCallBack', {
          StatusUrl,
          HangupUrl,
          RecordUrl,
          ...request,
          ...(PreCallerHandle ? { PreCallerHandle } : {}),
        });
      } catch (error) {
        throw madeByEarlierAttempt(error);
      }
    },
    async deleteCallBack(request: NppRequest<'DeleteCallBack'>) {
      return callNpp(client, 'DeleteCallBack', request);
    },
    async describeCallBackStatus(request: NppRequest<'DescribeCallBackStatus'>) {
      return callNpp(client, 'DescribeCallBackStatus', request);
    },
    async describeCallBackCdr(request: NppRequest<'DescribeCallBackCdr'>) {
      return callNpp(client, 'DescribeCallBackCdr', request);
    },
    async describeCallerDisplayList(request: NppRequest<'DescribeCallerDisplayList'>) {
      return callNpp(client, 'DescribeCallerDisplayList', request);
    },
    async get400Cdr(request: NppRequest<'Get400Cdr'>) {
      return callNpp(client, 'Get400Cdr', request);
    },
  };
}

export type NppActivities = ReturnType<typeof createNppActivities>;
