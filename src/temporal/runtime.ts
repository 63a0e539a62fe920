// The one Temporal Runtime of a worker process: its log lines go through pino with phone numbers
// masked, and its metrics (workflow/activity task latencies, slots, polls) go to Prometheus.
import type { Logger } from '@temporalio/common';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Logger as PinoLogger } from 'pino';
import { maskPhonesInText } from '../phone.ts';

const PINO_LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** Temporal's Logger on top of pino. Messages and metadata are redacted: workflow and activity
 * failures may quote their arguments, and activations carry payloads. */
function temporalLogger(pino: PinoLogger): Logger {
  return new DefaultLogger('TRACE', ({ level, message, meta }) => {
    pino[PINO_LEVELS[level]]((meta && (redactForLog(meta) as object)) ?? {}, maskPhonesInText(message));
  });
}

/**
 * A copy of `value` fit for a log line: phone numbers in strings masked, payload bodies (encoded
 * arguments, possibly numbers in base64) replaced by a marker, errors reduced to masked text.
 */
function redactForLog(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPhonesInText(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[nested]';
  if (value instanceof Error) {
    return { name: value.name, message: maskPhonesInText(value.message), stack: maskPhonesInText(value.stack ?? '') };
  }
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (Array.isArray(value)) return value.map((item) => redactForLog(item, depth + 1));
  if ('metadata' in value && 'data' in value) return '[payload]';
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactForLog(item, depth + 1)]));
}

export interface RuntimeSettings {
  logger: PinoLogger;
  /** host:port to serve Prometheus metrics on, e.g. 0.0.0.0:9464; off when unset. */
  metricsBindAddress?: string;
}

export function installRuntime({ logger, metricsBindAddress }: RuntimeSettings): Runtime {
  return Runtime.install({
    logger: temporalLogger(logger),
    telemetryOptions: {
      logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
      ...(metricsBindAddress ? { metrics: { prometheus: { bindAddress: metricsBindAddress } } } : {}),
    },
  });
}
