import {
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { NppActivities } from '../activities/nppActivities.ts';
import { NPP_ACTIVITY_OPTIONS } from '../activities/options.ts';
import {
  type CallBackHangupEvent,
  type CallBackInput,
  type CallBackState,
  type CancelCallBackResult,
  type CancelFlag,
  callBackHangupSignal,
  callBackStateQuery,
  cancelCallBackUpdate,
} from '../contract/callBack.ts';
import { WORKFLOW_FAILURES } from '../contract/failures.ts';
import { NppCallId } from '../contract/searchAttributes.ts';
import { callRecordingSignal, callStatusSignal, keyPressSignal } from '../contract/session.ts';
import { BUSINESS_ERROR_CODES } from '../npp/errors.ts';
import type { CallBackCdr } from '../npp/models.ts';
import { maskPhone } from '../phone.ts';
import { createCall } from './callBackCreation.ts';
import { CallBackDisplay } from './callBackDisplay.ts';
import { CallBackEventGate } from './callBackEventGate.ts';
import { cdrSummary, hangupFromCdr } from './callBackEvents.ts';
import { resolveCallBackInput } from './callBackInput.ts';
import { CallBackNotifier } from './callBackNotifier.ts';
import { applyKeyPress } from './calls.ts';
import { CdrPoller } from './cdrPoller.ts';
import { continueAsNewDue, eventIdsToCarry } from './continueAsNew.ts';
import { failureOf } from './failures.ts';
import { NOTIFY_FINAL_WAIT_MS } from './notificationQueue.ts';
import { RecordingArchiver } from './recordingArchiver.ts';

const { deleteCallBack } = proxyActivities<NppActivities>(NPP_ACTIVITY_OPTIONS.DeleteCallBack);

/**
 * A callback call (回拨): CreateCallBack rings the caller, then (after an optional IVR) the callee,
 * each seeing a platform number. The run follows the call through the webhook's signals and ends on
 * its hangup CDR. A call's lifetime is bounded by ringing plus MaxAllowTime, so when no CDR has come
 * by then the run asks the platform itself (CdrPoller): a lost webhook never leaves it open. The
 * `cancel` update tears the call down with DeleteCallBack under the chosen CancelFlag and answers
 * whether the platform did; cancelling the run tears it down too. A retried CreateCallBack never rings
 * twice (callBackCreation.ts); docs/callbacks.md lists the risks that remain.
 */
export async function callBackCall(rawInput: CallBackInput): Promise<CallBackState> {
  const input = resolveCallBackInput(rawInput);
  const { carried } = input;
  const createdAtMs = carried ? Date.parse(carried.state.createdAt) : Date.now();
  const state: CallBackState = carried?.state ?? {
    callKey: input.callKey,
    status: 'created',
    src: maskPhone(input.src),
    dst: maskPhone(input.dst),
    record: input.record,
    statusBits: 0,
    keys: [],
    createdAt: new Date(createdAtMs).toISOString(),
  };
  const bizAppId = input.bizAppId ? { BizAppId: input.bizAppId } : {};
  const notifier = new CallBackNotifier(input.notifyUrl, state, carried?.notifications);
  const display = new CallBackDisplay(state, carried !== undefined, () => notifier.notice());
  const gate = new CallBackEventGate(state, carried?.seenEventIds ?? [], carried !== undefined, () => display.update());
  const archiver = new RecordingArchiver((_callId, outcome) => {
    Object.assign(state, outcome);
    notifier.notice();
  });
  const poller = new CdrPoller(state, input, createdAtMs, carried, {
    applyCdr: applyPolledCdr,
    changed: () => display.update(),
    async continueAsNewIfDue(progress) {
      if (!continueAsNewDue(input.continueAsNewAfterEvents)) return;
      // A cancel in flight finishes here, so the next run starts from its outcome.
      await condition(allHandlersFinished);
      const notifications = notifier.carry();
      const next = {
        state,
        seenEventIds: eventIdsToCarry(gate.seen),
        ...progress,
        ...(notifications ? { notifications } : {}),
      };
      await continueAsNew<typeof callBackCall>({ ...rawInput, carried: next });
    },
  });

  function applyHangup(event: CallBackHangupEvent, source: 'webhook' | 'poll'): void {
    if (state.cdr) return;
    state.cdr = cdrSummary(event, source);
    if (event.recordUrl && !state.recordUrl) state.recordUrl = event.recordUrl;
    state.endedAt = state.cdr.endedAt ?? new Date().toISOString();
  }

  function applyPolledCdr(cdr: CallBackCdr): void {
    const event = hangupFromCdr(cdr);
    gate.receive(event, () => applyHangup(event, 'poll'));
  }

  setHandler(callStatusSignal, (event) =>
    gate.receive(event, () => {
      state.statusBits |= event.callStatus;
    }),
  );
  setHandler(callBackHangupSignal, (event) => gate.receive(event, () => applyHangup(event, 'webhook')));
  setHandler(callRecordingSignal, (event) =>
    gate.receive(event, () => {
      state.recordUrl ??= event.recordUrl;
    }),
  );
  setHandler(keyPressSignal, (event) => gate.receive(event, () => Object.assign(state, applyKeyPress(state, event))));
  setHandler(callBackStateQuery, () => state);

  setHandler(
    cancelCallBackUpdate,
    async ({ cancelFlag }): Promise<CancelCallBackResult> => {
      await condition(() => gate.isSettled);
      const refused = (reason: string) => ({ tornDown: false, reason, status: state.status });
      if (state.callId === undefined) return refused('the call was never created');
      if (state.cdr !== undefined) return refused('the call had already ended');
      if (state.cancelledWith !== undefined) return refused('the call was already torn down');
      try {
        await tearDown(state.callId, cancelFlag);
      } catch (error) {
        const { code, message } = failureOf(error);
        const notCancellable = code === BUSINESS_ERROR_CODES.CallNotCancellable.code;
        return refused(notCancellable ? message : `DeleteCallBack failed: ${code}: ${message}`);
      }
      return { tornDown: true, status: state.status };
    },
    {
      validator: ({ cancelFlag }) => {
        if (!Number.isInteger(cancelFlag) || cancelFlag < 0 || cancelFlag > 4) {
          throw new Error('cancelFlag must be 0, 1, 2, 3 or 4');
        }
        if (state.status === 'failed') throw new Error('the call was never created');
      },
      description: 'DeleteCallBack with the CancelFlag; answers whether the platform tore the call down.',
    },
  );

  async function tearDown(callId: string, cancelFlag: CancelFlag): Promise<void> {
    await CancellationScope.nonCancellable(() =>
      deleteCallBack.executeWithOptions(
        { ...NPP_ACTIVITY_OPTIONS.DeleteCallBack, summary: `cancel ${callId} with CancelFlag ${cancelFlag}` },
        [{ CallId: callId, CancelFlag: String(cancelFlag), ...bizAppId }],
      ),
    );
    state.cancelledWith = cancelFlag;
    display.update('cancelled');
  }

  async function create(): Promise<void> {
    let recoveredCdr: CallBackCdr | undefined;
    try {
      recoveredCdr = await createCall({ input, state, createdAtMs, gate, poller });
    } catch (error) {
      state.failure = failureOf(error);
      state.endedAt = new Date().toISOString();
      display.update('failed');
      await notifier.flush(NOTIFY_FINAL_WAIT_MS);
      throw ApplicationFailure.create({
        type: WORKFLOW_FAILURES.createCallBackFailed,
        message: `CreateCallBack failed: ${state.failure.code}: ${state.failure.message}`,
        nonRetryable: true,
        details: [state],
      });
    } finally {
      gate.settle();
    }
    if (recoveredCdr) applyPolledCdr(recoveredCdr);
    upsertSearchAttributes([{ key: NppCallId, value: [state.callId as string] }]);
    upsertMemo({ srcDisplayNum: state.srcDisplayNum, dstDisplayNum: state.dstDisplayNum });
    display.update();
  }

  /** Until the CDR is known: from the webhook, or, past the call's longest possible life, by polling. */
  async function waitForHangup(): Promise<void> {
    const callId = state.callId as string;
    // A continued run was already polling.
    if (!carried) {
      const deadline = createdAtMs + input.hangupTimeoutSeconds * 1000;
      if (await condition(() => state.cdr !== undefined, Math.max(1, deadline - Date.now()))) return;
      log.warn('no hangup CDR within the call’s longest possible life; asking the platform', { callId });
    }
    await poller.untilCdr(callId);
  }

  if (!carried) upsertMemo({ src: state.src, dst: state.dst, record: input.record, maxAllowTime: input.maxAllowTime });
  // Beside the call for its whole run: a slow receiver never holds it up.
  void notifier.deliverInOrder();
  display.update();
  try {
    // Not cancellable: a call the platform created must be known, to be torn down.
    if (!carried) await CancellationScope.nonCancellable(create);
    await waitForHangup();
    // The recording usually comes with the CDR; otherwise shortly after it.
    if (input.record && input.recordingWaitSeconds > 0 && state.cdr?.calleeAnsweredAt && !state.recordUrl) {
      await condition(() => state.recordUrl !== undefined, input.recordingWaitSeconds * 1000);
    }
    if (state.callId && state.recordUrl) archiver.archive(state.callId, state.recordUrl);
    await CancellationScope.nonCancellable(() => archiver.allSettled());
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // The run was cancelled: the call must not go on without anyone following it.
    if (state.callId !== undefined && state.cdr === undefined && state.cancelledWith === undefined) {
      await tearDown(state.callId, 0).catch((failure) =>
        log.warn('could not tear down on cancellation', failureOf(failure)),
      );
    }
    await CancellationScope.nonCancellable(() => notifier.flush(NOTIFY_FINAL_WAIT_MS));
    throw error;
  }
  await condition(allHandlersFinished);
  state.endedAt ??= new Date().toISOString();
  display.update();
  await notifier.flush(NOTIFY_FINAL_WAIT_MS);
  return state;
}
