// The references a session holds on its binding: every GetVirtualNum and DelVirtualNum it makes.
// Imports only @temporalio/workflow, async-mutex and pure modules.

import { ApplicationFailure, CancellationScope, log, proxyActivities, sleep } from '@temporalio/workflow';
import { Mutex } from 'async-mutex';
import type { NppActivities } from '../activities/nppActivities.ts';
import { NPP_ACTIVITY_OPTIONS } from '../activities/options.ts';
import { WORKFLOW_FAILURES } from '../contract/failures.ts';
import type { ReferenceResult, SessionClosedReason, SessionState } from '../contract/session.ts';
import { BUSINESS_ERROR_CODES } from '../npp/errors.ts';
import { bindFailureOutcome, MAX_ASKS_PER_BIZ_ID, MAX_LOST_ANSWERS } from './bindOutcome.ts';
import { failureOf } from './failures.ts';
import type { ResolvedSessionInput } from './sessionInput.ts';

const { getVirtualNum } = proxyActivities<NppActivities>(NPP_ACTIVITY_OPTIONS.GetVirtualNum);
const { delVirtualNum } = proxyActivities<NppActivities>(NPP_ACTIVITY_OPTIONS.DelVirtualNum);

/** Pause before retrying an unbind that failed for good (credentials, parameters): a human must act. */
const STUCK_UNBIND_MAX_PAUSE_MS = 3_600_000;
/**
 * How long past maxExpiresAt unbinding is still tried. maxExpiresAt is counted from before the bind
 * request and the platform counts MaxAssignTime from its bind, so by then plus clock skew between
 * the two the platform has released the number itself.
 */
export const PLATFORM_RELEASE_MARGIN_MS = 60_000;

type GetVirtualNumAnswer = Awaited<ReturnType<NppActivities['getVirtualNum']>>;

/** A binding request's answer, or its failure; either way with the references it took unseen. */
type BindingRequested =
  | { response: GetVirtualNumAnswer; lostReferences: number; bizId: string }
  | { failure: unknown; lostReferences: number; unsettledBizId?: string };

/** How a release left the session: still holding references, or ended by it. */
export interface Released {
  result: ReferenceResult;
  ending?: Extract<SessionClosedReason, 'refnum-zero' | 'binding-gone'>;
}

const isBindingGone = (error: unknown) => failureOf(error).code === BUSINESS_ERROR_CODES.BindingNotFound.code;

/**
 * Binds, takes and gives back references, one operation at a time (a mutex serialises the update
 * handlers and the final unbinding), and records the outcome on the session's state.
 *
 * Every GetVirtualNum carries a BizId unique to the session (prefix) and to the request (suffix);
 * its retried attempts repeat it and the platform takes a BizId once, so one request takes at most
 * one reference. A request whose outcome stays unknown is asked again with the same BizId (bounded):
 * the platform binds now, or refuses it as BizIdAlreadyUsed, meaning an earlier attempt took the
 * reference unseen. In XB the number is exclusive to Dst, so such a reference is on this session's
 * binding: it is counted as the session's own and a new BizId asks for the answer (bounded; each
 * lost answer counted). An addReference that gives up still counts what was taken, and keeps a
 * request still unknown in `unsettledBizIds`, asked again before unbinding.
 */
export class SessionReferences {
  private readonly mutex = new Mutex();
  private readonly state: SessionState;
  private readonly input: ResolvedSessionInput;
  private readonly changed: (note?: string) => void;
  private issued: number;
  private closing = false;

  /** `changed` shows the state once it moved; `bizIdsIssued` continues the previous run's count. */
  constructor(
    state: SessionState,
    input: ResolvedSessionInput,
    bizIdsIssued: number,
    changed: (note?: string) => void,
  ) {
    this.state = state;
    this.input = input;
    this.issued = bizIdsIssued;
    this.changed = changed;
  }

  /** BizIds issued so far: the next run continues from here. */
  get bizIdsIssued(): number {
    return this.issued;
  }

  /** The first GetVirtualNum; throws its failure, having logged what the platform may still hold. */
  async bind(summary: string): Promise<void> {
    const requested = await this.requestBinding(summary);
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
    const { response, lostReferences, bizId } = requested;
    this.state.bindId = response.BindId;
    this.state.bindBizId = bizId;
    this.state.virtualNum = response.VirtualNum;
    this.state.heldReferences += 1 + lostReferences;
    this.state.platformRefNum = Number(response.RefNum ?? 1);
    this.capToPlatformCount(response.RefNum);
  }

