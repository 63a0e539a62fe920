// The webhook server alone: `node src/webhooks/main.ts`. Temporal from TEMPORAL_ADDRESS /
// TEMPORAL_NAMESPACE (or a Temporal CLI config profile), the rest from WEBHOOK_* (see config.ts).
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { pino } from 'pino';
import { loadWebhookConfig } from './config.ts';
import { createWebhookLogger } from './logging.ts';
import { startWebhookServer } from './server.ts';

// Standalone, a generated secret would match no URL the workers build: it must be configured.
const config = loadWebhookConfig(process.env, { allowGeneratedSecret: false });
const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });
const temporal = loadClientConnectConfig();
// Lazy: the server starts (and /readyz says 503) while Temporal is still coming up.
const connection = Connection.lazy({
  ...temporal.connectionOptions,
  address: temporal.connectionOptions.address ?? '127.0.0.1:7233',
});
const client = new Client({ connection, namespace: temporal.namespace ?? 'default' });

const server = await startWebhookServer({
  client,
  secrets: config.secrets,
  ...(config.sharedToken === undefined ? {} : { sharedToken: config.sharedToken }),
  logger,
  port: config.port,
  host: config.host,
});
createWebhookLogger(logger).info({ url: server.url, publicUrl: config.publicUrl }, 'webhook server listening');

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'webhook server stopping');
  await server.close();
  await connection.close();
  logger.info('webhook server stopped');
};
process.once('SIGINT', (signal) => void stop(signal));
process.once('SIGTERM', (signal) => void stop(signal));
