import type { NppAction } from './models.ts';

/**
 * Where a failure came from:
 * - `transport`: no usable API answer (connection, timeout, HTTP status, unparsable body);
 * - `api`: the Tencent Cloud API framework refused the call (`Response.Error.Code`);
 * - `business`: NPP answered HTTP 200 with `Response.ErrorCode` other than "0".
 */
export type NppErrorLayer = 'transport' | 'api' | 'business';

export interface NppErrorInit {
  action: NppAction;
  code: string;
  message: string;
  layer: NppErrorLayer;
  retryable: boolean;
  requestId?: string;
  httpStatus?: number;
  cause?: unknown;
}

/** Every failure of an NPP call. `retryable` says whether sending the same request again may succeed. */
export class NppError extends Error {
  override readonly name = 'NppError';
  readonly action: NppAction;
  readonly code: string;
  readonly layer: NppErrorLayer;
  readonly retryable: boolean;
  readonly requestId?: string;
  readonly httpStatus?: number;

  constructor(init: NppErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.action = init.action;
    this.code = init.code;
    this.layer = init.layer;
    this.retryable = init.retryable;
    if (init.requestId !== undefined) this.requestId = init.requestId;
    if (init.httpStatus !== undefined) this.httpStatus = init.httpStatus;
  }
}

/** Verdict on an API-layer `Response.Error.Code`; `family` is the rule that matched, usable as a metric label. */
export interface ApiErrorClass {
  family: string;
  retryable: boolean;
}

// Families match the code itself or any sub-code (`AuthFailure.SignatureExpire`). FailedOperation is
// not retryable: it means the request was understood and refused for a state reason, so sending it
// again gives the same answer. LimitExceeded (quota) is refused until someone raises the quota.
const API_ERROR_FAMILIES: ReadonlyArray<readonly [family: string, retryable: boolean]> = [
  ['AuthFailure', false],
  ['MissingParameter', false],
  ['UnknownParameter', false],
  ['UnsupportedOperation', false],
  ['InvalidAction', false],
  ['UnauthorizedOperation', false],
  ['ResourceNotFound', false],
  ['FailedOperation', false],
  ['LimitExceeded', false],
  ['RequestLimitExceeded', true],
  ['InternalError', true],
  ['ResourceUnavailable', true],
  ['ResourceInsufficient', true],
];

/** Classifies an API-layer error code; unknown codes are not retryable. */
export function classifyApiErrorCode(code: string): ApiErrorClass {
  // InvalidParameter also covers InvalidParameterValue and its sub-codes.
  if (code.startsWith('InvalidParameter')) return { family: 'InvalidParameter', retryable: false };
  for (const [family, retryable] of API_ERROR_FAMILIES) {
    if (code === family || code.startsWith(`${family}.`)) return { family, retryable };
  }
  return { family: 'Unknown', retryable: false };
}

/**
 * Where a business code's meaning comes from: `seed`, the doc comments of the API models this
 * project is built on (../shared/seed/npp_models.d.ts); `assumed`, this project's own reading, which
 * the platform's documentation does not confirm.
 */
export type BusinessErrorSource = 'seed' | 'assumed';

export interface BusinessErrorInfo {
  code: string;
  meaning: string;
  retryable: boolean;
  source: BusinessErrorSource;
}

/**
 * NPP business result codes (`Response.ErrorCode`), keyed by name: the single source for the client,
 * the workflows and the simulator (docs/errors.md lists them with what the workflows do with each).
 * The API models document one code only, 107 (GetVirtualNumRequest.CityId); every other entry is an
 * ASSUMPTION, success as "0" included, marked `source: 'assumed'`. Verdicts are from the caller's
 * point of view: a code is retryable only when sending the very same request again may succeed.
 */
export const BUSINESS_ERROR_CODES = {
  // Assumed: the models name the field 错误码 but never say which value means success.
  Success: { code: '0', meaning: 'Success; not an error.', retryable: false, source: 'assumed' },
  // Assumed. Exhaustion may clear as bindings expire, but waiting inside an activity's retries would
  // hold the session hostage; failing lets the session end as bind-failed and the user try again.
  NoVirtualNumberAvailable: {
    code: '101',
    meaning: 'No virtual number available: the number pool is exhausted.',
    retryable: false,
    source: 'assumed',
  },
  VirtualNumberInUse: {
    code: '102',
    meaning: 'The virtual number given in AssignVirtualNum is already in use.',
    retryable: false,
    source: 'assumed',
  },
  // Assumed. The workflows read it as "the binding is already gone", so it must never match another code.
  BindingNotFound: {
    code: '103',
    meaning: 'Binding not found: the BindId does not exist.',
    retryable: false,
    source: 'assumed',
  },
  // Assumed. The workflows read it as "an earlier attempt of this request succeeded unseen".
  BizIdAlreadyUsed: {
    code: '104',
    meaning: 'The BizId is already used within this application.',
    retryable: false,
    source: 'assumed',
  },
  CallerNotAccredited: {
    code: '105',
    meaning: 'The caller is not in the AccreditList of the binding.',
    retryable: false,
    source: 'assumed',
  },
  InvalidPhoneNumber: {
    code: '106',
    meaning: 'Invalid phone number format (numbers must be 0086-prefixed).',
    retryable: false,
    source: 'assumed',
  },
  // Documented: GetVirtualNumRequest.CityId says a city without numbers either gets a number of
  // another city or, when the platform is configured so, the answer 107.
  CityHasNoNumbers: {
    code: '107',
    meaning: 'The city given in CityId has no numbers.',
    retryable: false,
    source: 'seed',
  },
  CallNotFound: {
    code: '108',
    meaning: 'Call not found: the CallId does not exist.',
    retryable: false,
    source: 'assumed',
  },
  CallNotCancellable: {
    code: '109',
    meaning: 'The call cannot be cancelled in its current state: CancelFlag forbids it.',
    retryable: false,
    source: 'assumed',
  },
  RateLimited: {
    code: '110',
    meaning: 'Rate limited: too many requests for this application.',
    retryable: true,
    source: 'assumed',
  },
  InternalPlatformError: { code: '111', meaning: 'Internal platform error.', retryable: true, source: 'assumed' },
} as const satisfies Record<string, BusinessErrorInfo>;

export type BusinessErrorName = keyof typeof BUSINESS_ERROR_CODES;

const BUSINESS_BY_CODE = new Map<string, BusinessErrorInfo & { name: BusinessErrorName }>(
  (Object.keys(BUSINESS_ERROR_CODES) as BusinessErrorName[]).map((name) => [
    BUSINESS_ERROR_CODES[name].code,
    { name, ...BUSINESS_ERROR_CODES[name] },
  ]),
);

/**
 * The table entry of a business result code, matched exactly (`0103` is not 103), or undefined for a
 * code this project does not know; the client treats such a code as not retryable.
 */
export function classifyBusinessErrorCode(code: string): (BusinessErrorInfo & { name: BusinessErrorName }) | undefined {
  return BUSINESS_BY_CODE.get(code);
}
