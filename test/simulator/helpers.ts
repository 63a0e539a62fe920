import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client as NppClient } from 'tencentcloud-sdk-nodejs/tencentcloud/services/npp/v20190823/npp_client.js';
import { request } from 'undici';
import { tc3Authorization } from '../../src/npp/tc3.ts';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/server.ts';

export const SECRET_ID = 'AKIDtestsimulator';
export const SECRET_KEY = 'test-secret-key';
export const APP_ID = '1400000001';

/** Everything startSim and startReceiver started that closeStarted has not closed yet. */
const started: { close(): Promise<void> }[] = [];

/** Closes every simulator and receiver started so far: `afterEach(closeStarted)`. */
export async function closeStarted(): Promise<void> {
  await Promise.all(started.splice(0).map((server) => server.close()));
}

export async function startSim(options: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  const sim = await startSimulator({
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    ...options,
    delivery: { baseDelayMs: 10, recordingDelayMs: 0, ...options.delivery },
  });
  started.push(sim);
  return sim;
}

export interface CallOptions {
  /** Unix seconds to sign with; default now. */
  timestamp?: number;
  secretId?: string;
  secretKey?: string;
  version?: string;
  /** Service in the credential scope; the official SDK uses "127" for 127.0.0.1. */
  service?: string;
  /** Aborts the request (the caller giving up). */
  signal?: AbortSignal;
}

export interface ApiBody {
  Response: {
    Error?: { Code: string; Message: string };
    ErrorCode?: string;
    Msg?: string;
    RequestId: string;
    [field: string]: unknown;
  };
}

/** A hand-signed TC3 request, answering the parsed JSON body and the HTTP status. */
export async function callApi(
  sim: Simulator,
  action: string,
  params: Record<string, unknown>,
  options: CallOptions = {},
): Promise<{ status: number; body: ApiBody }> {
  const payload = JSON.stringify({ BizAppId: APP_ID, ...params });
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const contentType = 'application/json';
  const authorization = tc3Authorization({
    secretId: options.secretId ?? SECRET_ID,
    secretKey: options.secretKey ?? SECRET_KEY,
    service: options.service ?? 'npp',
    host: '127.0.0.1',
    timestamp,
    payload,
    contentType,
  });
  const res = await request(`${sim.url}/`, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      authorization,
      'x-tc-action': action,
      'x-tc-version': options.version ?? '2019-08-23',
      'x-tc-timestamp': String(timestamp),
    },
    body: payload,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { status: res.statusCode, body: (await res.body.json()) as ApiBody };
}

/** The Response of an action that must succeed (ErrorCode "0"). */
export async function ok(sim: Simulator, action: string, params: Record<string, unknown>, options?: CallOptions) {
  const { body } = await callApi(sim, action, params, options);
  if (body.Response.ErrorCode !== '0') throw new Error(`${action} failed: ${JSON.stringify(body.Response)}`);
  return body.Response;
}

export function sdkClient(sim: Simulator, secretKey = SECRET_KEY): NppClient {
  return new NppClient({
    credential: { secretId: SECRET_ID, secretKey },
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: sim.endpoint, protocol: 'http://' } },
  });
}

export async function admin<T = Record<string, unknown>>(
  sim: Simulator,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
) {
  const res = await request(`${sim.url}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: (await res.body.json()) as T };
}

export interface Received {
  path: string;
  body: Record<string, string>;
}

/** A webhook receiver on loopback; `respond` picks the HTTP status for each request (default 200). */
export async function startReceiver(respond: (req: Received, index: number) => number = () => 200) {
  const received: Received[] = [];
  let count = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
      const status = respond(entry, count++);
      if (status >= 200 && status < 300) received.push(entry);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  started.push({ close });
  return {
    url,
    received,
    /** Requests at `path` (2xx only). */
    at: (path: string) => received.filter((r) => r.path === path).map((r) => r.body),
    close,
  };
}

/** Polls until `check` holds, for at most `ms`. */
export async function until(check: () => boolean, ms = 3000): Promise<void> {
  for (let waited = 0; waited < ms; waited += 10) {
    if (check()) return;
    await sleep(10);
  }
  throw new Error('condition not met in time');
}
