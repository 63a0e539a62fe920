// Which events a callback call's run applies: once each, and only those of its own call.
// Imports only @temporalio/workflow.
import { log } from '@temporalio/workflow';
import type { CallBackState } from '../contract/callBack.ts';

interface CallEvent {
  eventId: string;
  callId: string;
  /** The BizId the event names (hangup CDRs carry it). */
  bizId?: string;
}

/**
 * Applies each event once, and only if it is about this run's call. Until CreateCallBack settled
 * (answered a CallId, or failed) events are held, since the platform may push the first ones before
 * its answer arrives; they are applied, or dropped as another call's, once it has.
 */
export class CallBackEventGate {
  private readonly state: CallBackState;
  private readonly applied: () => void;
  private readonly held: { event: CallEvent; apply: () => void }[] = [];
  private settled: boolean;
  /** Event ids applied, oldest first. */
  readonly seen: Set<string>;

  /** `applied` runs after each applied event; a continued run starts settled. */
  constructor(state: CallBackState, seenEventIds: readonly string[], settled: boolean, applied: () => void) {
    this.state = state;
    this.seen = new Set(seenEventIds);
    this.settled = settled;
    this.applied = applied;
  }

  /** Applies `apply` for `event` once, if it is of this run's call (held while that is unknown). */
  receive(event: CallEvent, apply: () => void): void {
    if (this.seen.has(event.eventId)) return;
    if (this.state.callId === undefined && !this.settled) {
      this.held.push({ event, apply });
      return;
    }
    if (event.callId !== this.state.callId) {
      log.warn('ignoring an event of another call', { callId: event.callId });
      return;
    }
    this.seen.add(event.eventId);
    apply();
    this.applied();
  }

  /** Whether CreateCallBack settled (answered or failed); a continued run starts settled. */
  get isSettled(): boolean {
    return this.settled;
  }

  /** CreateCallBack settled: the held events are applied now, or dropped as another call's. */
  settle(): void {
    this.settled = true;
    for (const { event, apply } of this.held.splice(0)) this.receive(event, apply);
  }

  /**
   * The CallId of a held event that may be of the call a lost CreateCallBack answer made: one naming
   * no BizId or this one (a hangup naming another BizId is of another call, e.g. an earlier run's).
   */
  heldCallId(bizId: string): string | undefined {
    return this.held.find(({ event }) => event.bizId === undefined || event.bizId === bizId)?.event.callId;
  }
}
