import { createRequire } from 'node:module';
import type * as SignModule from 'tencentcloud-sdk-nodejs/tencentcloud/common/sign.js';
import type { GetVirtualNumRequest } from '../src/npp/models.ts';
import { tc3Authorization } from '../src/npp/tc3.ts';
import type { Benchmark } from './context.ts';
import { compare, type Variant } from './harness.ts';

// Request object → Authorization header, as each client does it before sending: ours serialises the
// body once and signs those bytes; the official SDK's sign3 serialises the object again (json-bigint)
// unless it is handed the bytes.

const require = createRequire(import.meta.url);
const { default: Sign } =
  require('tencentcloud-sdk-nodejs/tencentcloud/common/sign.js') as (typeof SignModule)['default'];

const SECRET_ID = 'AKIDbenchmarkEXAMPLE';
const SECRET_KEY = 'benchmark-secret-key-EXAMPLE';
const URL_ = 'https://npp.tencentcloudapi.com/';
const HOST = 'npp.tencentcloudapi.com';
const TIMESTAMP = 1_700_000_000;

const bindRequest: GetVirtualNumRequest = {
  BizAppId: '1400000077',
  Src: '008613800000001',
  Dst: '008613900000002',
  Record: '1',
  BizId: 'a1b2c3d4e5f60001',
  MaxAssignTime: '172800',
  StatusFlag: '16191',
  StatusUrl:
    'https://hooks.example.com/npp/callbacks/status/npp-session-order-4711?token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  HangupUrl:
    'https://hooks.example.com/npp/callbacks/hangup/npp-session-order-4711?token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  RecordUrl:
    'https://hooks.example.com/npp/callbacks/record/npp-session-order-4711?token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
};
// No NPP action sends this much; it shows how each signer scales once hashing the body dominates.
const largeRequest = { BizAppId: '1400000077', Prompt: '请稍候，正在为您接通'.repeat(2_200) };

function officialSign(payload: unknown): string {
  return Sign.sign3({
    method: 'POST',
    url: URL_,
    payload,
    timestamp: TIMESTAMP,
    service: 'npp',
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    multipart: false,
    boundary: '',
    headers: { 'Content-Type': 'application/json' },
  });
}

function ours(body: string): string {
  return tc3Authorization({
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    service: 'npp',
    host: HOST,
    timestamp: TIMESTAMP,
    payload: body,
    contentType: 'application/json',
  });
}

function signers(request: object): Variant[] {
  // Every variant must produce the same header, or the comparison would be meaningless.
  const expected = ours(JSON.stringify(request));
  if (officialSign(request) !== expected || officialSign(Buffer.from(JSON.stringify(request))) !== expected) {
    throw new Error('the signers disagree: fix src/npp/tc3.ts before benchmarking it');
  }
  return [
    { name: 'official sign3 (request object)', run: () => officialSign(request) },
    { name: 'official sign3 (body bytes)', run: () => officialSign(Buffer.from(JSON.stringify(request))) },
    { name: 'ours tc3Authorization', run: () => ours(JSON.stringify(request)) },
  ];
}

export const tc3Benchmark: Benchmark = {
  name: 'tc3',
  description: 'TC3-HMAC-SHA256 signing: src/npp/tc3.ts vs the official tencentcloud-sdk-nodejs signer',
  async run(context) {
    const measure = context.measure();
    const small = Buffer.byteLength(JSON.stringify(bindRequest));
    const large = Buffer.byteLength(JSON.stringify(largeRequest));
    const note = 'One op: serialise the request and compute its Authorization header.';
    return [
      await compare({ title: `GetVirtualNum body (${small} B)`, variants: signers(bindRequest), note }, measure),
      await compare(
        { title: `large body (${Math.round(large / 1024)} KiB)`, variants: signers(largeRequest), note },
        measure,
      ),
    ];
  },
};
