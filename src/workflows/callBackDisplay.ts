// What operators see of a callback call in Temporal UI. Imports only @temporalio/workflow.
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { CallBackState, CallBackStatus } from '../contract/callBack.ts';
import { NppSessionStatus } from '../contract/searchAttributes.ts';
import { statusOf } from './callBackEvents.ts';

/**
 * Keeps the call's status, its search attribute and the UI's current details in step with its state.
 * A callback call's status goes into NppSessionStatus too (filter by WorkflowType to tell them
 * apart): one attribute for "where does this run stand" keeps the deployment's set of attributes small.
 */
export class CallBackDisplay {
  private readonly state: CallBackState;
  /** The status NppSessionStatus holds: upserted only when it changes. */
  private searchable: CallBackStatus | undefined;

  private readonly onShow: () => void;

  /**
   * `continued`: the previous run already made the status searchable (continue-as-new keeps
   * attributes). `onShow` runs after every update (the call's notifier follows the same changes).
   */
  constructor(state: CallBackState, continued: boolean, onShow: () => void = () => {}) {
    this.state = state;
    this.onShow = onShow;
    if (continued) this.searchable = state.status;
  }

  /** Shows the state; the status follows the events reported unless `status` (cancelled, failed) is given. */
  update(status?: CallBackStatus): void {
    const { state } = this;
    if (status) state.status = status;
    state.status = statusOf(state);
    if (state.status !== this.searchable) {
      this.searchable = state.status;
      upsertSearchAttributes([{ key: NppSessionStatus, value: state.status }]);
    }
    const parts = [`**${state.status}**`, `${state.src} → ${state.dst}`];
    if (state.callId) parts.push(`call ${state.callId}`);
    if (state.keys.length > 0) parts.push(`keys ${state.keys.join('')}`);
    if (state.cdr) parts.push(`${state.cdr.endStatusText}, ${state.cdr.duration} s`);
    if (state.cdrMissingReason) parts.push(`no CDR: ${state.cdrMissingReason}`);
    if (state.failedPolls) parts.push(`${state.failedPolls} failed polls`);
    setCurrentDetails(parts.join(' · '));
    this.onShow();
  }
}
