// The one registry of workflow patches. Workflow code never calls patched() directly: it asks
// isPatched() with a name from PATCHES, so every change to running workflows is listed here with the
// release that brought it. Imports only @temporalio/workflow.
//
// 0.1.0 is the first release and has no patch: its histories (test/fixtures/histories/0.1.0/) are
// the baseline every later version must replay. From then on, a change to workflow logic that would
// make a recorded history replay differently goes behind a patch:
//   1. add an entry below (`id` is what the history records, `since` the release it ships in);
//   2. branch on `isPatched('<name>')` in the workflow, keeping the old path for old histories;
//   3. record the new path's histories (`NPP_RECORD_HISTORY=1`, see docs/workflow-changes.md);
//   4. once no run from before `since` can be open (the longest TTL after the last such deploy),
//      switch the call to deprecatePatch(id), and in the release after remove the branch and entry.
// Worker Versioning (pinned build ids) is the alternative for a change too large to branch.
import { patched } from '@temporalio/workflow';

/** A registered patch: the marker id histories record, the release it came with and why. */
export interface PatchEntry {
  id: string;
  since: string;
  why: string;
}

/** Every patch in force, by name. 0.1.0, the first release, had none. */
export const PATCHES = {
  boundedSessionRuns: {
    id: 'npp-bounded-session-runs',
    since: '0.2.0',
    why:
      'a session continues as new after SESSION_RUN_EVENTS history events even when its input sets no ' +
      'limit: workers keep no run in memory, so every workflow task replays the whole run, and a ' +
      'session of thousands of callbacks made each task cost seconds and time out',
  },
} as const satisfies Record<string, PatchEntry>;

/** The name of a registered patch. */
export type PatchName = keyof typeof PATCHES;

/** Whether this run takes the patched path (always, for runs started on code that has it). */
export function isPatched(name: PatchName): boolean {
  const entries: Record<string, PatchEntry> = PATCHES;
  return patched((entries[name] as PatchEntry).id);
}
