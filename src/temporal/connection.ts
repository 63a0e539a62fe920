// Where the worker, the app client, the webhook and the CLI find Temporal: @temporalio/envconfig
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS settings, TEMPORAL_PROFILE and the
// Temporal CLI's config file), with the local dev server as the default.
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
const DEFAULT_NAMESPACE = 'default';

export interface TemporalConnectConfig {
  connectionOptions: NativeConnectionOptions & { address: string };
  namespace: string;
}

export function loadTemporalConfig(env: Record<string, string | undefined> = process.env): TemporalConnectConfig {
  const defined = Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined);
  const loaded = loadClientConnectConfig({ overrideEnvVars: Object.fromEntries(defined) });
  return {
    connectionOptions: {
      ...loaded.connectionOptions,
      address: loaded.connectionOptions.address ?? DEFAULT_TEMPORAL_ADDRESS,
    },
    namespace: loaded.namespace ?? DEFAULT_NAMESPACE,
  };
}
