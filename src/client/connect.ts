// An app client from the environment: Temporal via envconfig, the app's data converter (payload
// encryption keys from NPP_CODEC_KEYS / NPP_CODEC_KEY_FILE), the task queue from NPP_TASK_QUEUE.
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { tracingRequested } from '../telemetry/tracing.ts';
import { loadTemporalConfig } from '../temporal/connection.ts';
import { dataConverterFromEnv } from '../temporal/dataConverter.ts';
import { CallBackClient } from './callBacks.ts';
import { SessionClient } from './sessions.ts';

export interface ConnectedApp {
  client: Client;
  connection: Connection;
  sessions: SessionClient;
  callBacks: CallBackClient;
  taskQueue: string;
  close(): Promise<void>;
}

export async function connectApp(env: Record<string, string | undefined> = process.env): Promise<ConnectedApp> {
  const temporal = loadTemporalConfig(env);
  const { dataConverter } = dataConverterFromEnv(env);
  const connection = await Connection.connect(temporal.connectionOptions).catch((error: Error) => {
    throw new Error(`cannot reach Temporal at ${temporal.connectionOptions.address}: ${error.message}`);
  });
  // The app's own OpenTelemetry setup (or ours, in the CLI) records the spans; the interceptor
  // carries the caller's trace into the workflow.
  const client = new Client({
    connection,
    namespace: temporal.namespace,
    dataConverter,
    ...(tracingRequested(env) ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {}),
  });
  const taskQueue = env.NPP_TASK_QUEUE?.trim() || 'npp';
  return {
    client,
    connection,
    sessions: new SessionClient({ client, taskQueue }),
    callBacks: new CallBackClient({ client, taskQueue }),
    taskQueue,
    close: () => connection.close(),
  };
}
