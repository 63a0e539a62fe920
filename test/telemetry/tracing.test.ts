import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, describe, expect, inject } from 'vitest';
import { SessionClient } from '../../src/client/sessions.ts';
import { startTracing, type Tracing } from '../../src/telemetry/tracing.ts';
import { createNppWorkers } from '../../src/worker.ts';
import { callIdOf, progress, startCallBack } from '../helpers/callback.ts';
import { callBackTest } from '../helpers/fixtures.ts';
import { phone, waitUntilBound } from '../helpers/session.ts';
import { testDataConverter } from '../helpers/temporal.ts';
import { SECRET, startTestWebhook } from '../webhooks/helpers.ts';

// One trace per path, read back from an in-memory exporter: the webhook's HTTP request → the signal
// → the workflow's signal handler, and an app's start → the workflow → an activity → its NPP HTTP request.
// Tracing starts before any server in this file, as the entry points do.

const exporter = new InMemorySpanExporter();
const tracing = startTracing({ serviceName: 'tracing-test', exporter }) as Tracing;
afterAll(() => tracing.shutdown());

async function tracedClient(): Promise<Client> {
  return new Client({
    connection: await Connection.connect({ address: inject('temporalAddress') }),
    namespace: inject('temporalNamespace'),
    dataConverter: testDataConverter(),
    interceptors: tracing.clientInterceptors,
  });
}

const test = callBackTest
  .extend('traced', { scope: 'file' }, async ({ simulatorOptions: _unused }, { onCleanup }) => {
    const client = await tracedClient();
    onCleanup(() => client.connection.close());
    return client;
  })
  .extend('webhook', { scope: 'file' }, async ({ traced }, { onCleanup }) => {
    const webhook = await startTestWebhook(traced);
    onCleanup(() => webhook.close());
    return webhook;
  })
  // The product's own workers, bundling the workflows with the tracing interceptors as production does.
  .extend('tracedWorker', { scope: 'file' }, async ({ npp, webhook }, { onCleanup }) => {
    const taskQueue = `trace-${randomUUID()}`;
    const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    const workers = await createNppWorkers({
      connection,
      namespace: inject('temporalNamespace'),
      taskQueue,
      activities: { client: npp.client, callbacks: { publicUrl: webhook.base, secret: SECRET } },
      dataConverter: testDataConverter(),
      tracing,
    });
    const running = workers.run();
    onCleanup(async () => {
      workers.shutdown();
      await running;
      await connection.close();
    });
    return { taskQueue };
  });

function spans(): ReadableSpan[] {
  return exporter.getFinishedSpans();
}

function parentOf(span: ReadableSpan): ReadableSpan | undefined {
  return spans().find((candidate) => candidate.spanContext().spanId === span.parentSpanId);
}

/** The names from `span` up to its trace's root. */
function ancestry(span: ReadableSpan): string[] {
  const names: string[] = [];
  for (let current: ReadableSpan | undefined = span; current; current = parentOf(current)) names.push(current.name);
  return names;
}

async function spanNamed(name: string, where: (span: ReadableSpan) => boolean = () => true): Promise<ReadableSpan> {
  await expect.poll(() => spans().some((span) => span.name === name && where(span)), { timeout: 15_000 }).toBe(true);
  return spans().find((span) => span.name === name && where(span)) as ReadableSpan;
}

/** The NPP HTTP request an activity span made (undici's client span under it). */
async function httpRequestUnder(activity: ReadableSpan): Promise<ReadableSpan> {
  const id = activity.spanContext().spanId;
  await expect
    .poll(() => spans().some((span) => span.kind === SpanKind.CLIENT && span.parentSpanId === id), { timeout: 15_000 })
    .toBe(true);
  return spans().find((span) => span.kind === SpanKind.CLIENT && span.parentSpanId === id) as ReadableSpan;
}

function everyAttributeValue(): string[] {
  return spans().flatMap((span) => [
    span.name,
    ...Object.values(span.attributes).map(String),
    ...span.events.flatMap((event) => Object.values(event.attributes ?? {}).map(String)),
  ]);
}

describe('tracing', () => {
  test('an app starting a session: one trace from startSession into the bind and its NPP request', async ({
    traced,
    tracedWorker: worker,
  }) => {
    const numbers = [phone(), phone()];
    const sessions = new SessionClient({ client: traced, taskQueue: worker.taskQueue });
    const sessionKey = `trace-${randomUUID()}`;
    const session = await sessions.startSession({
      sessionKey,
      mode: 'AXB',
      src: numbers[0],
      dst: numbers[1],
      drainSeconds: 0,
      recordingWaitSeconds: 0,
    } as Parameters<SessionClient['startSession']>[0]);
    const bound = await waitUntilBound(traced.workflow.getHandle(session.workflowId));
    numbers.push(bound.virtualNum);
    // The workflow's own span is exported when its run ends.
    await sessions.closeSession(sessionKey, { wait: true });
    await traced.workflow.getHandle(session.workflowId).result();

    const bind = await spanNamed('RunActivity:getVirtualNum');
    const http = await httpRequestUnder(bind);
    expect(http.attributes['http.request.method']).toBe('POST');
    // Workflow spans reach the exporter through a sink when they end: wait for the whole chain.
    await expect
      .poll(() => ancestry(http), { timeout: 15_000 })
      .toEqual([
        http.name,
        'RunActivity:getVirtualNum',
        'StartActivity:getVirtualNum',
        'RunWorkflow:maskedCallSession',
        'StartWorkflow:maskedCallSession',
      ]);
    const values = everyAttributeValue();
    for (const number of numbers) expect(values.filter((value) => value.includes(number))).toEqual([]);
  });

  test('a callback: one trace from the webhook request through the signal into the workflow', async ({
    traced,
    tracedWorker: worker,
    npp,
  }) => {
    const numbers = [phone(), phone()];
    const handle = await startCallBack(traced, worker.taskQueue, { src: numbers[0], dst: numbers[1] });
    const callId = await callIdOf(handle);
    await progress(npp.sim, callId, { until: 'ended', callerOutcome: 'answered', calleeOutcome: 'answered' });
    // The workflow's own span is exported when its run ends.
    await handle.result();

    const create = await spanNamed('RunActivity:createCallBack');
    const createRequest = await httpRequestUnder(create);
    await expect
      .poll(() => ancestry(createRequest).slice(1), { timeout: 15_000 })
      .toEqual([
        'RunActivity:createCallBack',
        'StartActivity:createCallBack',
        'RunWorkflow:callBackCall',
        'StartWorkflow:callBackCall',
      ]);

    const handled = await spanNamed('HandleSignal:callBackHangup', (span) =>
      ancestry(span).includes('SignalWorkflow:callBackHangup'),
    );
    const chain = ancestry(handled);
    expect(chain.slice(0, 2)).toEqual(['HandleSignal:callBackHangup', 'SignalWorkflow:callBackHangup']);
    // The signal's parent: the webhook's server span for the platform's POST.
    const request = parentOf(parentOf(handled) as ReadableSpan) as ReadableSpan;
    expect(request.kind).toBe(SpanKind.SERVER);
    expect(String(request.attributes['http.target'])).toMatch(/^\/npp\/callbacks\/hangup\/[^?]+$/);

    const values = everyAttributeValue();
    for (const number of numbers) expect(values.filter((value) => value.includes(number))).toEqual([]);
    // Callback URLs' tokens never reach a span.
    expect(values.filter((value) => value.includes('token='))).toEqual([]);
  });
});
