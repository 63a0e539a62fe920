// The webhook server alone: `node src/webhooks/main.ts`. Temporal from TEMPORAL_ADDRESS /
// TEMPORAL_NAMESPACE (or a Temporal CLI config profile), the rest from WEBHOOK_* (see config.ts).
import { pino } from 'pino';
import { startTracing } from '../telemetry/tracing.ts';
import { startConfiguredWebhook } from './fromEnv.ts';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });
// Standalone, a generated secret would match no URL the workers build: it must be configured.
// A configuration error is one line naming the variable, not a stack trace.
const tracing = startTracing({ serviceName: 'npp-temporal-webhook' });
const webhook = await startConfiguredWebhook({ logger, ...(tracing ? { tracing } : {}) }).catch((error: Error) => {
  console.error(`webhook server not started: ${error.message}`);
  process.exit(1);
});
logger.info({ url: webhook.url, publicUrl: webhook.config.publicUrl }, 'webhook server listening');

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'webhook server stopping');
  await webhook.close();
  await tracing?.shutdown();
  logger.info('webhook server stopped');
};
process.once('SIGINT', (signal) => void stop(signal));
process.once('SIGTERM', (signal) => void stop(signal));
