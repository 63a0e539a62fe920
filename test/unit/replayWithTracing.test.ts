import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { recordedHistories } from '../helpers/histories.ts';
import { testDataConverter } from '../helpers/temporal.ts';

// Operators turn tracing on and off across redeploys: a worker with OpenTelemetry's workflow
// interceptors must replay every history recorded without them. Interceptors add async steps before
// each command, so the workflows must never let that change the order of their commands.

describe('replay with tracing interceptors', () => {
  it('replays every recorded history with the OpenTelemetry plugin installed', async () => {
    const recorded = recordedHistories('');
    expect(recorded.length).toBeGreaterThan(10);
    const plugin = new OpenTelemetryPlugin({
      resource: new Resource({}),
      spanProcessor: new SimpleSpanProcessor(new InMemorySpanExporter()),
    });
    const results = Worker.runReplayHistories(
      {
        workflowsPath: new URL('../fixtures/workflows.ts', import.meta.url).pathname,
        dataConverter: testDataConverter(),
        plugins: [plugin],
      },
      recorded.map(({ file, history }) => ({ workflowId: file, history })),
    );
    const failures: string[] = [];
    for await (const result of results) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message.slice(0, 300)}`);
    }
    expect(failures).toEqual([]);
  }, 180_000);
});
