import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Client } from '@temporalio/client';
import { pino } from 'pino';
import { callbackUrl } from '../../src/npp/callbacks/urls.ts';
import { createWebhookServer, type WebhookServerOptions } from '../../src/webhooks/server.ts';
import { type SignalRecorderInput, signalRecorder } from '../fixtures/webhookWorkflows.ts';

export const SECRET = 'test-secret-current-0123456789abcdef';
export const PREVIOUS_SECRET = 'test-secret-previous-0123456789abcdef';
export const SHARED_TOKEN = 'test-shared-token-0123456789abcdef';

export interface TestWebhook {
  /** http://127.0.0.1:<port> */
  base: string;
  /** Everything the server logged so far (pino JSON lines). */
  logs(): string;
  close(): Promise<void>;
}

/** A webhook server on a free loopback port whose logs go to memory. */
export async function startTestWebhook(
  client: Client,
  options: Partial<WebhookServerOptions> = {},
): Promise<TestWebhook> {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const app = createWebhookServer({
    client,
    secrets: { current: SECRET },
    sharedToken: SHARED_TOKEN,
    logger: pino({ level: 'debug' }, sink),
    visibilityRetry: { attempts: 20, delayMs: 250 },
    ...options,
  });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return { base, logs: () => chunks.join(''), close: () => app.close() };
}

/** A per-session callback URL of `workflowId` on the test server. */
export function sessionUrl(webhook: TestWebhook, kind: string, workflowId: string, secret = SECRET): string {
  return callbackUrl({ publicUrl: webhook.base, secret }, kind as 'status', workflowId);
}

export async function startRecorder(client: Client, taskQueue: string, input: SignalRecorderInput = {}) {
  return client.workflow.start(signalRecorder, {
    args: [input],
    taskQueue,
    workflowId: `webhook-recorder-${randomUUID()}`,
  });
}

export interface PostOptions {
  contentType?: string;
  method?: string;
}

/** POSTs `body` (an object is sent as JSON, a string as is) and answers status, headers and JSON. */
export async function post(url: string, body: unknown, options: PostOptions = {}) {
  const response = await fetch(url, {
    method: options.method ?? 'POST',
    headers: { 'content-type': options.contentType ?? 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, headers: response.headers, body: json as Record<string, unknown> };
}
