import { createHmac, timingSafeEqual } from 'node:crypto';

// The one place that defines what a per-session callback URL looks like. The bind and create
// activities build them; the webhook server verifies them. No secret ever reaches workflow code.
//
//   <WEBHOOK_PUBLIC_URL>/npp/callbacks/<kind>/<url-encoded workflow id>?token=<token>
//
// token = base64url(HMAC-SHA256(WEBHOOK_SECRET, "npp-callback:" + workflowId)): unguessable without
// the secret, bound to one workflow, and stable, so the platform's retries carry a valid token.

export const CALLBACK_KINDS = ['status', 'hangup', 'record', 'keypress'] as const;
export type CallbackKind = (typeof CALLBACK_KINDS)[number];

export const CALLBACK_PATH_PREFIX = '/npp/callbacks';

export interface CallbackUrlConfig {
  /** Base URL the platform can reach, e.g. https://hooks.example.com. */
  publicUrl: string;
  /** Current WEBHOOK_SECRET. */
  secret: string;
}

export function callbackToken(secret: string, workflowId: string): string {
  return createHmac('sha256', secret).update(`npp-callback:${workflowId}`).digest('base64url');
}

export function callbackUrl(config: CallbackUrlConfig, kind: CallbackKind, workflowId: string): string {
  const base = config.publicUrl.replace(/\/+$/, '');
  const token = callbackToken(config.secret, workflowId);
  return `${base}${CALLBACK_PATH_PREFIX}/${kind}/${encodeURIComponent(workflowId)}?token=${token}`;
}

/** The URL fields of GetVirtualNum / CreateCallBack for one workflow. */
export function sessionCallbackUrls(config: CallbackUrlConfig, workflowId: string) {
  return {
    StatusUrl: callbackUrl(config, 'status', workflowId),
    HangupUrl: callbackUrl(config, 'hangup', workflowId),
    RecordUrl: callbackUrl(config, 'record', workflowId),
    KeyPressUrl: callbackUrl(config, 'keypress', workflowId),
  };
}

/**
 * Whether `token` is valid for `workflowId` under any of the secrets (current first, then the
 * previous one during a rotation). Compares in constant time.
 */
export function verifyCallbackToken(secrets: readonly string[], workflowId: string, token: string): boolean {
  const given = Buffer.from(token);
  let valid = false;
  for (const secret of secrets) {
    const expected = Buffer.from(callbackToken(secret, workflowId));
    // Check every secret: the time taken does not tell which one matched.
    if (expected.length === given.length && timingSafeEqual(expected, given)) valid = true;
  }
  return valid;
}
