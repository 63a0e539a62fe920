// Every workflow the worker registers. Workflow code imports only @temporalio/workflow,
// @temporalio/common, pure modules and types: it runs in Temporal's deterministic sandbox.
export { maskedCallSession } from './maskedCallSession.ts';
