import {
  type ActivityOptions,
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ArchiveActivities } from '../activities/archiveActivities.ts';
import { ARCHIVE_ACTIVITY_OPTIONS, archiveTaskQueue } from '../activities/archiveOptions.ts';
import type { NppActivities } from '../activities/nppActivities.ts';
import { NPP_ACTIVITY_OPTIONS } from '../activities/options.ts';
import {
  type CallBackHangupEvent,
  type CallBackInput,
  type CallBackState,
  type CallBackStatus,
  type CancelCallBackResult,
  type CancelFlag,
  type CarriedCallBack,
  type CdrMissingReason,
  callBackHangupSignal,
  callBackStateQuery,
  cancelCallBackUpdate,
} from '../contract/callBack.ts';
import { CALL_MADE_BY_EARLIER_ATTEMPT } from '../contract/failures.ts';
import { NppCallId, NppSessionStatus } from '../contract/searchAttributes.ts';
import { callRecordingSignal, callStatusSignal, keyPressSignal } from '../contract/session.ts';
import { BUSINESS_ERROR_CODES } from '../npp/errors.ts';
import type { CallBackCdr, CreateCallBackResponse } from '../npp/models.ts';
import { maskPhone } from '../phone.ts';
import { cdrSummary, hangupFromCdr, statusOf } from './callBackEvents.ts';
import { type ResolvedCallBackInput, resolveCallBackInput } from './callBackInput.ts';
import { applyKeyPress } from './calls.ts';
import { failureOf } from './failures.ts';

const { createCallBack } = proxyActivities<NppActivities>(NPP_ACTIVITY_OPTIONS.CreateCallBack);
const { deleteCallBack } = proxyActivities<NppActivities>(NPP_ACTIVITY_OPTIONS.DeleteCallBack);
const { describeCallerDisplayList } = proxyActivities<NppActivities>(NPP_ACTIVITY_OPTIONS.DescribeCallerDisplayList);
const { archiveRecording } = proxyActivities<ArchiveActivities>(ARCHIVE_ACTIVITY_OPTIONS);

/** DescribeCallBackStatus.CallStatus of an ended call. */
const PLATFORM_STATUS_ENDED = '5';
/** Polls of DescribeCallBackCdr after the platform said the call ended, before giving up on its record. */
const MAX_CDR_POLLS = 10;
/** Slack around the call's lifetime when asking DescribeCallBackCdr for its record (clock skew). */
const CDR_WINDOW_SLACK_SECONDS = 600;
/** Runs from this change on send a BizId of their own and recover a call whose CreateCallBack answer was lost. */
const NO_DOUBLE_RING_PATCH = 'callback-biz-id';
/**
 * Runs polling from this change on outlive failed polls (backing off), stop at the polling limit and
 * continue-as-new when the history grows; before it, a failed poll failed the run and polling never stopped.
 */
const PATIENT_POLLING_PATCH = 'callback-patient-polling';
/** Runs from this change on archive on the archive task queue; before it, on the workflow's own. */
const ARCHIVE_TASK_QUEUE_PATCH = 'archive-task-queue';
/** Longest pause after failed polls (unless pollIntervalSeconds is longer): an outage ends unnoticed otherwise. */
const MAX_FAILED_POLL_BACKOFF_SECONDS = 300;

