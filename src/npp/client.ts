import { Pool } from 'undici';
import { classifyApiErrorCode, classifyBusinessErrorCode, NppError, type NppErrorLayer } from './errors.ts';
import { NPP_API_VERSION, type NppAction, type NppActions } from './models.ts';
import { tc3Authorization } from './tc3.ts';

export const DEFAULT_NPP_ENDPOINT = 'https://npp.tencentcloudapi.com';
const CONTENT_TYPE = 'application/json';

/**
 * Where and as whom the client calls NPP. `secretKey` and `sessionToken` are non-enumerable, so
 * logging, JSON.stringify or util.inspect of a config never shows them.
 */
export interface NppClientConfig {
  readonly endpoint: string;
  readonly secretId: string;
  readonly secretKey: string;
  readonly sessionToken?: string;
  readonly region?: string;
  readonly bizAppId?: string;
}

type Env = Record<string, string | undefined>;

/**
 * Reads the config from the environment (NPP_ENDPOINT, TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY,
 * TENCENTCLOUD_SESSION_TOKEN, TENCENTCLOUD_REGION, NPP_BIZ_APP_ID); `overrides` win over the environment.
 * Throws an error naming every missing variable.
 */
export function loadNppClientConfig(env: Env = process.env, overrides: Partial<NppClientConfig> = {}): NppClientConfig {
  // Empty strings count as unset, as an exported-but-empty variable usually means a missing secret.
  const pick = (given: string | undefined, name: string): string | undefined => given || env[name] || undefined;
  const endpoint = pick(overrides.endpoint, 'NPP_ENDPOINT') ?? DEFAULT_NPP_ENDPOINT;
  const secretId = pick(overrides.secretId, 'TENCENTCLOUD_SECRET_ID');
  const secretKey = pick(overrides.secretKey, 'TENCENTCLOUD_SECRET_KEY');
  const missing = [...(secretId ? [] : ['TENCENTCLOUD_SECRET_ID']), ...(secretKey ? [] : ['TENCENTCLOUD_SECRET_KEY'])];
  if (!secretId || !secretKey) {
    throw new Error(`NPP client configuration: missing environment variable(s) ${missing.join(', ')}`);
  }
  let protocol: string;
  try {
    protocol = new URL(endpoint).protocol;
  } catch {
    throw new Error(`NPP client configuration: NPP_ENDPOINT is not a URL: ${endpoint}`);
  }
  if (protocol !== 'https:' && protocol !== 'http:') {
    throw new Error(`NPP client configuration: NPP_ENDPOINT must be http:// or https://, got ${endpoint}`);
  }

  const region = pick(overrides.region, 'TENCENTCLOUD_REGION');
  const bizAppId = pick(overrides.bizAppId, 'NPP_BIZ_APP_ID');
  const sessionToken = pick(overrides.sessionToken, 'TENCENTCLOUD_SESSION_TOKEN');
  const config = { endpoint, secretId, ...(region ? { region } : {}), ...(bizAppId ? { bizAppId } : {}) };
  Object.defineProperty(config, 'secretKey', { value: secretKey, enumerable: false });
  if (sessionToken) Object.defineProperty(config, 'sessionToken', { value: sessionToken, enumerable: false });
  return config as NppClientConfig;
}

export interface NppClientOptions extends Partial<NppClientConfig> {
  /** Source of the settings not given above; defaults to process.env. */
  env?: Env;
  /** Maximum sockets to the endpoint (undici Pool `connections`). */
  connections?: number;
  /** Milliseconds to establish a connection (TLS included). */
  connectTimeout?: number;
  /** Milliseconds from sending the request to receiving the response headers. */
  headersTimeout?: number;
  /** Milliseconds allowed between two chunks of the response body. */
  bodyTimeout?: number;
  /** Clock in milliseconds since the epoch, for the signature timestamp; tests pin it. */
  now?: () => number;
}

/** A request as the caller gives it: BizAppId may be left to the client's config. */
export type NppRequest<A extends NppAction> = Omit<NppActions[A]['request'], 'BizAppId'> & { BizAppId?: string };
export type NppResponse<A extends NppAction> = NppActions[A]['response'];

export interface NppCallOptions {
  /** Aborts the request, e.g. on Temporal activity cancellation; the NppError is then not retryable. */
  signal?: AbortSignal;
}

