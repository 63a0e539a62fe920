import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadNppClientConfig, NppClient, type NppClientOptions } from '../../src/npp/client.ts';
import { NppError } from '../../src/npp/errors.ts';
import { tc3Authorization } from '../../src/npp/tc3.ts';

const SECRET_ID = 'AKIDtestsecretid';
const SECRET_KEY = 'very-secret-key-value-42';
const SESSION_TOKEN = 'session-token-value-7';
const NOW_MS = 1_735_689_599_500; // 2024-12-31T23:59:59.5Z

interface Seen {
  headers: IncomingMessage['headers'];
  body: string;
  signatureOk: boolean;
}

type Handler = (seen: Seen, res: ServerResponse, req: IncomingMessage) => void;

let server: Server;
let port: number;
let handler: Handler;
let seen: Seen[] = [];
let clients: NppClient[] = [];

const json = (res: ServerResponse, body: unknown, status = 200): void => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      // What the real API checks: the signature over the bare host name, the body and the timestamp.
      const expected = tc3Authorization({
        secretId: SECRET_ID,
        secretKey: SECRET_KEY,
        service: '127',
        host: '127.0.0.1',
        timestamp: Number(req.headers['x-tc-timestamp']),
        payload: body,
        contentType: 'application/json',
      });
      const s: Seen = { headers: req.headers, body, signatureOk: req.headers.authorization === expected };
      seen.push(s);
      if (!s.signatureOk) {
        json(res, {
          Response: { Error: { Code: 'AuthFailure.SignatureFailure', Message: 'bad signature' }, RequestId: 'sig' },
        });
        return;
      }
      handler(s, res, req);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
  handler = (_s, res) => json(res, { Response: { ErrorCode: '0', RequestId: 'req-ok' } });
});

afterEach(async () => {
  server.closeAllConnections();
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
});

function makeClient(options: NppClientOptions = {}): NppClient {
  const client = new NppClient({
    env: {
      NPP_ENDPOINT: `http://127.0.0.1:${port}`,
      TENCENTCLOUD_SECRET_ID: SECRET_ID,
      TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
      NPP_BIZ_APP_ID: 'app-from-env',
    },
    now: () => NOW_MS,
    ...options,
  });
  clients.push(client);
  return client;
}

async function failure(promise: Promise<unknown>): Promise<NppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NppError);
  const nppError = err as NppError;
  expect(nppError.message).not.toContain(SECRET_KEY);
  expect(nppError.message).not.toContain(SESSION_TOKEN);
  return nppError;
}

