import { timingSafeEqual } from 'node:crypto';
import { parseTc3Authorization, TC3_SIGNED_HEADERS, tc3Signature } from '../npp/tc3.ts';
import { ApiFailure } from './failures.ts';

/** The platform accepts request timestamps within this many seconds of its clock, either way. */
export const SIGNATURE_WINDOW_SECONDS = 300;

export interface SignedRequest {
  authorization: string | undefined;
  timestamp: string | undefined;
  /** The Host header as received, possibly with a port. */
  host: string | undefined;
  contentType: string | undefined;
  body: Buffer;
}

/**
 * TC3-HMAC-SHA256 verification. The service is the one named in the credential scope (the official
 * SDK derives it from the endpoint's first DNS label, so `127.0.0.1:port` signs as service "127"),
 * and the host is compared without its port because the SDK signs `URL.hostname`. Messages never
 * repeat the Authorization header or any key material.
 */
export function verifyTc3(req: SignedRequest, secretId: string, secretKey: string, nowSeconds: number): void {
  if (req.authorization === undefined || req.authorization === '') {
    throw new ApiFailure('AuthFailure.InvalidAuthorization', 'The Authorization header is missing.');
  }
  const credential = parseTc3Authorization(req.authorization);
  if (!credential) {
    throw new ApiFailure(
      'AuthFailure.InvalidAuthorization',
      'The Authorization header is not a TC3-HMAC-SHA256 header.',
    );
  }
  const timestamp = Number(req.timestamp);
  if (!Number.isSafeInteger(timestamp)) {
    throw new ApiFailure('InvalidParameterValue', 'X-TC-Timestamp must be unix seconds.');
  }
  if (Math.abs(nowSeconds - timestamp) > SIGNATURE_WINDOW_SECONDS) {
    throw new ApiFailure(
      'AuthFailure.SignatureExpire',
      'The request timestamp is more than 5 minutes from the server time.',
    );
  }
  if (credential.secretId !== secretId) {
    throw new ApiFailure('AuthFailure.SecretIdNotFound', 'The SecretId does not exist.');
  }
  if (credential.signedHeaders !== TC3_SIGNED_HEADERS) {
    throw new ApiFailure('AuthFailure.SignatureFailure', `Only SignedHeaders=${TC3_SIGNED_HEADERS} is supported.`);
  }
  const expected = tc3Signature({
    secretId,
    secretKey,
    service: credential.service,
    host: (req.host ?? '').replace(/:\d+$/, ''),
    timestamp,
    payload: req.body,
    contentType: req.contentType ?? '',
  });
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(credential.signature))) {
    throw new ApiFailure('AuthFailure.SignatureFailure', 'The request signature does not match.');
  }
}
