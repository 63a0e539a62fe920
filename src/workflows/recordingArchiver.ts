// Archiving call recordings, shared by both workflows. Imports only @temporalio/workflow.
import { CancellationScope, condition, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ArchiveActivities } from '../activities/archiveActivities.ts';
import { ARCHIVE_ACTIVITY_OPTIONS, archiveTaskQueue } from '../activities/archiveOptions.ts';
import type { ArchivedRecording } from '../contract/session.ts';
import { failureOf } from './failures.ts';

const { archiveRecording } = proxyActivities<ArchiveActivities>(ARCHIVE_ACTIVITY_OPTIONS);

/** How one recording's archiving ended: where it is kept, or why it could not be. */
export type ArchiveOutcome = { archive: ArchivedRecording } | { archiveFailure: { code: string; message: string } };

/**
 * Archives each call's recording once, as soon as its URL is known. The worker's configuration
 * decides whether archiving is on: the activity answers null when it is off, so a workflow needs no
 * setting of its own and never asks to store recordings a worker cannot. Downloads run on a task
 * queue of their own, so they never hold the slots binding and unbinding need, and are not
 * cancellable: a cancelled run still keeps the recordings of its calls.
 */
export class RecordingArchiver {
  private readonly started = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly settled: (callId: string, outcome: ArchiveOutcome) => void;

  /** `settled` records each outcome on the workflow's state. */
  constructor(settled: (callId: string, outcome: ArchiveOutcome) => void) {
    this.settled = settled;
  }

  /** Starts archiving the call's recording unless this run already did. */
  archive(callId: string, recordUrl: string): void {
    if (this.started.has(callId)) return;
    this.started.add(callId);
    const run = CancellationScope.nonCancellable(async () => {
      try {
        const archive = await archiveRecording.executeWithOptions(
          {
            ...ARCHIVE_ACTIVITY_OPTIONS,
            taskQueue: archiveTaskQueue(workflowInfo().taskQueue),
            summary: `archive recording of ${callId}`,
          },
          [{ workflowId: workflowInfo().workflowId, callId, recordUrl }],
        );
        if (archive) this.settled(callId, { archive });
      } catch (error) {
        const archiveFailure = failureOf(error);
        log.warn('recording not archived', { callId, code: archiveFailure.code });
        this.settled(callId, { archiveFailure });
      }
    });
    this.running.set(callId, run);
    void run.finally(() => this.running.delete(callId));
  }

  /** Whether the call's recording is being archived right now. */
  isArchiving(callId: string): boolean {
    return this.running.has(callId);
  }

  /** Calls whose archiving is under way: a run continuing as new hands them to the next one. */
  inProgress(): string[] {
    return [...this.running.keys()];
  }

  /** Whether no archiving is under way. */
  get idle(): boolean {
    return this.running.size === 0;
  }

  /** Resolves once no archiving is under way (each one has recorded its own outcome). */
  async allSettled(): Promise<void> {
    await condition(() => this.running.size === 0);
  }
}
