import { type Logger, pino } from 'pino';
import { maskPhonesInText } from '../phone.ts';

// What the webhook writes to logs: never a token (they live in query strings), never a secret,
// never a full phone number (they live in payloads, and may surface in error messages).

/** The request path without its query string (which carries the token), phone-like digits masked. */
export function safePath(url: string): string {
  return maskPhonesInText(url.split('?', 1)[0] ?? '');
}

/** pino serializers that keep tokens and full phone numbers out of request and error logs. */
export const maskingSerializers = { req: serializeRequest, err: serializeError };

function serializeRequest(request: { method?: string; url?: string }) {
  return { method: request.method, path: safePath(request.url ?? '') };
}

function serializeError(error: Error) {
  const serialized = pino.stdSerializers.err(error);
  return {
    ...serialized,
    message: maskPhonesInText(serialized.message ?? ''),
    stack: maskPhonesInText(serialized.stack ?? ''),
  };
}

/** A child of `base` (or of a new stdout logger) with the webhook's serializers and redaction. */
export function createWebhookLogger(base?: Logger): Logger {
  const root = base ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });
  return root.child(
    { component: 'webhook' },
    {
      serializers: maskingSerializers,
      redact: {
        paths: ['token', 'secret', 'secrets', 'sharedToken', '*.token', '*.secret', '*.secrets', 'query', '*.query'],
        censor: '[redacted]',
      },
    },
  );
}
