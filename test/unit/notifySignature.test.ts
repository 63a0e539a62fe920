// The notification signature a receiver checks: the body as sent, a fresh timestamp, the shared secret.
import { describe, expect, it } from 'vitest';
import { SIGNATURE_TOLERANCE_SECONDS, signNotification, verifyNotification } from '../../src/notify/signature.ts';

const NOW = 1_800_000_000;
const BODY = '{"id":"npp-session-k:1","type":"bound"}';
const signed = (secret = 's3cret', timestamp = NOW, body = BODY) => ({
  signature: signNotification(secret, timestamp, body),
  timestamp: String(timestamp),
});

describe('verifyNotification', () => {
  it('accepts the body as signed, within the tolerance', () => {
    expect(verifyNotification('s3cret', signed(), BODY, NOW)).toBe(true);
    expect(verifyNotification('s3cret', signed(), BODY, NOW + SIGNATURE_TOLERANCE_SECONDS)).toBe(true);
  });

  it('refuses another secret, a changed body, an old or missing timestamp, a malformed signature', () => {
    expect(verifyNotification('other', signed(), BODY, NOW)).toBe(false);
    expect(verifyNotification('s3cret', signed(), `${BODY} `, NOW)).toBe(false);
    expect(verifyNotification('s3cret', signed(), BODY, NOW + SIGNATURE_TOLERANCE_SECONDS + 1)).toBe(false);
    expect(verifyNotification('s3cret', { signature: signed().signature }, BODY, NOW)).toBe(false);
    expect(verifyNotification('s3cret', { ...signed(), signature: 'zz' }, BODY, NOW)).toBe(false);
  });
});