  /** XB: one more reference on the session's binding (GetVirtualNum for the same Dst). */
  add(summary: string): Promise<ReferenceResult> {
    return this.mutex.runExclusive(() =>
      CancellationScope.nonCancellable(async () => {
        if (this.closing)
          throw ApplicationFailure.nonRetryable('the session is closing', WORKFLOW_FAILURES.sessionClosing);
        const requested = await this.requestBinding(summary);
        if ('failure' in requested) {
          // What it took unseen is on this session's binding (XB: exclusive to Dst): held, or asked again at close.
          this.state.heldReferences += requested.lostReferences;
          if (requested.unsettledBizId) {
            this.state.unsettledBizIds = [...(this.state.unsettledBizIds ?? []), requested.unsettledBizId];
          }
          this.changed();
          throw requested.failure;
        }
        const { response, lostReferences } = requested;
        if (response.BindId !== this.state.bindId) {
          // The number is exclusive to Dst, so this should not happen; never keep a second binding.
          if (response.BindId) await this.releaseUntilDone(response.BindId);
          throw ApplicationFailure.nonRetryable(
            'the platform answered with a different binding',
            WORKFLOW_FAILURES.unexpectedBinding,
          );
        }
        this.state.heldReferences += 1 + lostReferences;
        this.state.platformRefNum = Number(response.RefNum ?? this.state.platformRefNum);
        this.capToPlatformCount(response.RefNum);
        this.changed();
        return this.result();
      }),
    );
  }

  /** Gives one reference back (one DelVirtualNum); says whether that ended the session's hold. */
  release(): Promise<Released> {
    return this.mutex.runExclusive(() =>
      CancellationScope.nonCancellable(async () => {
        // Once unbinding began, a DelVirtualNum could only give back another holder's reference.
        if (this.closing || this.state.heldReferences === 0) {
          throw ApplicationFailure.nonRetryable('the session holds no reference', WORKFLOW_FAILURES.sessionClosing);
        }
        const bindId = this.state.bindId as string;
        let ending: Released['ending'];
        try {
          const response = await delVirtualNum.executeWithOptions(this.delOptions(`release ${bindId}`), [
            this.delRequest(bindId),
          ]);
          this.state.heldReferences--;
          this.state.platformRefNum = Number(response.RefLeftNum ?? 0);
          if (this.state.platformRefNum === 0) this.state.heldReferences = 0;
          if (this.state.heldReferences === 0) ending = 'refnum-zero';
        } catch (error) {
          if (!isBindingGone(error)) throw error;
          this.state.heldReferences = 0;
          this.state.platformRefNum = 0;
          ending = 'binding-gone';
        }
        this.changed();
        return { result: this.result(), ...(ending ? { ending } : {}) };
      }),
    );
  }

  /**
   * Once the operations under way finished: settles the requests whose outcome stayed unknown, then
   * gives back every reference held and any other binding the session's calls revealed (an orphan
   * of a lost answer that got a call). Later add/release requests are refused. Answers whether it
   * gave up on a DelVirtualNum that kept failing until the platform had released the number itself.
   */
  releaseAll(): Promise<boolean> {
    return this.mutex.runExclusive(() =>
      CancellationScope.nonCancellable(async () => {
        this.closing = true;
        await this.settleUnknownRequests();
        const { state } = this;
        let releasedByPlatform = false;
        while (state.bindId && state.heldReferences > 0) {
          const left = await this.releaseUntilDone(state.bindId);
          releasedByPlatform ||= left === undefined;
          state.heldReferences = left === undefined || left === 0 ? 0 : state.heldReferences - 1;
          state.platformRefNum = left ?? 0;
        }
        const strays = state.calls.flatMap((call) =>
          call.bindId && call.bindId !== state.bindId ? [call.bindId] : [],
        );
        for (const bindId of new Set(strays)) {
          log.warn('releasing a binding of this session that it did not know it held', { bindId });
          releasedByPlatform ||= (await this.releaseUntilDone(bindId)) === undefined;
        }
        return releasedByPlatform;
      }),
    );
  }

  private result(): ReferenceResult {
    return { heldReferences: this.state.heldReferences, platformRefNum: this.state.platformRefNum };
  }

  private nextBizId(): string {
    return `${this.state.bizId}${(this.issued++).toString(36).padStart(4, '0')}`;
  }

  private bindRequest(bizId: string) {
    const { input } = this;
    return {
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
    };
  }

  private delRequest(bindId: string) {
    // The binding's own BizId, when it is this session's binding; a stray's is unknown.
    const bizId = bindId === this.state.bindId ? this.state.bindBizId : undefined;
    return {
      BindId: bindId,
      ...(bizId ? { BizId: bizId } : {}),
      ...(this.input.bizAppId ? { BizAppId: this.input.bizAppId } : {}),
    };
  }

  /** When unbinding stops being tried: the platform has released the binding by itself. */
  private releaseDeadline(): number {
    return Date.parse(this.state.maxExpiresAt ?? '') + PLATFORM_RELEASE_MARGIN_MS;
  }

  /** DelVirtualNum's options: its retries end at the release deadline. */
  private delOptions(summary: string) {
    const left = this.releaseDeadline() - Date.now();
    return {
      ...NPP_ACTIVITY_OPTIONS.DelVirtualNum,
      ...(left > 0 ? { scheduleToCloseTimeout: left } : {}),
      summary,
    };
  }

