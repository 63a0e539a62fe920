import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import type { Payload } from '@temporalio/common';
import { describe, expect, inject } from 'vitest';
import { createAesGcmCodec, ENCRYPTED_ENCODING } from '../../src/codec/aesGcmCodec.ts';
import { parseCodecKeys } from '../../src/codec/keys.ts';
import {
  addReferenceUpdate,
  closeSessionUpdate,
  extendTtlUpdate,
  sessionStateQuery,
} from '../../src/contract/session.ts';
import { callbackToken } from '../../src/npp/callbacks/urls.ts';
import { maskPhone } from '../../src/phone.ts';
import type { Simulator } from '../../src/simulator/server.ts';
import { resolveTemporalCli } from '../../src/temporal/temporalCli.ts';
import { callIdOf, progress, startCallBack } from '../helpers/callback.ts';
import { callBackTest as test } from '../helpers/fixtures.ts';
import { phone, SECRET_KEY, startSession, waitUntilBound } from '../helpers/session.ts';
import { captureRuntimeLogs, connectClient, TEST_CODEC_KEYS, withWorker } from '../helpers/temporal.ts';
import { SECRET, SHARED_TOKEN } from '../webhooks/helpers.ts';

// Personal data at rest and in logs: real sessions run simulator → webhook → workflow, then the raw
// histories (read without the codec) and every captured log line are searched for the numbers.

const CODEC_TOKEN = 'privacy-test-codec-token-0123456789';

const simLog: string[] = [];
test.override('simulatorOptions', {
  logLevel: 'debug',
  logStream: new Writable({
    write(chunk, _encoding, done) {
      simLog.push(String(chunk));
      done();
    },
  }),
});
// The webhook also serves the remote codec, as an operator would enable it for Temporal UI.
test.override('webhookOptions', {
  codecServer: { codec: createAesGcmCodec(parseCodecKeys(TEST_CODEC_KEYS)), token: CODEC_TOKEN },
});

/** Every byte string of the history as text, so a plaintext number inside any payload shows. */
function textOf(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  if (Array.isArray(value)) return value.map(textOf).join('\n');
  if (value !== null && typeof value === 'object') {
    return Object.entries(value)
      .map(([key, inner]) => `${key}=${textOf(inner)}`)
      .join('\n');
  }
  return String(value);
}

const isEncrypted = (value: unknown): value is Payload =>
  value !== null &&
  typeof value === 'object' &&
  (value as Payload).metadata?.encoding !== undefined &&
  Buffer.from((value as Payload).metadata?.encoding ?? []).toString() === ENCRYPTED_ENCODING;

/** The history with every encrypted payload replaced by its decryption, as the codec server would. */
async function decrypted(value: unknown): Promise<unknown> {
  if (isEncrypted(value)) {
    const [plain] = await createAesGcmCodec(parseCodecKeys(TEST_CODEC_KEYS)).decode([value]);
    return plain;
  }
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return Promise.all(value.map(decrypted));
  const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await decrypted(v)] as const));
  return Object.fromEntries(entries);
}

