import type { Writable } from 'node:stream';
import Fastify from 'fastify';
import type { CallBackPhoneCode } from '../npp/models.ts';
import { maskingSerializers } from '../webhooks/logging.ts';
import { type ActionContext, DEFAULT_CDR_PAGE_SIZE } from './actions.ts';
import { adminPlugin } from './admin.ts';
import { apiPlugin } from './api.ts';
import { DEFAULT_DELIVERY, Delivery, type DeliveryOptions } from './delivery.ts';
import { Faults } from './faults.ts';
import { type CallbackUrls, DEFAULT_DISPLAY_LIST, type PoolNumber, poolNumbers, SimState } from './model.ts';

export interface SimulatorOptions {
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** The one credential the simulated account has. */
  secretId: string;
  secretKey: string;
  /** When set, the only BizAppId accepted; otherwise any. */
  bizAppId?: string;
  /**
   * The virtual numbers, or how many default ones (008617000000001…); default 20. A number given
   * without its `cityId` takes one by position: 0755, 010, 0755, … (DEFAULT_CITY_IDS).
   */
  pool?: readonly (string | PoolNumber)[] | number;
  /** DescribeCallerDisplayList's CodeList and the display numbers CreateCallBack hands out. */
  callerDisplayList?: readonly CallBackPhoneCode[];
  /** Callback URLs used when a binding or call gave none (the platform's configured defaults). */
  callbackUrls?: CallbackUrls;
  delivery?: Partial<DeliveryOptions>;
  /** Base of recording URLs when the webhook reaches the simulator by another address; default `url`. */
  publicUrl?: string;
  /** Clock in unix milliseconds (signature window, expiry, CDR times); default Date.now. */
  now?: () => number;
  /** CDRs per Get400Cdr / DescribeCallBackCdr page (their `Offset`); default 100. */
  cdrPageSize?: number;
  /** How long CDRs stay listed, from the call's start, in seconds; default 30 days (an assumption). */
  cdrRetentionSeconds?: number;
  /** pino level of the server log; default "silent". */
  logLevel?: string;
  /** Where the log goes; default stdout. */
  logStream?: Writable;
}

export interface Simulator {
  /** `http://host:port`, the API at `/` and the admin routes at `/_sim/…`. */
  url: string;
  /** `host:port`, for the official SDK's httpProfile.endpoint (with protocol "http://"). */
  endpoint: string;
  port: number;
  /** Resolves when every queued callback is delivered or given up. */
  idle(): Promise<void>;
  /** Forgets bindings, calls, records, faults, the delivery log and delivery options. */
  reset(): void;
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? Date.now;
  const state = new SimState(
    poolNumbers(options.pool),
    options.callerDisplayList ?? DEFAULT_DISPLAY_LIST,
    now,
    options.cdrRetentionSeconds,
  );
  const delivery = new Delivery({ ...DEFAULT_DELIVERY, ...options.delivery });
  const faults = new Faults();
  let base = '';
  const ctx: ActionContext = {
    state,
    delivery,
    now,
    recordingUrl: (callId) => `${base}/_sim/recordings/${callId}.wav`,
    defaults: options.callbackUrls ?? {},
    cdrPageSize: options.cdrPageSize ?? DEFAULT_CDR_PAGE_SIZE,
  };
  if (options.bizAppId !== undefined) ctx.bizAppId = options.bizAppId;
  const reset = (): void => {
    state.reset();
    faults.clear();
    delivery.reset(true);
  };

  const level = options.logLevel ?? 'silent';
  // Request lines and errors may carry phone numbers: the same masking as the webhook's logs.
  const logger = {
    level,
    serializers: maskingSerializers,
    ...(options.logStream ? { stream: options.logStream } : {}),
  };
  // Closing drops every connection: a request held by a latency fault must not keep close() waiting
  // for the keep-alive timeout (72 s).
  const app = Fastify({ logger: level === 'silent' ? false : logger, forceCloseConnections: true });
  await app.register(apiPlugin, { ctx, faults, secretId: options.secretId, secretKey: options.secretKey });
  await app.register(adminPlugin, { ctx, faults, delivery, reset });
  await app.listen({ host, port: options.port ?? 0 });

  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
  // A wildcard listen address is not something to dial; loopback is.
  const dialHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const endpoint = `${dialHost}:${port}`;
  const url = `http://${endpoint}`;
  base = options.publicUrl?.replace(/\/$/, '') ?? url;

  return {
    url,
    endpoint,
    port,
    idle: () => delivery.idle(),
    reset,
    close: async () => {
      delivery.reset(false);
      await app.close();
    },
  };
}
