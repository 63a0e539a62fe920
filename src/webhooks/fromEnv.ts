// The webhook server as configured by the environment (WEBHOOK_*, Temporal via envconfig): used by
// its own entry point, by a worker with WEBHOOK_IN_WORKER=true and by the embedded default.
import { Client, Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Tracing } from '../telemetry/tracing.ts';
import { loadTemporalConfig } from '../temporal/connection.ts';
import { type AppDataConverter, dataConverterFromEnv } from '../temporal/dataConverter.ts';
import { loadIngressConfig, loadWebhookConfig, type WebhookConfig } from './config.ts';
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
  /**
   * The app's data converter and its codec: signals are encrypted like every payload, and the codec
   * server (CODEC_SERVER_TOKEN) decodes with it. From NPP_CODEC_KEYS / NPP_CODEC_KEY_FILE if not given.
   */
  converter?: AppDataConverter;
  /** The process's tracing, if on: signals then carry the callback request's trace. */
  tracing?: Tracing;
}

export async function startConfiguredWebhook(options: ConfiguredWebhookOptions): Promise<ConfiguredWebhook> {
  const env = options.env ?? process.env;
  const config = loadWebhookConfig(env, { allowGeneratedSecret: options.allowGeneratedSecret ?? false });
  const ingress = loadIngressConfig(env);
  const { dataConverter, codec } = options.converter ?? dataConverterFromEnv(env);
  const temporal = loadTemporalConfig(env);
  // Lazy: the server starts (and /readyz answers 503) while Temporal is still coming up.
  const connection = Connection.lazy(temporal.connectionOptions);
  const client = new Client({
    connection,
    namespace: temporal.namespace,
    dataConverter,
    ...(options.tracing ? { interceptors: options.tracing.clientInterceptors } : {}),
  });
  const server = await startWebhookServer({
    client,
    secrets: config.secrets,
    ...(config.sharedToken === undefined ? {} : { sharedToken: config.sharedToken }),
    logger: options.logger,
    port: config.port,
    host: config.host,
    limits: ingress.limits,
    ...(ingress.trustProxy === undefined ? {} : { trustProxy: ingress.trustProxy }),
    ...(ingress.codecServer ? { codecServer: { ...ingress.codecServer, codec } } : {}),
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
