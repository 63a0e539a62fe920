// Asking the platform for a callback call's outcome when its hangup CDR never came.
// Imports only @temporalio/workflow and pure modules.
import { type ActivityOptions, condition, isCancellation, log, proxyActivities } from '@temporalio/workflow';
import type { NppActivities } from '../activities/nppActivities.ts';
import { NPP_ACTIVITY_OPTIONS } from '../activities/options.ts';
import type { CallBackState, CarriedCallBack, CdrMissingReason } from '../contract/callBack.ts';
import { BUSINESS_ERROR_CODES } from '../npp/errors.ts';
import type { CallBackCdr } from '../npp/models.ts';
import type { ResolvedCallBackInput } from './callBackInput.ts';
import { failureOf } from './failures.ts';

/** DescribeCallBackStatus.CallStatus of an ended call. */
const PLATFORM_STATUS_ENDED = '5';
/** Polls of DescribeCallBackCdr after the platform said the call ended, before giving up on its record. */
export const MAX_CDR_POLLS = 10;
/** Slack around the call's lifetime when asking DescribeCallBackCdr for its record (clock skew). */
const CDR_WINDOW_SLACK_SECONDS = 600;
/** Longest pause after failed polls (unless pollIntervalSeconds is longer): an outage ends unnoticed otherwise. */
const MAX_FAILED_POLL_BACKOFF_SECONDS = 300;

/** The counters a polling run hands to the run it continues as. */
export type PollingProgress = Pick<CarriedCallBack, 'failedPollsInARow' | 'cdrPolls'>;

/** What the poller does to the workflow: apply a found CDR, show a change, continue as new. */
export interface PollerHooks {
  applyCdr(cdr: CallBackCdr): void;
  changed(): void;
  continueAsNewIfDue(progress: PollingProgress): Promise<void>;
}

/**
 * Polls DescribeCallBackStatus, then DescribeCallBackCdr, until the CDR is known, the platform has
 * none, or the polling limit passes. A poll that fails after all its attempts (platform or network
 * outage) is logged and counted in the state, and the next waits twice as long (at most 5 minutes);
 * the run never fails for it. Polling stops pollingLimitSeconds after the call's longest life: the run
 * then ends with `cdrMissingReason` saying whether the platform never reported the end, had no
 * record, or could not be reached.
 */
export class CdrPoller {
  private readonly state: CallBackState;
  private readonly input: ResolvedCallBackInput;
  private readonly createdAtMs: number;
  private readonly hooks: PollerHooks;
  private readonly progress: PollingProgress;
  private readonly bizAppId: { BizAppId?: string };
  private readonly describeCallBackStatus: NppActivities['describeCallBackStatus'];
  private readonly describeCallBackCdr: NppActivities['describeCallBackCdr'];

  constructor(
    state: CallBackState,
    input: ResolvedCallBackInput,
    createdAtMs: number,
    progress: PollingProgress | undefined,
    hooks: PollerHooks,
  ) {
    this.state = state;
    this.input = input;
    this.createdAtMs = createdAtMs;
    this.hooks = hooks;
    this.progress = { failedPollsInARow: progress?.failedPollsInARow ?? 0, cdrPolls: progress?.cdrPolls ?? 0 };
    this.bizAppId = input.bizAppId ? { BizAppId: input.bizAppId } : {};
    const withPollAttempts = (options: ActivityOptions): ActivityOptions =>
      input.pollAttempts ? { ...options, retry: { ...options.retry, maximumAttempts: input.pollAttempts } } : options;
    this.describeCallBackStatus = proxyActivities<NppActivities>(
      withPollAttempts(NPP_ACTIVITY_OPTIONS.DescribeCallBackStatus),
    ).describeCallBackStatus;
    this.describeCallBackCdr = proxyActivities<NppActivities>(
      withPollAttempts(NPP_ACTIVITY_OPTIONS.DescribeCallBackCdr),
    ).describeCallBackCdr;
  }

  /** Polls until the state has the CDR or the run gives up on it (see the class comment). */
  async untilCdr(callId: string): Promise<void> {
    const { input, state, progress } = this;
    const giveUpAt = this.createdAtMs + (input.hangupTimeoutSeconds + input.pollingLimitSeconds) * 1000;
    while (state.cdr === undefined) {
      await this.hooks.continueAsNewIfDue(progress);
      let pauseSeconds = input.pollIntervalSeconds;
      try {
        const ended = await this.platformSaysEnded(callId);
        const cdr = ended ? (await this.callerCdrs(callId)).find((record) => record.CallId === callId) : undefined;
        progress.failedPollsInARow = 0;
        if (cdr) return this.hooks.applyCdr(cdr);
        if (ended && ++progress.cdrPolls >= MAX_CDR_POLLS) return this.giveUp(callId, 'platform-has-no-cdr');
      } catch (error) {
        if (isCancellation(error)) throw error;
        pauseSeconds = this.pollFailed(callId, error);
      }
      const untilGiveUp = giveUpAt - Date.now();
      if (untilGiveUp <= 0) {
        const reason: CdrMissingReason =
          progress.failedPollsInARow > 0
            ? 'platform-unreachable'
            : progress.cdrPolls > 0
              ? 'platform-has-no-cdr'
              : 'call-never-ended';
        return this.giveUp(callId, reason);
      }
      await condition(() => state.cdr !== undefined, Math.min(pauseSeconds * 1000, untilGiveUp));
    }
  }

  /** The caller's CDRs from around the run's start until now (of one call when its CallId is given). */
  async callerCdrs(callId?: string): Promise<CallBackCdr[]> {
    const from = Math.floor(this.createdAtMs / 1000) - CDR_WINDOW_SLACK_SECONDS;
    const to = Math.floor(Date.now() / 1000) + CDR_WINDOW_SLACK_SECONDS;
    const { Cdr } = await this.describeCallBackCdr({
      ...(callId ? { CallId: callId } : {}),
      Src: this.input.src,
      StartTimeStamp: String(from),
      EndTimeStamp: String(to),
      ...this.bizAppId,
    });
    return Cdr ?? [];
  }

  /** Counts a failed poll and answers the pause before the next one. */
  private pollFailed(callId: string, error: unknown): number {
    const { input, state, progress } = this;
    progress.failedPollsInARow++;
    const pauseSeconds = Math.min(
      input.pollIntervalSeconds * 2 ** progress.failedPollsInARow,
      Math.max(input.pollIntervalSeconds, MAX_FAILED_POLL_BACKOFF_SECONDS),
    );
    const failure = failureOf(error);
    state.failedPolls = (state.failedPolls ?? 0) + 1;
    state.lastPollFailure = { ...failure, at: new Date().toISOString() };
    this.hooks.changed();
    log.warn('polling the platform failed; asking again later', {
      callId,
      code: failure.code,
      failedInARow: progress.failedPollsInARow,
      pauseSeconds,
    });
    return pauseSeconds;
  }

  private async platformSaysEnded(callId: string): Promise<boolean> {
    try {
      const { CallStatus } = await this.describeCallBackStatus({ CallId: callId, ...this.bizAppId });
      return CallStatus === PLATFORM_STATUS_ENDED;
    } catch (error) {
      // A call the platform no longer knows is over; its CDR may still be found.
      if (failureOf(error).code === BUSINESS_ERROR_CODES.CallNotFound.code) return true;
      throw error;
    }
  }

  private giveUp(callId: string, reason: CdrMissingReason): void {
    this.state.cdrMissing = true;
    this.state.cdrMissingReason = reason;
    log.error('the run ends without the call’s CDR', { callId, reason });
    this.hooks.changed();
  }
}
