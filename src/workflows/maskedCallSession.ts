import {
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
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { ArchiveActivities } from '../activities/archiveActivities.ts';
import { ARCHIVE_ACTIVITY_OPTIONS, archiveTaskQueue } from '../activities/archiveOptions.ts';
import type { NppActivities } from '../activities/nppActivities.ts';
import { NPP_ACTIVITY_OPTIONS } from '../activities/options.ts';
import { NppBindId, NppCallId, NppSessionStatus, NppVirtualNum } from '../contract/searchAttributes.ts';
import {
  addReferenceUpdate,
  type CallRecord,
  type CarriedSession,
  callHangupSignal,
  callRecordingSignal,
  callStatusSignal,
  closeSessionUpdate,
  extendTtlUpdate,
  keyPressSignal,
  type ReferenceResult,
  releaseReferenceUpdate,
  type SessionClosedReason,
  type SessionInput,
  type SessionState,
  type SessionStatus,
  sessionStateQuery,
} from '../contract/session.ts';
import { BUSINESS_ERROR_CODES } from '../npp/errors.ts';
import { maskPhone } from '../phone.ts';
import { bindFailureOutcome, MAX_ASKS_PER_BIZ_ID, MAX_LOST_ANSWERS } from './bindOutcome.ts';
import {
  applyHangup,
  applyKeyPress,
  applyRecording,
  applyStatus,
  carriedCalls,
  emptyCall,
  recentCallIds,
  sortCalls,
} from './calls.ts';
import { failureOf } from './failures.ts';
import { type ResolvedSessionInput, resolveSessionInput } from './sessionInput.ts';

const { getVirtualNum } = proxyActivities<NppActivities>(NPP_ACTIVITY_OPTIONS.GetVirtualNum);
const { delVirtualNum } = proxyActivities<NppActivities>(NPP_ACTIVITY_OPTIONS.DelVirtualNum);
const { archiveRecording } = proxyActivities<ArchiveActivities>(ARCHIVE_ACTIVITY_OPTIONS);

/** Event ids remembered for deduplication; redeliveries come within hours, not thousands of events later. */
const MAX_SEEN_EVENT_IDS = 5000;
/** Pause before retrying an unbind that failed for good (credentials, parameters): a human must act. */
const STUCK_UNBIND_MAX_PAUSE_MS = 3_600_000;

const isBindingGone = (error: unknown) => failureOf(error).code === BUSINESS_ERROR_CODES.BindingNotFound.code;

type GetVirtualNumAnswer = Awaited<ReturnType<NppActivities['getVirtualNum']>>;
/** A binding request's answer, or its failure; either way with the references it took unseen. */
type BindingRequested =
  | { response: GetVirtualNumAnswer; lostReferences: number }
  | { failure: unknown; lostReferences: number; unsettledBizId?: string };

/**
 * A masked-call session: binds a virtual number, follows its calls through signals, and unbinds when
 * the session holds no reference any more, the TTL passes, the app closes it or it is cancelled.
 *
 * References (RefNum). GetVirtualNum answers RefNum, the virtual number's remaining reference count,
 * and DelVirtualNum answers RefLeftNum; at zero the platform unbinds. An AXB binding holds its number
 * alone (RefNum 1). In XB the number is exclusive to its Dst, so a further GetVirtualNum for the same
 * Dst (addReference, e.g. another order for the same callee) returns the same binding with RefNum one
 * higher, and may be shared with other sessions of the same Dst. This session counts the references
 * it took itself (`heldReferences`) and records the platform's count (`platformRefNum`). It ends as
 * `refnum-zero` when it holds none any more or the platform reports zero, as `binding-gone` when the
 * platform no longer knows the binding, and at TTL / close / cancel it gives back every reference it
 * holds. It never gives back references it did not take.
 *
 * Double binds. GetVirtualNum is not idempotent: an attempt can time out after the platform bound a
 * number. Every request carries a BizId unique to this session (prefix) and to the request (suffix),
 * its retried attempts repeat it, and the platform takes a BizId once, so a request takes at most one
 * reference. A request whose outcome stays unknown (timeouts, transient faults until the attempts run
 * out) is asked again with the same BizId, a bounded number of times: the platform binds now or
 * refuses it as BizIdAlreadyUsed, meaning an earlier attempt took the reference unseen. In XB the
 * number is exclusive to Dst, so such a reference is on this session's binding: the session counts it
 * as its own and asks again with a new BizId for the answer (bounded too; each lost answer is counted).
 * An addReference that gives up still counts what was taken, and keeps a request still unknown in
 * `unsettledBizIds`, asked again at close; so the session gives back every reference the platform
 * holds for it. Two cases remain where a binding can outlive a failed session until its MaxAssignTime
 * (at most maxTtlSeconds), after which the platform unbinds it itself: a first bind that gives up
 * before any answer (no BindId to release), and any lost AXB answer (the binding is not exclusive, so
 * its id is unknowable): the session fails as bind-failed. Call events that name a binding other than
 * the session's (an orphan that got a call) are released at the end too.
 *
 * Long sessions. An XB number can take thousands of calls over days. NppCallId lists only the most
 * recent CallIds (Temporal caps a search attribute value at 2 KiB). Continue-as-new waits for running
 * updates, not for archiving (that may take hours): recordings still being archived are handed to
 * the next run, which archives them again (idempotent). It carries the most recent calls only and
 * counts the older ones in `earlierCalls`; calls still needed (archiving, a stray binding) stay.
 */
export async function maskedCallSession(rawInput: SessionInput): Promise<SessionState> {
  const input = resolveSessionInput(rawInput);
  const { state, seenEventIds, bizIdsIssued, archivesHandedOver } = input.carried ?? newSession(input);
  const seen = new Set(seenEventIds);
  let bizIds = bizIdsIssued;
  let endReason: SessionClosedReason | undefined;
  let referenceOpsInFlight = 0;
  let unbound = false;
  /** Calls whose recording was handed to the archive by this run, and those still being archived. */
  const archiveStarted = new Set<string>();
  const archiving = new Map<string, Promise<void>>();

  const nextBizId = () => `${state.bizId}${(bizIds++).toString(36).padStart(4, '0')}`;
  const bindRequest = (bizId = nextBizId()) => ({
    Dst: input.dst,
    ...(input.src ? { Src: input.src } : {}),
    ...(input.accreditList ? { AccreditList: input.accreditList } : {}),
    ...(input.assignVirtualNum ? { AssignVirtualNum: input.assignVirtualNum } : {}),
    ...(input.cityId ? { CityId: input.cityId } : {}),
    ...(input.bizAppId ? { BizAppId: input.bizAppId } : {}),
    Record: input.record ? '1' : '0',
    MaxAssignTime: String(input.maxTtlSeconds),
    StatusFlag: String(input.statusFlag),
    BizId: bizId,
  });
  const who = input.src ? `${maskPhone(input.src)} ↔ ${maskPhone(input.dst)}` : `anyone → ${maskPhone(input.dst)}`;

  function setStatus(status: SessionStatus): void {
    state.status = status;
    upsertSearchAttributes([{ key: NppSessionStatus, value: status }]);
    showDetails();
  }

  function showDetails(note?: string): void {
    const parts = [
      `**${state.status}**${state.closedReason ? ` (${state.closedReason})` : ''}`,
      `${input.mode} ${who}`,
    ];
    if (state.virtualNum) parts.push(`via ${state.virtualNum}`);
    const calls = state.calls.length + (state.earlierCalls?.count ?? 0);
    parts.push(`${calls} call(s)`, `${state.heldReferences} reference(s)`);
    if (state.expiresAt && !state.closedAt) parts.push(`expires ${state.expiresAt}`);
    if (note) parts.push(note);
    setCurrentDetails(parts.join(' · '));
  }

  function applyEvent<E extends { eventId: string; callId: string }>(
    event: E,
    apply: (call: CallRecord, event: E) => CallRecord,
    at: number | undefined,
  ): void {
    if (seen.has(event.eventId)) return;
    seen.add(event.eventId);
    const existing = state.calls.find((call) => call.callId === event.callId);
    const updated = apply(existing ?? emptyCall(event.callId), event);
    state.calls = sortCalls([...state.calls.filter((call) => call !== existing), updated]);
    if (at !== undefined) {
      const iso = new Date(at * 1000).toISOString();
      if (!state.lastInteractionAt || iso > state.lastInteractionAt) state.lastInteractionAt = iso;
    }
    if (!existing) {
      // Temporal refuses a search attribute value over 2 KiB (every later workflow task would fail).
      const callIds = patched('bounded-call-history')
        ? recentCallIds(state.calls)
        : state.calls.map((call) => call.callId);
      upsertSearchAttributes([{ key: NppCallId, value: callIds }]);
    }
    if (state.status === 'open') setStatus('in-progress');
    else showDetails();
    archiveOnceKnown(updated);
  }

  /**
   * Archives a call's recording as soon as its URL is known (recording event or hangup CDR). The
   * worker's configuration decides whether archiving is on: the activity answers null when it is
   * off, so the session needs no setting of its own and never stores recordings a worker cannot.
   */
  function archiveOnceKnown(call: CallRecord): void {
    const { callId, recordUrl } = call;
    if (!recordUrl || call.archive || call.archiveFailure || archiveStarted.has(callId)) return;
    if (!patched('archive-recordings')) return;
    archiveStarted.add(callId);
    // Downloads on a queue of their own never hold the slots binding and unbinding need.
    const options = patched('archive-task-queue')
      ? { ...ARCHIVE_ACTIVITY_OPTIONS, taskQueue: archiveTaskQueue(workflowInfo().taskQueue) }
      : ARCHIVE_ACTIVITY_OPTIONS;
    // Not cancellable: a cancelled session still keeps the recordings of its calls.
    const run = CancellationScope.nonCancellable(async () => {
      try {
        const archive = await archiveRecording.executeWithOptions(
          { ...options, summary: `archive recording of ${callId}` },
          [{ workflowId: workflowInfo().workflowId, callId, recordUrl }],
        );
        if (archive) updateCall(callId, { archive });
      } catch (error) {
        const failure = failureOf(error);
        log.warn('recording not archived', { callId, code: failure.code });
        updateCall(callId, { archiveFailure: failure });
      }
    });
    archiving.set(callId, run);
    void run.finally(() => archiving.delete(callId));
  }

  function updateCall(callId: string, fields: Partial<CallRecord>): void {
    state.calls = state.calls.map((call) => (call.callId === callId ? { ...call, ...fields } : call));
  }

  /** Waits until no archiving is under way (each one records its own outcome on its call). */
  const archivingDone = () => condition(() => archiving.size === 0);

  setHandler(callStatusSignal, (event) => applyEvent(event, applyStatus, event.timestamp));
  setHandler(callHangupSignal, (event) => applyEvent(event, applyHangup, event.endCallTime));
  setHandler(callRecordingSignal, (event) => applyEvent(event, applyRecording, undefined));
  setHandler(keyPressSignal, (event) => applyEvent(event, applyKeyPress, event.timestamp));
  setHandler(sessionStateQuery, () => state);

  const acceptsChanges = () => endReason === undefined && state.bindId !== undefined;

  setHandler(
    closeSessionUpdate,
    async () => {
      endReason ??= 'closed-by-app';
      await condition(() => unbound);
      return state;
    },
    { description: 'Unbind now; answers the state once unbound, then the run drains late events.' },
  );

  setHandler(
    extendTtlUpdate,
    ({ additionalSeconds }) => {
      const expiresAt = new Date(Date.parse(state.expiresAt ?? '') + additionalSeconds * 1000).toISOString();
      state.expiresAt = expiresAt;
      showDetails();
      return { expiresAt };
    },
    {
      validator: ({ additionalSeconds }) => {
        if (!acceptsChanges()) throw new Error('the session is not open');
        if (!Number.isInteger(additionalSeconds) || additionalSeconds <= 0) {
          throw new Error('additionalSeconds must be a positive whole number');
        }
        const wanted = Date.parse(state.expiresAt ?? '') + additionalSeconds * 1000;
        if (wanted > Date.parse(state.maxExpiresAt ?? '')) {
          throw new Error(`cannot extend past ${state.maxExpiresAt} (MaxAssignTime chosen at bind)`);
        }
      },
    },
  );

  setHandler(
    addReferenceUpdate,
    async (): Promise<ReferenceResult> => {
      referenceOpsInFlight++;
      try {
        const summary = `add reference ${who}`;
        const settles = patched('add-reference-settles-lost-answers');
        const recoverLostAnswer = settles || patched('add-reference-recovers-lost-answer');
        const { response, lostReferences } = await CancellationScope.nonCancellable(async () =>
          settles ? keepWhatWasTaken(await requestBindingSettled(summary)) : requestBinding(summary, recoverLostAnswer),
        );
        if (response.BindId !== state.bindId) {
          // The number is exclusive to Dst, so this should not happen; never keep a second binding.
          if (response.BindId) await releaseUntilDone(response.BindId);
          throw ApplicationFailure.nonRetryable('the platform answered with a different binding', 'UnexpectedBinding');
        }
        state.heldReferences += 1 + lostReferences;
        state.platformRefNum = Number(response.RefNum ?? state.platformRefNum);
        if (settles) capToPlatformCount(response.RefNum);
        showDetails();
        return { heldReferences: state.heldReferences, platformRefNum: state.platformRefNum };
      } finally {
        referenceOpsInFlight--;
      }
    },
    {
      validator: () => {
        if (!acceptsChanges()) throw new Error('the session is not open');
        if (input.mode !== 'XB') throw new Error('only an XB session can take further references on its number');
      },
    },
  );

  setHandler(
    releaseReferenceUpdate,
    async (): Promise<ReferenceResult> => {
      referenceOpsInFlight++;
      try {
        const bindId = state.bindId as string;
        try {
          const response = await CancellationScope.nonCancellable(() =>
            delVirtualNum.executeWithOptions({ ...NPP_ACTIVITY_OPTIONS.DelVirtualNum, summary: `release ${bindId}` }, [
              { BindId: bindId, ...(input.bizAppId ? { BizAppId: input.bizAppId } : {}) },
            ]),
          );
          state.heldReferences--;
          state.platformRefNum = Number(response.RefLeftNum ?? 0);
          if (state.platformRefNum === 0) state.heldReferences = 0;
          if (state.heldReferences === 0) endReason ??= 'refnum-zero';
        } catch (error) {
          if (!isBindingGone(error)) throw error;
          state.heldReferences = 0;
          state.platformRefNum = 0;
          endReason ??= 'binding-gone';
        }
        showDetails();
        return { heldReferences: state.heldReferences, platformRefNum: state.platformRefNum };
      } finally {
        referenceOpsInFlight--;
      }
    },
    {
      validator: () => {
        if (!acceptsChanges() || state.heldReferences === 0) throw new Error('the session holds no reference');
      },
    },
  );

  /**
   * DelVirtualNum until the platform confirms: the activity retries transient faults without limit;
   * failures it cannot retry (credentials, parameters) need a human, so the session keeps trying with
   * growing pauses rather than forget a bound number. Answers the platform's RefLeftNum (0 when gone).
   */
  async function releaseUntilDone(bindId: string): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await delVirtualNum.executeWithOptions(
          { ...NPP_ACTIVITY_OPTIONS.DelVirtualNum, summary: `unbind ${bindId}` },
          [{ BindId: bindId, ...(input.bizAppId ? { BizAppId: input.bizAppId } : {}) }],
        );
        return Number(response.RefLeftNum ?? 0);
      } catch (error) {
        if (isBindingGone(error)) return 0;
        const { code, message } = failureOf(error);
        log.error('unbind failed; retrying after a pause', { bindId, code, message, attempt });
        showDetails(`unbind of ${bindId} failing: ${code}`);
        await sleep(Math.min(60_000 * 2 ** attempt, STUCK_UNBIND_MAX_PAUSE_MS));
      }
    }
  }

  /** Gives back every reference this session holds, and any other binding its calls revealed. */
  async function unbindEverything(): Promise<void> {
    while (state.bindId && state.heldReferences > 0) {
      const left = await releaseUntilDone(state.bindId);
      state.heldReferences = left === 0 ? 0 : state.heldReferences - 1;
      state.platformRefNum = left;
    }
    const strays = new Set(state.calls.map((call) => call.bindId).filter((id) => id && id !== state.bindId));
    for (const bindId of strays) {
      log.warn('releasing a binding of this session that it did not know it held', { bindId });
      await releaseUntilDone(bindId as string);
    }
  }

  /**
   * GetVirtualNum with `bizId`, asked again (bounded) while its outcome is unknown: each ask binds now,
   * is refused as BizIdAlreadyUsed (taken by an earlier ask) or is refused outright.
   */
  async function askUntilKnown(summary: string, bizId: string): Promise<GetVirtualNumAnswer> {
    const options = { ...NPP_ACTIVITY_OPTIONS.GetVirtualNum, summary };
    for (let ask = 1; ; ask++) {
      try {
        return await getVirtualNum.executeWithOptions(options, [bindRequest(bizId)]);
      } catch (error) {
        if (bindFailureOutcome(error) !== 'unknown' || ask === MAX_ASKS_PER_BIZ_ID) throw error;
        log.warn('GetVirtualNum outcome unknown; asking again with the same BizId', { code: failureOf(error).code });
      }
    }
  }

  /**
   * GetVirtualNum for this session, accounting for every request whose answer was lost (see "Double
   * binds" above). A request taken unseen is counted in `lostReferences` (in XB, followed by a new
   * request for the answer); one whose outcome stayed unknown is handed back as `unsettledBizId`.
   */
  async function requestBindingSettled(summary: string): Promise<BindingRequested> {
    let lostReferences = 0;
    for (;;) {
      const bizId = nextBizId();
      try {
        return { response: await askUntilKnown(summary, bizId), lostReferences };
      } catch (failure) {
        const outcome = bindFailureOutcome(failure);
        if (outcome === 'taken') lostReferences++;
        if (outcome !== 'taken' || input.mode !== 'XB' || lostReferences > MAX_LOST_ANSWERS) {
          return { failure, lostReferences, ...(outcome === 'unknown' ? { unsettledBizId: bizId } : {}) };
        }
        log.warn('an earlier GetVirtualNum attempt succeeded unseen; recovering its reference', { lostReferences });
      }
    }
  }

  /**
   * The answer of an addReference request; when it failed, what it took unseen is on this session's
   * binding (XB: exclusive to Dst), so it is held (or asked again at close, if unknown) before throwing.
   */
  function keepWhatWasTaken(requested: BindingRequested) {
    if ('response' in requested) return requested;
    state.heldReferences += requested.lostReferences;
    if (requested.unsettledBizId) state.unsettledBizIds = [...(state.unsettledBizIds ?? []), requested.unsettledBizId];
    showDetails();
    throw requested.failure;
  }

  /**
   * The platform's RefNum counts every holder of the binding, this session included: never count more
   * than that, as giving the excess back would release other holders' references.
   */
  function capToPlatformCount(refNum: string | undefined): void {
    const platformCount = refNum ? Number(refNum) : Number.NaN;
    if (Number.isInteger(platformCount)) state.heldReferences = Math.min(state.heldReferences, platformCount);
  }

  /**
   * Asks again, with the same BizId, each addReference request whose outcome stayed unknown: it binds
   * now or is refused as taken, and either way the reference is this session's to give back.
   */
  async function settleUnknownRequests(): Promise<void> {
    for (const bizId of state.unsettledBizIds ?? []) {
      try {
        const response = await askUntilKnown(`settle request ${bizId}`, bizId);
        if (response.BindId === state.bindId) state.heldReferences++;
        else if (response.BindId) await releaseUntilDone(response.BindId);
      } catch (error) {
        const outcome = bindFailureOutcome(error);
        if (outcome === 'taken') state.heldReferences++;
        if (outcome === 'unknown')
          log.error('GetVirtualNum outcome still unknown; its MaxAssignTime ends it', { bizId });
      }
    }
    delete state.unsettledBizIds;
  }

  /**
   * GetVirtualNum as runs recorded before the `*-settles-lost-answers` patches ask: one lost answer
   * only. An attempt can time out after the platform bound; its retry then fails as BizIdAlreadyUsed.
   * XB bindings are exclusive to Dst, so (when `recoverLostAnswer`) asking again with a new BizId
   * returns that binding, and the reference taken unseen is counted in `lostReferences`.
   */
  async function requestBinding(summary: string, recoverLostAnswer: boolean) {
    const options = { ...NPP_ACTIVITY_OPTIONS.GetVirtualNum, summary };
    try {
      return { response: await getVirtualNum.executeWithOptions(options, [bindRequest()]), lostReferences: 0 };
    } catch (error) {
      const refusedBizId = failureOf(error).code === BUSINESS_ERROR_CODES.BizIdAlreadyUsed.code;
      if (!recoverLostAnswer || input.mode !== 'XB' || !refusedBizId) throw error;
      log.warn('an earlier GetVirtualNum attempt succeeded unseen; recovering its reference');
      return { response: await getVirtualNum.executeWithOptions(options, [bindRequest()]), lostReferences: 1 };
    }
  }

  async function bind(): Promise<void> {
    // The platform starts counting MaxAssignTime when it binds, somewhere after this moment.
    const requestedAt = Date.now();
    const summary = `bind ${input.mode} ${who}`;
    const settles = patched('bind-settles-lost-answers');
    let bound: { response: GetVirtualNumAnswer; lostReferences: number };
    try {
      if (settles) {
        const requested = await requestBindingSettled(summary);
        if ('failure' in requested) {
          const { lostReferences, unsettledBizId } = requested;
          if (lostReferences > 0 || unsettledBizId) {
            log.warn('bind failed after the platform may have bound; its MaxAssignTime ends that binding', {
              lostReferences,
              unsettledBizId,
            });
          }
          throw requested.failure;
        }
        bound = requested;
      } else {
        bound = await requestBinding(summary, true);
      }
    } catch (error) {
      const failure = failureOf(error);
      state.failedReason = 'bind-failed';
      state.failure = failure;
      state.closedAt = new Date().toISOString();
      setStatus('failed');
      throw ApplicationFailure.create({
        type: 'BindFailed',
        message: `bind-failed: ${failure.code}: ${failure.message}`,
        nonRetryable: true,
        details: [state],
      });
    }
    const { response, lostReferences } = bound;
    const now = Date.now();
    state.bindId = response.BindId;
    state.virtualNum = response.VirtualNum;
    state.heldReferences += 1 + lostReferences;
    state.platformRefNum = Number(response.RefNum ?? 1);
    if (settles) capToPlatformCount(response.RefNum);
    state.boundAt = new Date(now).toISOString();
    const expiresAt = now + input.ttlSeconds * 1000;
    if (patched('max-ttl-from-request')) {
      // Counted from the request, the limit ends no later than the platform's own unbinding.
      const maxExpiresAt = requestedAt + input.maxTtlSeconds * 1000;
      state.expiresAt = new Date(Math.min(expiresAt, maxExpiresAt)).toISOString();
      state.maxExpiresAt = new Date(maxExpiresAt).toISOString();
    } else {
      state.expiresAt = new Date(expiresAt).toISOString();
      state.maxExpiresAt = new Date(now + input.maxTtlSeconds * 1000).toISOString();
    }
    upsertSearchAttributes([
      { key: NppBindId, value: state.bindId ?? '' },
      { key: NppVirtualNum, value: state.virtualNum ?? '' },
    ]);
    upsertMemo({ virtualNum: state.virtualNum });
    showDetails();
  }

  /**
   * The session as the next run starts it: only the most recent calls (plus those with work pending:
   * archiving under way, or a binding still to release), and the archiving the next run takes over.
   */
  function handOver(): CarriedSession {
    const handedOver = [...archiving.keys()];
    const { calls, earlierCalls } = carriedCalls(
      state.calls,
      state.earlierCalls,
      (call) => archiving.has(call.callId) || (call.bindId !== undefined && call.bindId !== state.bindId),
    );
    return {
      state: { ...state, calls, ...(earlierCalls ? { earlierCalls } : {}) },
      seenEventIds: [...seen].slice(-MAX_SEEN_EVENT_IDS),
      bizIdsIssued: bizIds,
      ...(handedOver.length > 0 ? { archivesHandedOver: handedOver } : {}),
    };
  }

  const continueAsNewDue = () =>
    workflowInfo().continueAsNewSuggested ||
    (input.continueAsNewAfterEvents !== undefined && workflowInfo().historyLength >= input.continueAsNewAfterEvents);

  async function close(): Promise<void> {
    await condition(() => referenceOpsInFlight === 0);
    await settleUnknownRequests();
    await unbindEverything();
    state.closedReason = endReason;
    state.closedAt = new Date().toISOString();
    unbound = true;
    setStatus('closed');
  }

  // Recordings whose archiving the previous run had under way (see handOver).
  for (const callId of archivesHandedOver ?? []) {
    const call = state.calls.find((candidate) => candidate.callId === callId);
    if (call) archiveOnceKnown(call);
  }

  let cancellation: unknown;
  try {
    if (!input.carried) {
      upsertMemo({
        mode: input.mode,
        src: input.src && maskPhone(input.src),
        dst: maskPhone(input.dst),
        record: input.record,
      });
      setStatus('open');
      // Not cancellable: a bind the platform performed must be known, to be undone.
      await CancellationScope.nonCancellable(bind);
    }
    while (endReason === undefined) {
      const remaining = Date.parse(state.expiresAt ?? '') - Date.now();
      if (remaining <= 0) {
        endReason = 'ttl-expired';
        break;
      }
      if (continueAsNewDue()) {
        if (patched('continue-as-new-hands-over')) {
          // An update cannot move to the next run: let those in flight finish first. Archiving can take
          // hours, so it is handed over instead. The session may end meanwhile (close, TTL): then it ends.
          await condition(() => endReason !== undefined || allHandlersFinished(), remaining);
          const expired = Date.now() >= Date.parse(state.expiresAt ?? '');
          if (endReason === undefined && !expired && allHandlersFinished()) {
            await continueAsNew<typeof maskedCallSession>({ ...rawInput, carried: handOver() });
          }
          continue;
        }
        // Runs recorded before the patch waited for every archiving and carried every call.
        await condition(() => referenceOpsInFlight === 0);
        await archivingDone();
        const carried: CarriedSession = {
          state,
          seenEventIds: [...seen].slice(-MAX_SEEN_EVENT_IDS),
          bizIdsIssued: bizIds,
        };
        await continueAsNew<typeof maskedCallSession>({ ...rawInput, carried });
      }
      await condition(() => endReason !== undefined || continueAsNewDue(), remaining);
    }
  } catch (error) {
    if (!isCancellation(error)) throw error;
    endReason = 'cancelled';
    cancellation = error;
  }
  // Unbinding runs to the end whatever happens to the run meanwhile.
  await CancellationScope.nonCancellable(close);
  if (cancellation) {
    await CancellationScope.nonCancellable(archivingDone);
    throw cancellation;
  }

  // Late hangup and recording events still arrive after unbinding; collect them, then finish.
  try {
    // A zero-length timer still costs a round trip to the server (about a second): none for 0.
    if (input.drainSeconds > 0 || !patched('no-zero-drain-timer')) await sleep(input.drainSeconds * 1000);
  } catch (error) {
    if (!isCancellation(error)) throw error;
  }
  await archivingDone();
  return state;
}

function newSession(input: ResolvedSessionInput): CarriedSession {
  return {
    state: {
      sessionKey: input.sessionKey,
      mode: input.mode,
      status: 'open',
      ...(input.src ? { src: maskPhone(input.src) } : {}),
      dst: maskPhone(input.dst),
      record: input.record,
      // BizId allows 16 letters or digits: 12 identify the session, 4 the request within it.
      bizId: uuid4().replace(/-/g, '').slice(0, 12),
      heldReferences: 0,
      calls: [],
      createdAt: new Date().toISOString(),
    },
    seenEventIds: [],
    bizIdsIssued: 0,
  };
}
