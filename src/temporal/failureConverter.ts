import { DefaultFailureConverter } from '@temporalio/common';

// Failure messages and stack traces can quote what failed (a number the platform rejected, say):
// they move into an encoded payload, so the payload codec encrypts them like any other value.
// Loaded by path (DataConverter.failureConverterPath) and bundled into the workflow sandbox.
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