describe('NppClient request', () => {
  it('sends a signed request with the documented headers and returns the whole Response', async () => {
    const response = {
      ErrorCode: '0',
      BindId: 'bind-1',
      RefNum: '1',
      VirtualNum: '008617013541251',
      RequestId: 'req-1',
    };
    handler = (_s, res) => json(res, { Response: response });
    const client = makeClient();
    await expect(client.getVirtualNum({ Dst: '008613631686024', Src: '008612345678910' })).resolves.toEqual(response);

    const [req] = seen;
    expect(req?.signatureOk).toBe(true);
    expect(req?.headers).toMatchObject({
      'content-type': 'application/json',
      host: `127.0.0.1:${port}`,
      'x-tc-action': 'GetVirtualNum',
      'x-tc-version': '2019-08-23',
      'x-tc-timestamp': String(Math.floor(NOW_MS / 1000)),
    });
    expect(req?.headers['x-tc-token']).toBeUndefined();
    expect(req?.headers['x-tc-region']).toBeUndefined();
    expect(JSON.parse(req?.body ?? '')).toEqual({
      Dst: '008613631686024',
      Src: '008612345678910',
      BizAppId: 'app-from-env',
    });
  });

  it('prefers the BizAppId given in the request over the environment', async () => {
    await makeClient().describeCallerDisplayList({ BizAppId: 'app-explicit' });
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ BizAppId: 'app-explicit' });
  });

  it('sends the session token as X-TC-Token and the region as X-TC-Region', async () => {
    const client = makeClient({
      env: {
        NPP_ENDPOINT: `http://127.0.0.1:${port}`,
        TENCENTCLOUD_SECRET_ID: SECRET_ID,
        TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
        TENCENTCLOUD_SESSION_TOKEN: SESSION_TOKEN,
        TENCENTCLOUD_REGION: 'ap-guangzhou',
        NPP_BIZ_APP_ID: 'app-from-env',
      },
    });
    await client.describeCallBackStatus({ CallId: 'call-1' });
    expect(seen[0]?.headers['x-tc-token']).toBe(SESSION_TOKEN);
    expect(seen[0]?.headers['x-tc-region']).toBe('ap-guangzhou');
    expect(seen[0]?.signatureOk).toBe(true);
  });

  it('signs Chinese text and large bodies correctly', async () => {
    const client = makeClient();
    await client.createCallBack({
      Src: '008613631686024',
      Dst: '008612345678910',
      PreCallerHandle: {
        ReadPrompt: '您好，请按 1 接通',
        InterruptPrompt: '请按键'.repeat(30_000),
        KeyList: [{ Key: '1', Operate: '1' }],
        RepeatTimes: '2',
        KeyPressUrl: '',
        PromptGender: '1',
      },
    });
    expect(seen[0]?.signatureOk).toBe(true);
    expect(seen[0]?.headers['x-tc-action']).toBe('CreateCallBack');
  });

  it('exposes every action as a typed method', async () => {
    const client = makeClient();
    await client.delVirtualNum({ BindId: 'b' });
    await client.deleteCallBack({ CallId: 'c', CancelFlag: '2' });
    await client.describeCallBackCdr({ CallId: 'c' });
    await client.get400Cdr({ StartTimeStamp: '1', EndTimeStamp: '2' });
    await client.call('DescribeCallerDisplayList', {});
    expect(seen.map((s) => s.headers['x-tc-action'])).toEqual([
      'DelVirtualNum',
      'DeleteCallBack',
      'DescribeCallBackCdr',
      'Get400Cdr',
      'DescribeCallerDisplayList',
    ]);
  });

  it('refuses to send without a BizAppId', async () => {
    const client = makeClient({
      env: {
        NPP_ENDPOINT: `http://127.0.0.1:${port}`,
        TENCENTCLOUD_SECRET_ID: SECRET_ID,
        TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
      },
    });
    const err = await failure(client.getVirtualNum({ Dst: '008613631686024' }));
    expect(err).toMatchObject({ code: 'MissingParameter', retryable: false });
    expect(err.message).toContain('NPP_BIZ_APP_ID');
    expect(seen).toHaveLength(0);
  });
});

