// The signature of a notification: what the worker sends and what a receiver checks.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA256 of `<timestamp>.<body>` keyed with the shared secret. */
export function signNotification(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** How far a receiver accepts a signing time from its own clock, in seconds. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * Whether a received notification is genuine and fresh: its signature matches the raw body and its
 * timestamp is within SIGNATURE_TOLERANCE_SECONDS of `nowSeconds`. For receivers written in Node.
 */
export function verifyNotification(
  secret: string,
  headers: { signature?: string; timestamp?: string },
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(signNotification(secret, timestamp, body), 'hex');
  const given = Buffer.from(headers.signature ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