  /**
   * DelVirtualNum until the platform confirms: the activity retries transient faults; failures it cannot
   * retry (credentials, parameters, codes this project does not know) need a human, so this keeps
   * trying with growing pauses rather than forget a bound number, until the release deadline: past
   * MaxAssignTime the platform has released the number itself. Answers the platform's RefLeftNum (0 when
   * gone), or undefined when it gave up at the deadline.
   */
  private async releaseUntilDone(bindId: string): Promise<number | undefined> {
    const { state } = this;
    for (let attempt = 0; ; attempt++) {
      const left = this.releaseDeadline() - Date.now();
      if (!(left > 0)) {
        log.error('unbind never succeeded; MaxAssignTime has passed, so the platform released it', { bindId });
        return undefined;
      }
      try {
        const response = await delVirtualNum.executeWithOptions(this.delOptions(`unbind ${bindId}`), [
          this.delRequest(bindId),
        ]);
        delete state.unbindFailure;
        return Number(response.RefLeftNum ?? 0);
      } catch (error) {
        if (isBindingGone(error)) return 0;
        const { code, message } = failureOf(error);
        state.unbindFailure = { code, message };
        log.error('unbind failed; retrying after a pause', { bindId, code, message, attempt });
        this.changed(`unbind of ${bindId} failing: ${code}`);
        const pause = Math.min(60_000 * 2 ** attempt, STUCK_UNBIND_MAX_PAUSE_MS, this.releaseDeadline() - Date.now());
        if (pause > 0) await sleep(pause);
      }
    }
  }

  /**
   * GetVirtualNum with `bizId`, asked again (bounded) while its outcome is unknown: each ask binds now,
   * is refused as BizIdAlreadyUsed (taken by an earlier ask) or is refused outright.
   */
  private async askUntilKnown(summary: string, bizId: string): Promise<GetVirtualNumAnswer> {
    const options = { ...NPP_ACTIVITY_OPTIONS.GetVirtualNum, summary };
    for (let ask = 1; ; ask++) {
      try {
        return await getVirtualNum.executeWithOptions(options, [this.bindRequest(bizId)]);
      } catch (error) {
        if (bindFailureOutcome(error) !== 'unknown' || ask === MAX_ASKS_PER_BIZ_ID) throw error;
        log.warn('GetVirtualNum outcome unknown; asking again with the same BizId', { code: failureOf(error).code });
      }
    }
  }

  /**
   * GetVirtualNum for this session, accounting for every request whose answer was lost: a request
   * taken unseen is counted in `lostReferences` (in XB, followed by a new request for the answer); one
   * whose outcome stayed unknown is handed back as `unsettledBizId`.
   */
  private async requestBinding(summary: string): Promise<BindingRequested> {
    let lostReferences = 0;
    for (;;) {
      const bizId = this.nextBizId();
      try {
        return { response: await this.askUntilKnown(summary, bizId), lostReferences, bizId };
      } catch (failure) {
        const outcome = bindFailureOutcome(failure);
        if (outcome === 'taken') lostReferences++;
        if (outcome !== 'taken' || this.input.mode !== 'XB' || lostReferences > MAX_LOST_ANSWERS) {
          return { failure, lostReferences, ...(outcome === 'unknown' ? { unsettledBizId: bizId } : {}) };
        }
        log.warn('an earlier GetVirtualNum attempt succeeded unseen; recovering its reference', { lostReferences });
      }
    }
  }

  /**
   * The platform's RefNum counts every holder of the binding, this session included: never count more
   * than that, as giving the excess back would release other holders' references.
   */
  private capToPlatformCount(refNum: string | undefined): void {
    const platformCount = refNum ? Number(refNum) : Number.NaN;
    if (Number.isInteger(platformCount)) {
      this.state.heldReferences = Math.min(this.state.heldReferences, platformCount);
    }
  }

  /**
   * Asks again, with the same BizId, each addReference request whose outcome stayed unknown: it binds
   * now or is refused as taken, and either way the reference is this session's to give back.
   */
  private async settleUnknownRequests(): Promise<void> {
    for (const bizId of this.state.unsettledBizIds ?? []) {
      try {
        const response = await this.askUntilKnown(`settle request ${bizId}`, bizId);
        if (response.BindId === this.state.bindId) this.state.heldReferences++;
        else if (response.BindId) await this.releaseUntilDone(response.BindId);
      } catch (error) {
        const outcome = bindFailureOutcome(error);
        if (outcome === 'taken') this.state.heldReferences++;
        if (outcome === 'unknown')
          log.error('GetVirtualNum outcome still unknown; its MaxAssignTime ends it', { bizId });
      }
    }
    delete this.state.unsettledBizIds;
  }
}