/**
 * A callback call (回拨): CreateCallBack rings the caller, then (after an optional IVR) the callee,
 * each seeing a platform number. The run follows the call through the webhook's signals and ends on
 * its hangup CDR. A call's lifetime is bounded by ringing plus MaxAllowTime, so when no CDR has come
 * by then the run asks the platform itself (DescribeCallBackStatus, then DescribeCallBackCdr): a lost
 * webhook never leaves it open. The `cancel` update tears the call down with DeleteCallBack under the
 * chosen CancelFlag and answers whether the platform did; cancelling the run tears it down too.
 *
 * Polling. A poll that fails after all its attempts (platform or network outage) is logged and
 * counted in the state, and the next waits twice as long (at most 5 minutes); the run never fails
 * for it. Polling stops pollingLimitSeconds after it began (by default as long again as the call's
 * longest life, at least an hour): the run then ends `ended` with `cdrMissing` and a
 * `cdrMissingReason` saying whether the platform never reported the end or could not be reached. A
 * long poll continues-as-new, carrying its state, when the history grows large.
 *
 * Double rings. CreateCallBack is not idempotent: an attempt can time out after the platform made the
 * call. Every request carries a BizId (the app's, else this run's id without dashes) and the platform
 * refuses a BizId twice, so a retry cannot ring the caller again; the activity reports that refusal on
 * a retry as CallMadeByEarlierAttempt. The run then learns the CallId from the first event the
 * platform pushes to this run's own callback URLs (a hangup naming another BizId is not taken), or,
 * when none came within the call's longest life, from its CDR found by BizId with DescribeCallBackCdr.
 * Remaining risks:
 * - until that event the CallId is unknown, so a `cancel` or a cancellation of the run waits for it;
 *   with a StatusFlag asking for no early states, or with the console's default callback URLs (the
 *   webhook finds runs by CallId), nothing names the call before its CDR, after its longest life;
 * - an event of another call pushed to this workflow id's URLs (a former run with the same callKey)
 *   can be taken for this run's call when it carries no BizId;
 * - when neither an event nor the CDR ever names the call, the run fails as CreateCallBackFailed
 *   (CallIdNotRecovered), the call being over by then;
 * - an app-given BizId must be unique: a first attempt refused for it fails the run, but a retry
 *   refused for it after an attempt that never reached the platform is taken for a lost answer, and
 *   the CDR of the app's other call with that BizId and caller can then be adopted;
 * - runs started before this (no patch marker) send no BizId of their own and may still ring twice.
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
  const seen = new Set<string>(carried?.seenEventIds);
  /** Events that arrived before CreateCallBack answered with the CallId. */
  const early: { callId: string; bizId?: string; apply: () => void }[] = [];
  let createSettled = carried !== undefined;
  const polling = { failedPollsInARow: carried?.failedPollsInARow ?? 0, cdrPolls: carried?.cdrPolls ?? 0 };
  const withPollAttempts = (options: ActivityOptions): ActivityOptions =>
    input.pollAttempts ? { ...options, retry: { ...options.retry, maximumAttempts: input.pollAttempts } } : options;
  const { describeCallBackStatus } = proxyActivities<NppActivities>(
    withPollAttempts(NPP_ACTIVITY_OPTIONS.DescribeCallBackStatus),
  );
  const { describeCallBackCdr } = proxyActivities<NppActivities>(
    withPollAttempts(NPP_ACTIVITY_OPTIONS.DescribeCallBackCdr),
  );
  const bizAppId = input.bizAppId ? { BizAppId: input.bizAppId } : {};

  function showDetails(): void {
    const status = statusOf(state);
    if (status !== state.status) {
      state.status = status;
      upsertSearchAttributes([{ key: NppSessionStatus, value: status }]);
    }
    const parts = [`**${state.status}**`, `${state.src} → ${state.dst}`];
    if (state.callId) parts.push(`call ${state.callId}`);
    if (state.keys.length > 0) parts.push(`keys ${state.keys.join('')}`);
    if (state.cdr) parts.push(`${state.cdr.endStatusText}, ${state.cdr.duration} s`);
    if (state.cdrMissingReason) parts.push(`no CDR: ${state.cdrMissingReason}`);
    if (state.failedPolls) parts.push(`${state.failedPolls} failed polls`);
    setCurrentDetails(parts.join(' · '));
  }

  function setStatus(status: CallBackStatus): void {
    state.status = status;
    upsertSearchAttributes([{ key: NppSessionStatus, value: status }]);
    showDetails();
  }

  /** Applies an event once, and only if it is about this run's call (buffered until the CallId is known). */
  function onEvent(event: { eventId: string; callId: string; bizId?: string }, apply: () => void): void {
    if (seen.has(event.eventId)) return;
    if (state.callId === undefined && !createSettled) {
      early.push({ callId: event.callId, bizId: event.bizId, apply: () => onEvent(event, apply) });
      return;
    }
    if (event.callId !== state.callId) {
      log.warn('ignoring an event of another call', { callId: event.callId });
      return;
    }
    seen.add(event.eventId);
    apply();
    showDetails();
  }

  function applyHangup(event: CallBackHangupEvent, source: 'webhook' | 'poll'): void {
    if (state.cdr) return;
    state.cdr = cdrSummary(event, source);
    if (event.recordUrl && !state.recordUrl) state.recordUrl = event.recordUrl;
    state.endedAt = state.cdr.endedAt ?? new Date().toISOString();
  }

  function applyPolledCdr(cdr: CallBackCdr): void {
    const event = hangupFromCdr(cdr);
    onEvent(event, () => applyHangup(event, 'poll'));
  }

  setHandler(callStatusSignal, (event) =>
    onEvent(event, () => {
      state.statusBits |= event.callStatus;
    }),
  );
  setHandler(callBackHangupSignal, (event) => onEvent(event, () => applyHangup(event, 'webhook')));
  setHandler(callRecordingSignal, (event) =>
    onEvent(event, () => {
      state.recordUrl ??= event.recordUrl;
    }),
  );
  setHandler(keyPressSignal, (event) => onEvent(event, () => Object.assign(state, applyKeyPress(state, event))));
  setHandler(callBackStateQuery, () => state);

  setHandler(
    cancelCallBackUpdate,
    async ({ cancelFlag }): Promise<CancelCallBackResult> => {
      await condition(() => createSettled);
      const refused = (reason: string) => ({ tornDown: false, reason, status: state.status });
      if (state.callId === undefined) return refused('the call was never created');
      if (state.cdr !== undefined) return refused('the call had already ended');
      if (state.cancelledWith !== undefined) return refused('the call was already torn down');
      try {
        await tearDown(state.callId, cancelFlag);
      } catch (error) {
        const { code, message } = failureOf(error);
        return refused(
          code === BUSINESS_ERROR_CODES.CallNotCancellable.code
            ? message
            : `DeleteCallBack failed: ${code}: ${message}`,
        );
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
    setStatus('cancelled');
  }

  if (carried) {
    showDetails();
  } else {
    upsertMemo({ src: state.src, dst: state.dst, record: input.record, maxAllowTime: input.maxAllowTime });
    setStatus('created');
  }
  try {
    // Not cancellable: a call the platform created must be known, to be torn down.
    if (!carried) await CancellationScope.nonCancellable(() => create(input));
    await waitForHangup(input);
    // The recording usually comes with the CDR; otherwise shortly after it.
    if (input.record && input.recordingWaitSeconds > 0 && state.cdr?.calleeAnsweredAt && !state.recordUrl) {
      await condition(() => state.recordUrl !== undefined, input.recordingWaitSeconds * 1000);
    }
    // The recording is known by now if it ever comes: the CDR, or the wait above, brought it.
    if (state.callId && state.recordUrl && patched('archive-recordings')) {
      await CancellationScope.nonCancellable(() => archive(state.callId as string, state.recordUrl as string));
    }
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // The run was cancelled: the call must not go on without anyone following it.
    if (state.callId !== undefined && state.cdr === undefined && state.cancelledWith === undefined) {
      await tearDown(state.callId, 0).catch((failure) =>
        log.warn('could not tear down on cancellation', failureOf(failure)),
      );
    }
    throw error;
  }
  await condition(allHandlersFinished);
  state.endedAt ??= new Date().toISOString();
  showDetails();
  return state;

  /** Archives the recording; the worker's configuration decides whether archiving is on (null = off). */
  async function archive(callId: string, recordUrl: string): Promise<void> {
    try {
      const options = patched(ARCHIVE_TASK_QUEUE_PATCH)
        ? { ...ARCHIVE_ACTIVITY_OPTIONS, taskQueue: archiveTaskQueue(workflowInfo().taskQueue) }
        : ARCHIVE_ACTIVITY_OPTIONS;
      const archived = await archiveRecording.executeWithOptions(
        { ...options, summary: `archive recording of ${callId}` },
        [{ workflowId: workflowInfo().workflowId, callId, recordUrl }],
      );
      if (archived) state.archive = archived;
    } catch (error) {
      state.archiveFailure = failureOf(error);
      log.warn('recording not archived', { callId, code: state.archiveFailure.code });
    }
  }

  async function create(input: ResolvedCallBackInput): Promise<void> {
    const noDoubleRing = patched(NO_DOUBLE_RING_PATCH);
    // The run id is unique to this run and leads an operator from the platform's records to the run.
    const bizId = input.bizId ?? (noDoubleRing ? workflowInfo().runId.replaceAll('-', '') : undefined);
    if (bizId) state.bizId = bizId;
    let srcDisplayNum = input.srcDisplayNum;
    let dstDisplayNum = input.dstDisplayNum;
    let recoveredCdr: CallBackCdr | undefined;
    try {
      if (input.chooseDisplayNumbers && (!srcDisplayNum || !dstDisplayNum)) {
        const { CodeList } = await describeCallerDisplayList(bizAppId);
        const numbers = (CodeList ?? []).map((code) => `${code.Nation}${code.Phone}`);
        // An empty list means both parties see each other's number: nothing to choose.
        srcDisplayNum ??= numbers[0];
        dstDisplayNum ??= numbers[1] ?? numbers[0];
      }
      const handle = input.preCallerHandle;
      let response: CreateCallBackResponse;
      try {
        response = await createCallBack.executeWithOptions(
          { ...NPP_ACTIVITY_OPTIONS.CreateCallBack, summary: `call back ${state.src} → ${state.dst}` },
          [
            {
              Src: input.src,
              Dst: input.dst,
              ...(srcDisplayNum ? { SrcDisplayNum: srcDisplayNum } : {}),
              ...(dstDisplayNum ? { DstDisplayNum: dstDisplayNum } : {}),
              Record: input.record ? '1' : '0',
              MaxAllowTime: String(input.maxAllowTime),
              StatusFlag: String(input.statusFlag),
              ...(bizId ? { BizId: bizId } : {}),
              ...(input.orderId ? { OrderId: input.orderId } : {}),
              ...(input.lastCallId ? { LastCallId: input.lastCallId } : {}),
              ...(handle
                ? {
                    PreCallerHandle: {
                      ReadPrompt: handle.readPrompt,
                      InterruptPrompt: handle.interruptPrompt,
                      KeyList: handle.keyList.map(({ key, operate }) => ({ Key: key, Operate: String(operate) })),
                      RepeatTimes: String(handle.repeatTimes ?? 2),
                      // The activity fills in this worker's keypress URL.
                      KeyPressUrl: '',
                      PromptGender: String(handle.promptGender ?? 1),
                    },
                  }
                : {}),
              ...bizAppId,
            },
          ],
        );
      } catch (error) {
        if (!noDoubleRing || !bizId || failureOf(error).code !== CALL_MADE_BY_EARLIER_ATTEMPT) throw error;
        log.warn('an earlier CreateCallBack attempt made the call unseen; recovering its CallId');
        const recovered = await recoverLostCall(bizId);
        recoveredCdr = recovered.cdr;
        response = { CallId: recovered.callId };
      }
      if (!response.CallId) throw ApplicationFailure.nonRetryable('CreateCallBack answered no CallId', 'NoCallId');
      state.callId = response.CallId;
      state.srcDisplayNum = response.SrcDisplayNum ?? srcDisplayNum;
      state.dstDisplayNum = response.DstDisplayNum ?? dstDisplayNum;
    } catch (error) {
      state.failure = failureOf(error);
      state.endedAt = new Date().toISOString();
      setStatus('failed');
      throw ApplicationFailure.create({
        type: 'CreateCallBackFailed',
        message: `CreateCallBack failed: ${state.failure.code}: ${state.failure.message}`,
        nonRetryable: true,
        details: [state],
      });
    } finally {
      createSettled = true;
      for (const event of early.splice(0)) event.apply();
    }
    if (recoveredCdr) applyPolledCdr(recoveredCdr);
    upsertSearchAttributes([{ key: NppCallId, value: [state.callId] }]);
    upsertMemo({ srcDisplayNum: state.srcDisplayNum, dstDisplayNum: state.dstDisplayNum });
    showDetails();
  }

  /**
   * The call an unseen CreateCallBack made: named by the first event pushed to this run's callback
   * URLs, or, once the call's longest life is over without one, by its CDR carrying the BizId.
   */
  async function recoverLostCall(bizId: string): Promise<{ callId: string; cdr?: CallBackCdr }> {
    // A hangup naming another BizId is of another call (e.g. of an earlier run with this workflow id).
    const ours = () => early.find((event) => event.bizId === undefined || event.bizId === bizId);
    const fromEvent = () => {
      state.callIdRecoveredFrom = 'event';
      return { callId: ours()?.callId as string };
    };
    const deadline = createdAtMs + input.hangupTimeoutSeconds * 1000;
    if (await condition(() => ours() !== undefined, Math.max(1, deadline - Date.now()))) return fromEvent();
    for (let polls = 0; polls < MAX_CDR_POLLS; polls++) {
      const cdr = (await callerCdrsSinceCreation()).find((record) => record.BizId === bizId);
      if (cdr) {
        state.callIdRecoveredFrom = 'cdr';
        return { callId: cdr.CallId, cdr };
      }
      if (await condition(() => ours() !== undefined, input.pollIntervalSeconds * 1000)) return fromEvent();
    }
    throw ApplicationFailure.nonRetryable(
      'no event and no CDR named the call an earlier attempt made',
      'CallIdNotRecovered',
    );
  }

  /** Until the CDR is known: from the webhook, or, past the call's longest possible life, by polling. */
  async function waitForHangup(input: ResolvedCallBackInput): Promise<void> {
    const callId = state.callId as string;
    // A continued run was already polling.
    if (carried) return pollPatiently(callId);
    const deadline = createdAtMs + input.hangupTimeoutSeconds * 1000;
    if (await condition(() => state.cdr !== undefined, Math.max(1, deadline - Date.now()))) return;
    log.warn('no hangup CDR within the call’s longest possible life; asking the platform', { callId });
    if (patched(PATIENT_POLLING_PATCH)) return pollPatiently(callId);
    // Runs that began polling before the patch: a failed poll fails them, polling is unbounded.
    let cdrPolls = 0;
    while (state.cdr === undefined) {
      const ended = await platformSaysEnded(callId);
      if (ended) {
        const cdr = await polledCdr(callId);
        if (cdr) {
          applyPolledCdr(cdr);
          break;
        }
        if (++cdrPolls >= MAX_CDR_POLLS) {
          state.cdrMissing = true;
          log.error('the platform reports the call ended but has no CDR for it', { callId });
          break;
        }
      }
      await condition(() => state.cdr !== undefined, input.pollIntervalSeconds * 1000);
    }
  }

  /**
   * Polls until the CDR is known, the platform has none, or the polling limit passes. A failed poll
   * only lengthens the pause before the next one; the history is renewed by continue-as-new.
   */
  async function pollPatiently(callId: string): Promise<void> {
    const giveUpAt = createdAtMs + (input.hangupTimeoutSeconds + input.pollingLimitSeconds) * 1000;
    while (state.cdr === undefined) {
      if (continueAsNewDue()) await continueAsNewCarryingState();
      let pauseSeconds = input.pollIntervalSeconds;
      try {
        const ended = await platformSaysEnded(callId);
        const cdr = ended ? await polledCdr(callId) : undefined;
        polling.failedPollsInARow = 0;
        if (cdr) return applyPolledCdr(cdr);
        if (ended && ++polling.cdrPolls >= MAX_CDR_POLLS) return endWithoutCdr(callId, 'platform-has-no-cdr');
      } catch (error) {
        if (isCancellation(error)) throw error;
        polling.failedPollsInARow++;
        pauseSeconds = Math.min(
          input.pollIntervalSeconds * 2 ** polling.failedPollsInARow,
          Math.max(input.pollIntervalSeconds, MAX_FAILED_POLL_BACKOFF_SECONDS),
        );
        const failure = failureOf(error);
        state.failedPolls = (state.failedPolls ?? 0) + 1;
        state.lastPollFailure = { ...failure, at: new Date().toISOString() };
        showDetails();
        log.warn('polling the platform failed; asking again later', {
          callId,
          code: failure.code,
          failedInARow: polling.failedPollsInARow,
          pauseSeconds,
        });
      }
      const untilGiveUp = giveUpAt - Date.now();
      if (untilGiveUp <= 0) {
        const reason: CdrMissingReason =
          polling.failedPollsInARow > 0
            ? 'platform-unreachable'
            : polling.cdrPolls > 0
              ? 'platform-has-no-cdr'
              : 'call-never-ended';
        return endWithoutCdr(callId, reason);
      }
      await condition(() => state.cdr !== undefined, Math.min(pauseSeconds * 1000, untilGiveUp));
    }
  }

  function endWithoutCdr(callId: string, reason: CdrMissingReason): void {
    state.cdrMissing = true;
    state.cdrMissingReason = reason;
    log.error('the run ends without the call’s CDR', { callId, reason });
    showDetails();
  }

  function continueAsNewDue(): boolean {
    const { continueAsNewSuggested, historyLength } = workflowInfo();
    return (
      continueAsNewSuggested ||
      (input.continueAsNewAfterEvents !== undefined && historyLength >= input.continueAsNewAfterEvents)
    );
  }

  async function continueAsNewCarryingState(): Promise<never> {
    // A cancel in flight finishes here, so the next run starts from its outcome.
    await condition(allHandlersFinished);
    const next: CarriedCallBack = { state, seenEventIds: [...seen], ...polling };
    return continueAsNew<typeof callBackCall>({ ...rawInput, carried: next });
  }

  async function platformSaysEnded(callId: string): Promise<boolean> {
    try {
      const { CallStatus } = await describeCallBackStatus({ CallId: callId, ...bizAppId });
      return CallStatus === PLATFORM_STATUS_ENDED;
    } catch (error) {
      // A call the platform no longer knows is over; its CDR may still be found.
      if (failureOf(error).code === BUSINESS_ERROR_CODES.CallNotFound.code) return true;
      throw error;
    }
  }

  async function polledCdr(callId: string): Promise<CallBackCdr | undefined> {
    return (await callerCdrsSinceCreation(callId)).find((cdr) => cdr.CallId === callId);
  }

  /** The caller's CDRs from around this run's start until now (of one call when its CallId is given). */
  async function callerCdrsSinceCreation(callId?: string): Promise<CallBackCdr[]> {
    const from = Math.floor(createdAtMs / 1000) - CDR_WINDOW_SLACK_SECONDS;
    const to = Math.floor(Date.now() / 1000) + CDR_WINDOW_SLACK_SECONDS;
    const { Cdr } = await describeCallBackCdr({
      ...(callId ? { CallId: callId } : {}),
      Src: input.src,
      StartTimeStamp: String(from),
      EndTimeStamp: String(to),
      ...bizAppId,
    });
    return Cdr ?? [];
  }
}
