import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, describe, expect, inject } from 'vitest';
import { DirectorySink } from '../../src/archive/directorySink.ts';
import { SessionClient } from '../../src/client/sessions.ts';
import { sessionStateQuery } from '../../src/contract/session.ts';
import { startTracing, type Tracing } from '../../src/telemetry/tracing.ts';
import { createNppWorkers } from '../../src/worker.ts';
import { callIdOf, progress, startCallBack } from '../helpers/callback.ts';
import { callBackTest } from '../helpers/fixtures.ts';
import { phone, waitUntilBound } from '../helpers/session.ts';
import { testDataConverter } from '../helpers/temporal.ts';
import { SECRET, startTestWebhook } from '../webhooks/helpers.ts';

// One trace per path, read back from an in-memory exporter: the platform's callback to the webhook →
// the signal → the workflow's signal handler → the activity it starts → that activity's HTTP request,
// and an app's start → the workflow → the bind activity → its NPP HTTP request.
// Tracing starts before any server in this file, as the entry points do.

const exporter = new InMemorySpanExporter();
const tracing = startTracing({ serviceName: 'tracing-test', exporter }) as Tracing;
const archiveDir = mkdtempSync(join(tmpdir(), 'npp-tracing-test-'));
afterAll(async () => {
  await tracing.shutdown();
  rmSync(archiveDir, { recursive: true, force: true });
});

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
      activities: {
        client: npp.client,
        callbacks: { publicUrl: webhook.base, secret: SECRET },
        archive: { sink: new DirectorySink(archiveDir), maxBytes: 10_000_000 },
      },
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

/** `span` and its ancestors up to its trace's root. */
function lineage(span: ReadableSpan): ReadableSpan[] {
  const line: ReadableSpan[] = [];
  for (let current: ReadableSpan | undefined = span; current; current = parentOf(current)) line.push(current);
  return line;
}

/** The names from `span` up to its trace's root. */
function ancestry(span: ReadableSpan): string[] {
  return lineage(span).map((each) => each.name);
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

/** Every span's name and attribute values, nested ones spelled out. */
function everyAttributeValue(): string[] {
  return spans().flatMap((span) => [
    span.name,
    ...Object.values(span.attributes).map((value) => JSON.stringify(value) ?? String(value)),
    ...span.events.flatMap((event) =>
      Object.values(event.attributes ?? {}).map((value) => JSON.stringify(value) ?? String(value)),
    ),
  ]);
}

/** A bound AXB session of two fresh numbers; `numbers` ends with its virtual number. */
async function startTracedSession(traced: Client, taskQueue: string, record: boolean) {
  const numbers = [phone(), phone()];
  const sessions = new SessionClient({ client: traced, taskQueue });
  const sessionKey = `trace-${randomUUID()}`;
  const session = await sessions.startSession({
    sessionKey,
    mode: 'AXB',
    src: numbers[0] as string,
    dst: numbers[1] as string,
    record,
    drainSeconds: 0,
    recordingWaitSeconds: 0,
  });
  const handle = traced.workflow.getHandle(session.workflowId);
  numbers.push((await waitUntilBound(handle)).virtualNum);
  return { sessions, sessionKey, handle, numbers };
}

describe('tracing', () => {
  test('an app starting a session: one trace from startSession into the bind and its NPP request', async ({
    traced,
    tracedWorker: worker,
  }) => {
    const { sessions, sessionKey, handle, numbers } = await startTracedSession(traced, worker.taskQueue, false);
    // The workflow's own span is exported when its run ends.
    await sessions.closeSession(sessionKey, { wait: true });
    await handle.result();

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

  test("a recording callback: one trace from the webhook request through the signal into the archive activity's download", async ({
    traced,
    tracedWorker: worker,
    npp,
  }) => {
    const { sessions, sessionKey, handle, numbers } = await startTracedSession(traced, worker.taskQueue, true);
    const [caller, , virtualNum] = numbers;
    // The simulator calls through the number and pushes status, hangup and recording callbacks to the webhook.
    const response = await fetch(`${npp.sim.url}/_sim/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ virtualNum, caller, durationSeconds: 5, wait: true }),
    });
    expect(response.status).toBe(200);
    await expect
      .poll(() => handle.query(sessionStateQuery).then((state) => state.calls[0]?.archive), { timeout: 15_000 })
      .toBeTruthy();

    const archive = await spanNamed('RunActivity:archiveRecording', (span) =>
      ancestry(span).includes('StartActivity:archiveRecording'),
    );
    const download = await httpRequestUnder(archive);
    expect(download.attributes['http.request.method']).toBe('GET');
    const chain = lineage(download);
    expect(chain.slice(1, 3).map((span) => span.name)).toEqual([
      'RunActivity:archiveRecording',
      'StartActivity:archiveRecording',
    ]);
    // The handler of whichever callback brought the recording URL first (the recording or the hangup CDR).
    expect(chain[3]?.name).toMatch(/^HandleSignal:call(Recording|Hangup)$/);
    expect(chain[4]?.name).toBe(chain[3]?.name.replace('HandleSignal', 'SignalWorkflow'));
    // Above the signal: the webhook's server span for the platform's POST (in this test the simulator's
    // delivery, in the same process, is traced too and sits above it).
    const request = chain[5];
    expect(request?.kind).toBe(SpanKind.SERVER);
    expect(String(request?.attributes['http.target'])).toMatch(/^\/npp\/callbacks\/[a-z]+\/[^?]+$/);

    await sessions.closeSession(sessionKey, { wait: true });
    const values = everyAttributeValue();
    for (const number of numbers) expect(values.filter((value) => value.includes(number))).toEqual([]);
    expect(values.filter((value) => value.includes('token='))).toEqual([]);
  });

  test('a callback call: one trace from the webhook request through the signal into the workflow', async ({
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
