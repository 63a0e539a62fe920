import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { collectGreetings, greetingsQuery, greetSignal } from './fixtures/harnessWorkflows.ts';
import { connectClient, withWorker } from './helpers/temporal.ts';

describe("the run's Temporal dev server", () => {
  it('runs a workflow that takes signals, answers a query and completes', async () => {
    await withWorker({}, async ({ client, taskQueue }) => {
      const handle = await client.workflow.start(collectGreetings, {
        args: [2],
        taskQueue,
        workflowId: `foundation-${randomUUID()}`,
      });
      await handle.signal(greetSignal, 'ada');
      await expect.poll(() => handle.query(greetingsQuery)).toEqual(['hello ada']);
      await handle.signal(greetSignal, 'grace');
      expect(await handle.result()).toEqual(['hello ada', 'hello grace']);
      const { status } = await handle.describe();
      expect(status.name).toBe('COMPLETED');
    });
  });

  it("has the project's custom search attributes registered", async () => {
    const client = await connectClient();
    try {
      const { customAttributes } = await client.connection.operatorService.listSearchAttributes({
        namespace: 'default',
      });
      expect(Object.keys(customAttributes)).toEqual(
        expect.arrayContaining(['NppBindId', 'NppVirtualNum', 'NppSessionStatus', 'NppCallId']),
      );
    } finally {
      await client.connection.close();
    }
  });
});
