// The webhook server as configured by the environment (WEBHOOK_*, Temporal via envconfig): used by
// its own entry point, by a worker with WEBHOOK_IN_WORKER=true and by the embedded default.
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Logger } from 'pino';
import { loadTemporalConfig } from '../temporal/connection.ts';
import { loadWebhookConfig, type WebhookConfig } from './config.ts';
import { startWebhookServer } from './server.ts';

export interface ConfiguredWebhook {
  config: WebhookConfig;
  /** http://host:port it listens on. */
  url: string;
  close(): Promise<void>;
}

export interface ConfiguredWebhookOptions {
  logger: Logger;
  env?: Record<string, string | undefined>;
  /** Only the embedded default may invent a secret: it also builds the callback URLs. */
  allowGeneratedSecret?: boolean;
  /** The app's data converter (payload encryption): signals must be encoded like everything else. */
  dataConverter?: DataConverter;
}

export async function startConfiguredWebhook(options: ConfiguredWebhookOptions): Promise<ConfiguredWebhook> {
  const env = options.env ?? process.env;
  const config = loadWebhookConfig(env, { allowGeneratedSecret: options.allowGeneratedSecret ?? false });
  const temporal = loadTemporalConfig(env);
  // Lazy: the server starts (and /readyz answers 503) while Temporal is still coming up.
  const connection = Connection.lazy(temporal.connectionOptions);
  const client = new Client({
    connection,
    namespace: temporal.namespace,
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
  });
  const server = await startWebhookServer({
    client,
    secrets: config.secrets,
    ...(config.sharedToken === undefined ? {} : { sharedToken: config.sharedToken }),
    logger: options.logger,
    port: config.port,
    host: config.host,
  });
  return {
    config,
    url: server.url,
    close: async () => {
      await server.close();
      await connection.close();
    },
  };
}
