import { createRequire } from 'node:module';
import type * as SignModule from 'tencentcloud-sdk-nodejs/tencentcloud/common/sign.js';
import { describe, expect, it } from 'vitest';
import { tc3Authorization } from '../../src/npp/tc3.ts';

// The SDK ships CommonJS with the class on `exports.default`; require() gets exactly that object,
// while the ESM namespace type wraps module.exports in one more `default`.
const require = createRequire(import.meta.url);
const { default: Sign } =
  require('tencentcloud-sdk-nodejs/tencentcloud/common/sign.js') as (typeof SignModule)['default'];

interface Case {
  name: string;
  url: string;
  body: string;
  timestamp: number;
  sessionToken?: string;
  secretKey?: string;
}

const SECRET_ID = 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE';
const SECRET_KEY = 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE';
// 2024-12-31T23:59:59Z and one second later, on the next UTC day.
const LAST_SECOND_OF_DAY = 1735689599;

const cases: Case[] = [
  { name: 'empty body', url: 'https://npp.tencentcloudapi.com/', body: '{}', timestamp: 1700000000 },
  {
    name: 'unicode and Chinese text',
    url: 'https://npp.tencentcloudapi.com/',
    body: JSON.stringify({ BizAppId: 'app', ReadPrompt: '您好，请按 1 接通被叫 ☎️ — “引号”', Emoji: '🚀' }),
    timestamp: 1700000000,
  },
  {
    name: 'nested arrays and objects',
    url: 'https://npp.tencentcloudapi.com/',
    body: JSON.stringify({
      BizAppId: 'app',
      AccreditList: ['008613631686024', '008612345678910'],
      PreCallerHandle: {
        KeyList: [
          { Key: '1', Operate: '1' },
          { Key: '#', Operate: '3' },
        ],
        Matrix: [[1, [2, [3]]], []],
      },
    }),
    timestamp: 1700000000,
  },
  {
    name: 'large body (~200 KB)',
    url: 'https://npp.tencentcloudapi.com/',
    body: JSON.stringify({ BizAppId: 'app', Blob: 'x中'.repeat(70_000) }),
    timestamp: 1700000000,
  },
  {
    name: 'session token (not a signed header)',
    url: 'https://npp.tencentcloudapi.com/',
    body: '{"BizAppId":"app","CallId":"c1"}',
    timestamp: 1700000000,
    sessionToken: 'temporary-token-value',
  },
  {
    name: 'last second of a UTC day',
    url: 'https://npp.tencentcloudapi.com/',
    body: '{"BizAppId":"app"}',
    timestamp: LAST_SECOND_OF_DAY,
  },
  {
    name: 'first second of the next UTC day',
    url: 'https://npp.tencentcloudapi.com/',
    body: '{"BizAppId":"app"}',
    timestamp: LAST_SECOND_OF_DAY + 1,
  },
  {
    name: 'host with port',
    url: 'https://npp.tencentcloudapi.com:8443/',
    body: '{"BizAppId":"app"}',
    timestamp: 1700000000,
  },
  {
    name: 'local simulator over http',
    url: 'http://127.0.0.1:18080/',
    body: '{"BizAppId":"app"}',
    timestamp: 1700000000,
  },
];

function official(c: Case, payload: unknown): string {
  const url = new URL(c.url);
  return Sign.sign3({
    method: 'POST',
    url: c.url,
    payload,
    timestamp: c.timestamp,
    service: url.hostname.split('.')[0] ?? '',
    secretId: SECRET_ID,
    secretKey: c.secretKey ?? SECRET_KEY,
    multipart: false,
    boundary: '',
    headers: {
      'Content-Type': 'application/json',
      ...(c.sessionToken ? { 'X-TC-Token': c.sessionToken } : {}),
    },
  });
}

function ours(c: Case): string {
  const url = new URL(c.url);
  return tc3Authorization({
    secretId: SECRET_ID,
    secretKey: c.secretKey ?? SECRET_KEY,
    service: url.hostname.split('.')[0] ?? '',
    host: url.hostname,
    timestamp: c.timestamp,
    payload: c.body,
    contentType: 'application/json',
  });
}

describe('tc3Authorization matches the official SDK signer', () => {
  it.each(cases)('$name', (c) => {
    // A Buffer makes sign3 hash the exact bytes instead of re-serialising them.
    expect(ours(c)).toBe(official(c, Buffer.from(c.body, 'utf8')));
  });

  it('also matches when the SDK serialises the request object itself', () => {
    const request = { BizAppId: 'app', Dst: '008613631686024', AccreditList: ['008612345678910'], Prompt: '请稍候' };
    const c: Case = {
      name: 'object',
      url: 'https://npp.tencentcloudapi.com/',
      body: JSON.stringify(request),
      timestamp: 1700000000,
    };
    expect(ours(c)).toBe(official(c, request));
  });

  it('uses the UTC date of the timestamp in the credential scope', () => {
    const [before, after] = [cases[5], cases[6]].map((c) => ours(c as Case));
    expect(before).toContain(`/2024-12-31/npp/tc3_request`);
    expect(after).toContain(`/2025-01-01/npp/tc3_request`);
  });

  it('keeps matching when the secret, the service or the day changes from one request to the next', () => {
    // The derived key and the date are kept between requests: each change must be noticed.
    const base = { body: '{"BizAppId":"app"}', url: 'https://npp.tencentcloudapi.com/', timestamp: 1700000000 };
    const sequence: Case[] = [
      { ...base, name: 'first' },
      { ...base, name: 'other secret', secretKey: 'another-secret-key' },
      { ...base, name: 'first secret again' },
      { ...base, name: 'other service', url: 'https://sms.tencentcloudapi.com/' },
      { ...base, name: 'next day', timestamp: 1700000000 + 86_400 },
      { ...base, name: 'back to the first day' },
    ];
    const signatures = sequence.map((c) => {
      const signed = ours(c);
      expect(signed, c.name).toBe(official(c, Buffer.from(c.body, 'utf8')));
      return signed;
    });
    // first, other secret, other service, next day; the two returns sign as the first did.
    expect(new Set(signatures).size).toBe(4);
    expect([signatures[2], signatures[5]]).toEqual([signatures[0], signatures[0]]);
  });

  it('is sensitive to every byte of the body', () => {
    const base = cases[1] as Case;
    expect(ours({ ...base, body: `${base.body} ` })).not.toBe(ours(base));
  });
});
