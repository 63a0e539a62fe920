import { BUSINESS_ERROR_CODES, type BusinessErrorName } from '../npp/errors.ts';

/** A refusal by the Tencent Cloud API framework, answered as `Response.Error`. */
export class ApiFailure extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** A refusal by NPP itself, answered with HTTP 200 as `ErrorCode` ≠ "0" and `Msg`. */
export class BusinessFailure extends Error {
  readonly code: string;

  constructor(name: BusinessErrorName, detail?: string) {
    super(detail ?? BUSINESS_ERROR_CODES[name].meaning);
    this.code = BUSINESS_ERROR_CODES[name].code;
  }
}

/** A refusal of an admin (`/_sim`) request, answered with this HTTP status and `{ error }`. */
export class AdminFailure extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}
