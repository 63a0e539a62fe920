// The workflow bundle of the benchmarks: every product workflow, plus a workflow that does nothing,
// the floor that whole sessions are compared with on the same worker.
export * from '../src/workflows/index.ts';

/** Completes at once: one workflow task, no activity, no timer. */
export async function emptyWorkflow(): Promise<void> {}