describe('NppClient failures', () => {
  it.each([
    ['AuthFailure.SignatureExpire', false],
    ['InvalidParameterValue', false],
    ['MissingParameter', false],
    ['UnauthorizedOperation', false],
    ['ResourceNotFound', false],
    ['FailedOperation', false],
    ['RequestLimitExceeded', true],
    ['InternalError', true],
    ['ResourceUnavailable', true],
    ['ResourceInsufficient', true],
  ])('API error %s → retryable %s', async (code, retryable) => {
    handler = (_s, res) =>
      json(res, { Response: { Error: { Code: code, Message: `says ${code}` }, RequestId: 'req-api' } });
    const err = await failure(makeClient().createCallBack({ Src: '008613631686024', Dst: '008612345678910' }));
    expect(err).toMatchObject({
      action: 'CreateCallBack',
      layer: 'api',
      code,
      retryable,
      requestId: 'req-api',
      httpStatus: 200,
    });
    expect(err.message).toContain(`says ${code}`);
    expect(seen).toHaveLength(1); // retryable or not, the client never retries
  });

  it.each([
    ['101', false, 'pool exhausted'],
    ['103', false, 'no such BindId'],
    ['110', true, 'slow down'],
    ['111', true, 'internal'],
    ['999', false, 'unheard of'],
  ])('business ErrorCode %s → retryable %s', async (code, retryable, msg) => {
    handler = (_s, res) => json(res, { Response: { ErrorCode: code, Msg: msg, RequestId: 'req-biz' } });
    const err = await failure(makeClient().getVirtualNum({ Dst: '008613631686024' }));
    expect(err).toMatchObject({ layer: 'business', code, retryable, requestId: 'req-biz', httpStatus: 200 });
    expect(err.message).toContain(msg);
  });

  it('accepts a numeric ErrorCode of 0 as success', async () => {
    handler = (_s, res) => json(res, { Response: { ErrorCode: 0, RequestId: 'req-num' } });
    await expect(makeClient().delVirtualNum({ BindId: 'b' })).resolves.toMatchObject({ RequestId: 'req-num' });
  });

  it('treats a 502 as retryable', async () => {
    handler = (_s, res) => {
      res.writeHead(502, { 'Content-Type': 'text/html' });
      res.end('<html>Bad Gateway</html>');
    };
    const err = await failure(makeClient().delVirtualNum({ BindId: 'b' }));
    expect(err).toMatchObject({ layer: 'transport', code: 'HTTP_502', retryable: true, httpStatus: 502 });
    expect(err.requestId).toBeUndefined();
    expect(seen).toHaveLength(1); // retrying is the activities' job
  });

  it('treats a 5xx carrying an API error as retryable', async () => {
    handler = (_s, res) =>
      json(res, { Response: { Error: { Code: 'InvalidParameter', Message: 'x' }, RequestId: 'r5' } }, 503);
    const err = await failure(makeClient().delVirtualNum({ BindId: 'b' }));
    expect(err).toMatchObject({
      layer: 'api',
      code: 'InvalidParameter',
      retryable: true,
      httpStatus: 503,
      requestId: 'r5',
    });
    expect(seen).toHaveLength(1);
  });

  it('treats a non-JSON 200 as a non-retryable invalid response', async () => {
    handler = (_s, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('not json at all');
    };
    const err = await failure(makeClient().delVirtualNum({ BindId: 'b' }));
    expect(err).toMatchObject({ layer: 'transport', code: 'InvalidResponse', retryable: false, httpStatus: 200 });
  });

  it('treats JSON without a Response object as an invalid response', async () => {
    handler = (_s, res) => json(res, { Hello: 'world' });
    const err = await failure(makeClient().delVirtualNum({ BindId: 'b' }));
    expect(err).toMatchObject({ code: 'InvalidResponse', retryable: false });
  });

  it.each([
    [404, false],
    [400, false],
    [429, true],
  ])('treats HTTP %i without an API error as retryable %s', async (status, retryable) => {
    handler = (_s, res) => {
      res.writeHead(status);
      res.end('nope');
    };
    const err = await failure(makeClient().delVirtualNum({ BindId: 'b' }));
    expect(err).toMatchObject({ layer: 'transport', code: `HTTP_${status}`, retryable, httpStatus: status });
  });

  it('treats a dropped connection as retryable', async () => {
    handler = (_s, _res, req) => req.socket.destroy();
    const err = await failure(makeClient().delVirtualNum({ BindId: 'b' }));
    expect(err).toMatchObject({ layer: 'transport', retryable: true });
    expect(err.code).toMatch(/^(UND_ERR_SOCKET|ECONNRESET)$/);
    expect(err.httpStatus).toBeUndefined();
    expect(seen).toHaveLength(1);
  });

  it('treats a refused connection as retryable', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const err = await failure(
      makeClient({ endpoint: `http://127.0.0.1:${closedPort}` }).delVirtualNum({ BindId: 'b' }),
    );
    expect(err).toMatchObject({ layer: 'transport', code: 'ECONNREFUSED', retryable: true });
  });

  it('honours connectTimeout: a TLS handshake that never completes fails fast, once', async () => {
    // Loopback only, so a stalled connect is a TCP peer that accepts and never answers the TLS
    // ClientHello; undici's connect timeout covers the handshake.
    const sockets: Socket[] = [];
    const silent = createNetServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as AddressInfo).port;
    try {
      const started = Date.now();
      const err = await failure(
        makeClient({ endpoint: `https://127.0.0.1:${silentPort}`, connectTimeout: 200 }).delVirtualNum({
          BindId: 'b',
        }),
      );
      expect(err).toMatchObject({ layer: 'transport', code: 'UND_ERR_CONNECT_TIMEOUT', retryable: true });
      // undici's timers tick every 500 ms; the 5 s default would take over 5 s.
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(sockets).toHaveLength(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('treats a server slower than headersTimeout as retryable', async () => {
    handler = () => {}; // never answers
    const err = await failure(makeClient({ headersTimeout: 200 }).delVirtualNum({ BindId: 'b' }));
    expect(err).toMatchObject({ layer: 'transport', code: 'UND_ERR_HEADERS_TIMEOUT', retryable: true });
    expect(seen).toHaveLength(1);
  });

  it('treats a body stalled beyond bodyTimeout as retryable', async () => {
    handler = (_s, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"Response":');
    };
    const err = await failure(makeClient({ bodyTimeout: 200 }).delVirtualNum({ BindId: 'b' }));
    expect(err).toMatchObject({ layer: 'transport', code: 'UND_ERR_BODY_TIMEOUT', retryable: true });
  });

  it('does not retry a call its caller aborted', async () => {
    handler = () => {};
    const controller = new AbortController();
    const pending = makeClient().delVirtualNum({ BindId: 'b' }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const err = await failure(pending);
    expect(err).toMatchObject({ layer: 'transport', code: 'Aborted', retryable: false });
  });

  it('redacts credentials echoed back by the server', async () => {
    handler = (_s, res) =>
      json(res, {
        Response: { ErrorCode: '106', Msg: `bad input ${SECRET_KEY} / ${SESSION_TOKEN}`, RequestId: 'echo' },
      });
    const client = makeClient({ secretKey: SECRET_KEY, sessionToken: SESSION_TOKEN });
    const err = await failure(client.getVirtualNum({ Dst: 'x' }));
    expect(err.message).toContain('[REDACTED]');
    expect(inspect(err)).not.toContain(SECRET_KEY);
  });
});

describe('loadNppClientConfig', () => {
  const env = {
    TENCENTCLOUD_SECRET_ID: SECRET_ID,
    TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
    TENCENTCLOUD_SESSION_TOKEN: SESSION_TOKEN,
  };

  it('reads the environment, with the production endpoint by default', () => {
    const config = loadNppClientConfig({ ...env, TENCENTCLOUD_REGION: 'ap-beijing', NPP_BIZ_APP_ID: 'app' });
    expect(config).toMatchObject({
      endpoint: 'https://npp.tencentcloudapi.com',
      secretId: SECRET_ID,
      secretKey: SECRET_KEY,
      sessionToken: SESSION_TOKEN,
      region: 'ap-beijing',
      bizAppId: 'app',
    });
  });

  it('names every missing variable and never shows the secret', () => {
    expect(() => loadNppClientConfig({})).toThrow(/TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY/);
    expect(() => loadNppClientConfig({ TENCENTCLOUD_SECRET_KEY: SECRET_KEY })).toThrow(
      /missing environment variable\(s\) TENCENTCLOUD_SECRET_ID$/,
    );
  });

  it('rejects an endpoint that is not http(s)', () => {
    expect(() => loadNppClientConfig({ ...env, NPP_ENDPOINT: 'ftp://npp' })).toThrow(/NPP_ENDPOINT/);
    expect(() => loadNppClientConfig({ ...env, NPP_ENDPOINT: 'not a url' })).toThrow(/NPP_ENDPOINT/);
  });

  it('keeps secrets out of JSON, inspect and string forms of the config and client', () => {
    const config = loadNppClientConfig(env);
    for (const text of [JSON.stringify(config), inspect(config), String(config), inspect(makeClient())]) {
      expect(text).not.toContain(SECRET_KEY);
      expect(text).not.toContain(SESSION_TOKEN);
    }
  });
});