async function simulateCall(sim: Simulator, virtualNum: string, caller: string): Promise<string> {
  const response = await fetch(`${sim.url}/_sim/calls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ virtualNum, caller, durationSeconds: 30, wait: true }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { CallId: string }).CallId;
}

type Handle = Awaited<ReturnType<typeof startSession>>;

async function boundNumber(handle: Handle): Promise<string> {
  return (await waitUntilBound(handle)).virtualNum;
}

async function callEnded(handle: Handle, callId: string): Promise<void> {
  await expect
    .poll(
      async () => {
        const call = (await handle.query(sessionStateQuery)).calls.find((c) => c.callId === callId);
        return call?.state === 'ended' && call.recordUrl !== undefined;
      },
      { timeout: 20_000, interval: 200 },
    )
    .toBe(true);
}

describe('personal data stays encrypted and out of logs', () => {
  test('end-to-end sessions leave no number in raw histories or logs; the codec decodes them', async ({
    npp,
    webhook,
    activities,
  }) => {
    const runtimeLogs = captureRuntimeLogs();
    const numbers: string[] = [];
    const workflowIds: string[] = [];
    try {
      // Not the worker fixture: the logs of the worker starting and stopping are searched too.
      await withWorker({ activities }, async ({ client, taskQueue }) => {
        // AXB: a recorded call between the two parties, closed by the app.
        const [src, dst] = [phone(), phone()];
        const axb = await startSession(client, taskQueue, { mode: 'AXB', src, dst, record: true });
        await callEnded(axb, await simulateCall(npp.sim, await boundNumber(axb), src));
        await axb.executeUpdate(closeSessionUpdate);
        await axb.result();

        // XB with an AccreditList: a call from a listed number, a reference added, a refused update.
        const [xbDst, accredited] = [phone(), phone()];
        const xb = await startSession(client, taskQueue, {
          mode: 'XB',
          dst: xbDst,
          accreditList: [accredited],
          record: true,
        });
        await callEnded(xb, await simulateCall(npp.sim, await boundNumber(xb), accredited));
        await xb.executeUpdate(addReferenceUpdate);
        await expect(
          xb.executeUpdate(extendTtlUpdate, { args: [{ additionalSeconds: 10_000_000 }] }),
        ).rejects.toThrow();
        await xb.executeUpdate(closeSessionUpdate);
        await xb.result();

        // A session the platform refuses: the failure (and its message) is in history too.
        const [failedSrc, failedDst] = [phone(), phone()];
        const failed = await startSession(client, taskQueue, {
          mode: 'AXB',
          src: failedSrc,
          dst: failedDst,
          assignVirtualNum: '008617999999999',
        });
        await expect(failed.result()).rejects.toThrow();

        // A recorded callback call through an IVR: both numbers in its input, a key press, the CDR.
        const [callBackSrc, callBackDst] = [phone(), phone()];
        const callBack = await startCallBack(client, taskQueue, {
          src: callBackSrc,
          dst: callBackDst,
          record: true,
          preCallerHandle: {
            readPrompt: 'Your courier is calling back.',
            interruptPrompt: 'Press 1 to be connected.',
            keyList: [{ key: '1', operate: 1 }],
          },
        });
        const callId = await callIdOf(callBack);
        await progress(npp.sim, callId, { until: 'caller-answered' });
        await progress(npp.sim, callId, { key: '1', until: 'callee-answered' });
        await progress(npp.sim, callId, { until: 'ended' });
        expect((await callBack.result()).status).toBe('ended');

        numbers.push(src, dst, xbDst, accredited, failedSrc, failedDst, callBackSrc, callBackDst);
        workflowIds.push(axb.workflowId, xb.workflowId, failed.workflowId, callBack.workflowId);
      });
    } finally {
      runtimeLogs.stop();
    }

    // A client without the codec sees what the Temporal database and UI hold.
    const raw = await connectClient({ dataConverter: {} });
    try {
      for (const workflowId of workflowIds) {
        const handle = raw.workflow.getHandle(workflowId);
        const history = await handle.fetchHistory();
        // Memo and search attributes as visibility holds them (describe() would try to decode the memo).
        const description = await raw.workflowService.describeWorkflowExecution({
          namespace: raw.options.namespace,
          execution: { workflowId },
        });
        const plain = [textOf(history), textOf(description)].join('\n');
        expect(plain).toContain(workflowId);
        expect(plain).toContain(ENCRYPTED_ENCODING);
        for (const number of numbers) expect(plain, `${maskPhone(number)} in ${workflowId}`).not.toContain(number);
        // Failure messages are encrypted too (they can quote what the platform refused).
        expect(plain).not.toContain('bind-failed:');
        expect(textOf(await decrypted(history))).not.toContain(ENCRYPTED_ENCODING);
      }
      // With the codec, each session's own numbers come back: input, signals, and the memo's masked form.
      const decodedOf = async (id: string) => textOf(await decrypted(await raw.workflow.getHandle(id).fetchHistory()));
      const [axbText, xbText, failedText, callBackText] = await Promise.all(workflowIds.map(decodedOf));
      for (const n of numbers.slice(0, 2)) expect(axbText).toContain(n);
      expect(axbText).toContain(maskPhone(numbers[0] as string));
      for (const n of numbers.slice(2, 4)) expect(xbText).toContain(n);
      for (const n of numbers.slice(4, 6)) expect(failedText).toContain(n);
      expect(failedText).toContain('bind-failed: InvalidParameterValue');
      for (const n of numbers.slice(6, 8)) expect(callBackText).toContain(n);
      // Callback URLs are built inside the bind activity: neither the secret nor a token reaches history.
      const callbackSecrets = [SECRET, ...workflowIds.map((id) => callbackToken(SECRET, id))];
      for (const text of [axbText, xbText, failedText]) {
        for (const secret of callbackSecrets) expect(text).not.toContain(secret);
      }
    } finally {
      await raw.connection.close();
    }

    // The Temporal CLI speaks the same remote-codec protocol as the UI: with the endpoint and token it
    // shows the numbers; with a wrong token the codec server refuses and nothing is decoded.
    const cli = resolveTemporalCli();
    expect(cli.type).toBe('existing-path');
    const show = (auth: string) =>
      promisify(execFile)((cli as { path: string }).path, [
        ...['workflow', 'show', '--workflow-id', workflowIds[0] as string, '--output', 'json'],
        ...['--address', inject('temporalAddress'), '--namespace', inject('temporalNamespace')],
        ...['--codec-endpoint', `${webhook.base}/codec`, '--codec-auth', auth, '--command-timeout', '4s'],
      ]);
    // Its JSON output keeps payload data in base64.
    const payloadText = (json: string) =>
      JSON.stringify(
        JSON.parse(json, (key, value) =>
          key === 'data' && typeof value === 'string' ? Buffer.from(value, 'base64').toString('latin1') : value,
        ),
      );
    const decodedByCli = payloadText((await show(`Bearer ${CODEC_TOKEN}`)).stdout);
    for (const n of numbers.slice(0, 2)) expect(decodedByCli).toContain(n);
    const refused = await show('Bearer not-the-token').then(
      (result) => payloadText(result.stdout),
      (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
    );
    expect(refused).not.toContain(numbers[0]);

    // Logs: webhook (pino), simulator (fastify) and worker runtime; numbers and secrets never appear.
    const webhookLogs = webhook.logs();
    expect(webhookLogs).toContain('callback signaled');
    expect(simLog.join('')).toContain('incoming request');
    expect(runtimeLogs.entries.length).toBeGreaterThan(0);
    const allLogs = [
      webhookLogs,
      simLog.join(''),
      ...runtimeLogs.entries.map((entry) => `${entry.message} ${safeJson(entry.meta)}`),
    ].join('\n');
    const secrets = [
      SECRET,
      SHARED_TOKEN,
      SECRET_KEY,
      CODEC_TOKEN,
      TEST_CODEC_KEYS.split(':')[1] as string,
      ...workflowIds.map((id) => callbackToken(SECRET, id)),
    ];
    for (const number of numbers) expect(allLogs, maskPhone(number)).not.toContain(number);
    for (const secret of secrets) expect(allLogs).not.toContain(secret);
  }, 120_000);
});

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
