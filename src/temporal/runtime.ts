// The one Temporal Runtime of a worker process: its log lines go through pino with phone numbers
// masked, and its metrics (workflow/activity task latencies, slots, polls) go to Prometheus.
import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import type { Logger as PinoLogger } from 'pino';
import { maskPhonesInText } from '../phone.ts';

const PINO_LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** Temporal's Logger interface on top of pino. Messages and metadata are masked: workflow and
 * activity failures may quote their arguments. */
export function temporalLogger(pino: PinoLogger): Logger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const masked = meta === undefined ? undefined : JSON.parse(maskPhonesInText(safeJson(meta)));
    pino[PINO_LEVELS[level]](masked ?? {}, maskPhonesInText(message));
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

// Metadata can hold errors and bigints: keep what JSON can say.
function safeJson(meta: LogMetadata): string {
  return JSON.stringify(meta, (_key, value) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
    return value;
  });
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