// Transport failures after which the same request cannot succeed: the caller gave up or closed the client.
const FINAL_TRANSPORT_CODES = new Set([
  'UND_ERR_ABORTED',
  'ABORT_ERR',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_INVALID_ARG',
]);

interface ApiEnvelope {
  Response?: {
    RequestId?: string;
    Error?: { Code?: string; Message?: string };
    ErrorCode?: string | number | null;
    Msg?: string | null;
  };
}

/**
 * NPP API 2019-08-23 over one keep-alive undici Pool. Every failure is thrown as an NppError with a
 * retry verdict; the client itself never retries, so that retry policy stays with the caller (Temporal).
 */
export class NppClient {
  readonly #config: NppClientConfig;
  readonly #url: URL;
  readonly #service: string;
  readonly #pool: Pool;
  readonly #now: () => number;

  constructor(options: NppClientOptions = {}) {
    this.#config = loadNppClientConfig(options.env, options);
    this.#url = new URL(this.#config.endpoint);
    // Like the official SDK: the service is the endpoint's first DNS label (`npp`).
    this.#service = this.#url.hostname.split('.')[0] ?? '';
    this.#now = options.now ?? Date.now;
    this.#pool = new Pool(this.#url.origin, {
      connections: options.connections ?? 16,
      connectTimeout: options.connectTimeout ?? 5_000,
      // Below the activities' 10 s start-to-close, so the client reports a timeout (retryable) first.
      headersTimeout: options.headersTimeout ?? 8_000,
      bodyTimeout: options.bodyTimeout ?? 8_000,
    });
  }

  getVirtualNum(request: NppRequest<'GetVirtualNum'>, options?: NppCallOptions): Promise<NppResponse<'GetVirtualNum'>> {
    return this.call('GetVirtualNum', request, options);
  }

  delVirtualNum(request: NppRequest<'DelVirtualNum'>, options?: NppCallOptions): Promise<NppResponse<'DelVirtualNum'>> {
    return this.call('DelVirtualNum', request, options);
  }

  createCallBack(
    request: NppRequest<'CreateCallBack'>,
    options?: NppCallOptions,
  ): Promise<NppResponse<'CreateCallBack'>> {
    return this.call('CreateCallBack', request, options);
  }

  deleteCallBack(
    request: NppRequest<'DeleteCallBack'>,
    options?: NppCallOptions,
  ): Promise<NppResponse<'DeleteCallBack'>> {
    return this.call('DeleteCallBack', request, options);
  }

  describeCallBackStatus(
    request: NppRequest<'DescribeCallBackStatus'>,
    options?: NppCallOptions,
  ): Promise<NppResponse<'DescribeCallBackStatus'>> {
    return this.call('DescribeCallBackStatus', request, options);
  }

  describeCallBackCdr(
    request: NppRequest<'DescribeCallBackCdr'>,
    options?: NppCallOptions,
  ): Promise<NppResponse<'DescribeCallBackCdr'>> {
    return this.call('DescribeCallBackCdr', request, options);
  }

  describeCallerDisplayList(
    request: NppRequest<'DescribeCallerDisplayList'> = {},
    options?: NppCallOptions,
  ): Promise<NppResponse<'DescribeCallerDisplayList'>> {
    return this.call('DescribeCallerDisplayList', request, options);
  }

  get400Cdr(request: NppRequest<'Get400Cdr'>, options?: NppCallOptions): Promise<NppResponse<'Get400Cdr'>> {
    return this.call('Get400Cdr', request, options);
  }

  /** Sends one action and returns its `Response` object (RequestId included), or throws NppError. */
  async call<A extends NppAction>(
    action: A,
    request: NppRequest<A>,
    options: NppCallOptions = {},
  ): Promise<NppResponse<A>> {
    const bizAppId = request.BizAppId || this.#config.bizAppId;
    if (!bizAppId) {
      // Refused before sending, with the code the API would answer.
      throw new NppError({
        action,
        code: 'MissingParameter',
        layer: 'api',
        retryable: false,
        message: `${action}: BizAppId is required: pass it in the request or set NPP_BIZ_APP_ID`,
      });
    }
    const body = JSON.stringify({ ...request, BizAppId: bizAppId });
    const timestamp = Math.floor(this.#now() / 1000);
    const { secretId, secretKey, sessionToken, region } = this.#config;
    const headers: Record<string, string> = {
      'Content-Type': CONTENT_TYPE,
      // The HTTP Host keeps the port; the signature uses the bare host name, as the official SDK does.
      Host: this.#url.host,
      'X-TC-Action': action,
      'X-TC-Version': NPP_API_VERSION,
      'X-TC-Timestamp': String(timestamp),
      Authorization: tc3Authorization({
        secretId,
        secretKey,
        service: this.#service,
        host: this.#url.hostname,
        timestamp,
        payload: body,
        contentType: CONTENT_TYPE,
        path: this.#url.pathname,
        query: this.#url.search.slice(1),
      }),
    };
    if (region) headers['X-TC-Region'] = region;
    if (sessionToken) headers['X-TC-Token'] = sessionToken;

    let status: number;
    let text: string;
    try {
      const response = await this.#pool.request({
        method: 'POST',
        path: this.#url.pathname + this.#url.search,
        headers,
        body,
        signal: options.signal ?? null,
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (cause) {
      throw this.#transportError(action, cause, options.signal);
    }
    return this.#interpret(action, status, text);
  }

  /** Closes the pool once in-flight requests finish. */
  close(): Promise<void> {
    return this.#pool.close();
  }

  #interpret<A extends NppAction>(action: A, status: number, text: string): NppResponse<A> {
    let envelope: ApiEnvelope | undefined;
    try {
      envelope = JSON.parse(text) as ApiEnvelope;
    } catch {
      envelope = undefined;
    }
    const response =
      typeof envelope?.Response === 'object' && envelope.Response !== null ? envelope.Response : undefined;
    const requestId = response?.RequestId;
    const fail = (layer: NppErrorLayer, code: string, retryable: boolean, detail: string): NppError =>
      new NppError({
        action,
        code,
        layer,
        retryable,
        message: this.#redact(`${action} ${code}: ${detail}`),
        httpStatus: status,
        ...(requestId === undefined ? {} : { requestId }),
      });

    if (response?.Error?.Code) {
      const { Code, Message = '' } = response.Error;
      // A 5xx is a server-side failure whatever code came with it.
      throw fail('api', Code, classifyApiErrorCode(Code).retryable || status >= 500, Message);
    }
    if (status >= 500) throw fail('transport', `HTTP_${status}`, true, `HTTP ${status} ${snippet(text)}`);
    // 408 and 429 say "try later" by definition; any other non-2xx will fail the same way again.
    if (status < 200 || status >= 300) {
      throw fail('transport', `HTTP_${status}`, status === 408 || status === 429, `HTTP ${status} ${snippet(text)}`);
    }
    if (!response) {
      // The outcome of the action is unknown, and a well-behaved endpoint never answers this way.
      throw fail('transport', 'InvalidResponse', false, `HTTP ${status} body is not an API response: ${snippet(text)}`);
    }
    const errorCode = response.ErrorCode;
    if (errorCode !== undefined && errorCode !== null && String(errorCode) !== '0') {
      const code = String(errorCode);
      const known = classifyBusinessErrorCode(code);
      throw fail(
        'business',
        code,
        known?.retryable ?? false,
        response.Msg || known?.meaning || 'unknown business error',
      );
    }
    return response as NppResponse<A>;
  }

  #transportError(action: NppAction, cause: unknown, signal: AbortSignal | undefined): NppError {
    const err = cause as { code?: unknown; message?: unknown } | undefined;
    const aborted = signal?.aborted === true;
    const code = aborted ? 'Aborted' : typeof err?.code === 'string' ? err.code : 'TransportError';
    const detail = typeof err?.message === 'string' ? err.message : String(cause);
    return new NppError({
      action,
      code,
      layer: 'transport',
      retryable: !aborted && !FINAL_TRANSPORT_CODES.has(code),
      message: this.#redact(`${action} ${code}: ${detail}`),
      cause,
    });
  }

  // Defence in depth: an echoing server or proxy must not leak credentials into logs via error messages.
  #redact(text: string): string {
    let out = text;
    for (const secret of [this.#config.secretKey, this.#config.sessionToken]) {
      if (secret) out = out.replaceAll(secret, '[REDACTED]');
    }
    return out;
  }
}

const snippet = (text: string): string => (text.length > 200 ? `${text.slice(0, 200)}…` : text);
