import { createHmac, hash } from 'node:crypto';

/** What TC3-HMAC-SHA256 signs: the request as sent, plus the credentials. */
export interface Tc3SignInput {
  secretId: string;
  secretKey: string;
  /** First DNS label of the endpoint, e.g. `npp`; also the credential-scope service. */
  service: string;
  /** Host name without port: the official SDK signs `URL.hostname`. */
  host: string;
  /** Unix seconds; also sent as X-TC-Timestamp. */
  timestamp: number;
  /** The exact request body bytes or text. */
  payload: string | Buffer;
  contentType: string;
  method?: 'POST' | 'GET';
  path?: string;
  query?: string;
}

export const TC3_ALGORITHM = 'TC3-HMAC-SHA256';
export const TC3_SIGNED_HEADERS = 'content-type;host';

const sha256Hex = (data: string | Buffer): string => hash('sha256', data, 'hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

const SECONDS_PER_DAY = 86_400;
let cachedDate = { day: Number.NaN, date: '' };

/** `YYYY-MM-DD` in UTC, the date part of the credential scope. */
export function tc3Date(timestamp: number): string {
  // Formatting a date costs more than the rest of the scope: it changes once a day.
  const day = Math.floor(timestamp / SECONDS_PER_DAY);
  if (day !== cachedDate.day) cachedDate = { day, date: new Date(timestamp * 1000).toISOString().slice(0, 10) };
  return cachedDate.date;
}

/**
 * The key derived from the secret for one date and service (three of a request's four HMACs). It
 * changes once a day, so the last one is kept: one entry, compared field by field, holding nothing
 * the caller's config does not already hold.
 */
let cachedKey: { secretKey: string; date: string; service: string; key: Buffer } | undefined;
function signingKey(secretKey: string, date: string, service: string): Buffer {
  const last = cachedKey;
  if (last && last.date === date && last.service === service && last.secretKey === secretKey) return last.key;
  const key = hmac(hmac(hmac(`TC3${secretKey}`, date), service), 'tc3_request');
  cachedKey = { secretKey, date, service, key };
  return key;
}

/** The hex signature of a request (Tencent Cloud API 3.0, TC3-HMAC-SHA256). */
export function tc3Signature(input: Tc3SignInput): string {
  const { method = 'POST', path = '/', query = '' } = input;
  const canonicalRequest = [
    method,
    path,
    query,
    `content-type:${input.contentType}\nhost:${input.host}\n`,
    TC3_SIGNED_HEADERS,
    sha256Hex(input.payload),
  ].join('\n');
  const date = tc3Date(input.timestamp);
  const scope = `${date}/${input.service}/tc3_request`;
  const stringToSign = [TC3_ALGORITHM, String(input.timestamp), scope, sha256Hex(canonicalRequest)].join('\n');
  return createHmac('sha256', signingKey(input.secretKey, date, input.service))
    .update(stringToSign, 'utf8')
    .digest('hex');
}

/** The Authorization header value for a request. */
export function tc3Authorization(input: Tc3SignInput): string {
  const scope = `${tc3Date(input.timestamp)}/${input.service}/tc3_request`;
  return `${TC3_ALGORITHM} Credential=${input.secretId}/${scope}, SignedHeaders=${TC3_SIGNED_HEADERS}, Signature=${tc3Signature(input)}`;
}

/** The parts of an Authorization header, or undefined when it is not a TC3 header. */
export interface Tc3Credential {
  secretId: string;
  date: string;
  service: string;
  signedHeaders: string;
  signature: string;
}

export function parseTc3Authorization(header: string | undefined): Tc3Credential | undefined {
  const match = header?.match(
    /^TC3-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{4}-\d{2}-\d{2})\/([^/,\s]+)\/tc3_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/,
  );
  if (!match) return undefined;
  const [, secretId, date, service, signedHeaders, signature] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { secretId, date, service, signedHeaders, signature };
}
