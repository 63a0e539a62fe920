// Every workflow the worker registers. Workflow code imports only @temporalio/workflow,
// @temporalio/common, pure modules and types: it runs in Temporal's deterministic sandbox.

export { callBackCall } from './callBackCall.ts';
export { maskedCallSession } from './maskedCallSession.ts';
export { reconcileCdrs } from './reconcileCdrs.ts';
