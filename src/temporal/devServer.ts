import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NPP_SEARCH_ATTRIBUTES } from '../contract/searchAttributes.ts';
import { loadTemporalConfig } from './connection.ts';
import { type CliLog, defaultLog, resolveTemporalCli } from './temporalCli.ts';

/** A Temporal server the product, the tests or the benchmarks can talk to. */
export interface TemporalServer {
  /** host:port of the frontend gRPC API. */
  address: string;
  namespace: string;
  /** Temporal UI, when this process started the server with its UI. */
  uiUrl?: string;
  /** Whether this process owns the server (and `stop` shuts it down). */
  owned: boolean;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  /** SQLite file that keeps workflows across restarts; in memory when unset. */
  dbFilename?: string;
  /** Serve Temporal UI (on `uiPort`, else a free loopback port). */
  ui?: boolean;
  /** Frontend gRPC port; a free one when unset. */
  port?: number;
  uiPort?: number;
  /** Remote codec endpoint the UI decodes payloads with (a codec server URL). */
  uiCodecEndpoint?: string;
  log?: CliLog;
}

/** A free TCP port on loopback, chosen by the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * One partition per task queue instead of Temporal's default of four. One worker process on one
 * server polls every partition in turn otherwise, and tasks wait on partitions it is not polling;
 * production task queues with many workers keep more (docs/deployment.md).
 */
const ONE_PARTITION_ARGS = [
  '--dynamic-config-value',
  'matching.numTaskqueueReadPartitions=1',
  '--dynamic-config-value',
  'matching.numTaskqueueWritePartitions=1',
];

/**
 * Starts `temporal server start-dev` on free loopback ports with the project's search attributes,
 * and waits until it answers (the SDK connects before it returns).
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<TemporalServer> {
  const executable = resolveTemporalCli(process.env, options.log);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServerOnce(executable, options);
    } catch (error) {
      // The SDK gives the server a fixed 5 s to answer and kills it after; on a loaded machine a
      // healthy server can miss that, so it gets another start (the next one finds its files cached).
      if (attempt >= START_ATTEMPTS || !STARTUP_TIMEOUT.test(String((error as Error).message))) throw error;
      (options.log ?? defaultLog)(
        `dev server did not answer in time (attempt ${attempt} of ${START_ATTEMPTS}); starting it again`,
      );
    }
  }
}

const START_ATTEMPTS = 2;
const STARTUP_TIMEOUT = /did not start within/;

async function startDevServerOnce(
  executable: ReturnType<typeof resolveTemporalCli>,
  options: DevServerOptions,
): Promise<TemporalServer> {
  const uiPort = options.ui ? (options.uiPort ?? (await freePort())) : undefined;
  const httpPort = await freePort();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable,
      ip: '127.0.0.1',
      namespace: 'default',
      ...(options.port ? { port: options.port } : {}),
      ...(uiPort ? { ui: true, uiPort } : {}),
      ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
      searchAttributes: NPP_SEARCH_ATTRIBUTES,
      extraArgs: [
        '--http-port',
        String(httpPort),
        '--log-level',
        'error',
        ...ONE_PARTITION_ARGS,
        ...(options.uiCodecEndpoint ? ['--ui-codec-endpoint', options.uiCodecEndpoint] : []),
      ],
    },
  });
  return {
    address: env.address,
    namespace: 'default',
    ...(uiPort ? { uiUrl: `http://127.0.0.1:${uiPort}` } : {}),
    owned: true,
    stop: () => env.teardown(),
  };
}

/**
 * Registers the project's search attributes on an existing server. Registering is idempotent:
 * attributes that already exist with the same type are left alone.
 */
export async function registerSearchAttributes(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const { IndexedValueType } = proto.temporal.api.enums.v1;
  const indexedType = (type: string) =>
    type === 'KEYWORD_LIST'
      ? IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST
      : IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  // An attribute of the same name but another type would make every upsert fail: stop here instead.
  const clashing = NPP_SEARCH_ATTRIBUTES.filter(
    (key) => key.name in customAttributes && customAttributes[key.name] !== indexedType(key.type),
  );
  if (clashing.length > 0) {
    const names = clashing.map((key) => `${key.name} (wanted ${key.type})`).join(', ');
    throw new Error(`search attributes exist with another type in namespace ${namespace}: ${names}`);
  }
  const missing = NPP_SEARCH_ATTRIBUTES.filter((key) => !(key.name in customAttributes));
  if (missing.length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, indexedType(key.type)])),
    });
  } catch (error) {
    // Another process may have registered them between our list and add.
    if (!/already exists/i.test(String((error as Error).message))) throw error;
  }
}

/**
 * The server the environment points at (TEMPORAL_ADDRESS and the rest of Temporal's envconfig:
 * TLS, API key, profile), with the project's search attributes registered there.
 */
export async function attachToTemporal(env: Record<string, string | undefined> = process.env): Promise<TemporalServer> {
  const { connectionOptions, namespace } = loadTemporalConfig(env);
  const connection = await Connection.connect(connectionOptions);
  try {
    await registerSearchAttributes(connection, namespace);
  } finally {
    await connection.close();
  }
  return { address: connectionOptions.address, namespace, owned: false, stop: async () => {} };
}

/** Uses TEMPORAL_ADDRESS when it is set (registering the attributes there), else starts a dev server. */
export async function connectOrStartTemporal(options: DevServerOptions = {}): Promise<TemporalServer> {
  return process.env.TEMPORAL_ADDRESS ? attachToTemporal() : startDevServer(options);
}
