import { createRequire } from 'node:module';
import type * as SdkClientModule from 'tencentcloud-sdk-nodejs/tencentcloud/services/npp/v20190823/npp_client.js';
import type { NppClient } from '../src/npp/client.ts';
import { NPP_API_VERSION, type NppAction } from '../src/npp/models.ts';
import { tc3Authorization } from '../src/npp/tc3.ts';
import type { Benchmark } from './context.ts';
import { compareLoad, type LoadVariant } from './load.ts';
import { SIM_BIZ_APP_ID, SIM_SECRET_ID, SIM_SECRET_KEY, type SimulatorProcess } from './simulator.ts';

// Whole NPP requests (sign, HTTP, parse the answer) against the simulator in its own process, 64 in
// flight as a busy worker's activities would send them: the official tencentcloud-sdk-nodejs npp
// client (the baseline), the same signed requests through Node's global fetch, and our NppClient on
// its undici Pool. CPU is this process's only: what each client costs its host.

const IN_FLIGHT = 64;

const require = createRequire(import.meta.url);
const { Client: OfficialNppClient } =
  require('tencentcloud-sdk-nodejs/tencentcloud/services/npp/v20190823/npp_client.js') as typeof SdkClientModule;

type Call = (action: NppAction, request: Record<string, unknown>) => Promise<Record<string, unknown>>;

function answerOf(action: string, answer: Record<string, unknown> & { Error?: unknown }): Record<string, unknown> {
  if (answer.Error || (answer.ErrorCode !== undefined && answer.ErrorCode !== '0')) {
    throw new Error(`${action} failed: ${JSON.stringify(answer.Error ?? answer.ErrorCode)}`);
  }
  return answer;
}

/** The official SDK's client: its own signing, HTTP agent and JSON parsing. */
function officialCaller(sim: SimulatorProcess): Call {
  const client = new OfficialNppClient({
    credential: { secretId: SIM_SECRET_ID, secretKey: SIM_SECRET_KEY },
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: sim.endpoint, protocol: 'http://' } },
  });
  return async (action, request) => {
    const method = client[action as keyof typeof client] as unknown as (
      request: Record<string, unknown>,
    ) => Promise<Record<string, unknown>>;
    return answerOf(action, await method.call(client, { ...request, BizAppId: SIM_BIZ_APP_ID }));
  };
}

/** The same wire format as NppClient (JSON body, TC3 header), sent with global fetch. */
function fetchCaller(endpoint: string): Call {
  const url = new URL(endpoint);
  return async (action, request) => {
    const body = JSON.stringify({ ...request, BizAppId: SIM_BIZ_APP_ID });
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-TC-Action': action,
        'X-TC-Version': NPP_API_VERSION,
        'X-TC-Timestamp': String(timestamp),
        Authorization: tc3Authorization({
          secretId: SIM_SECRET_ID,
          secretKey: SIM_SECRET_KEY,
          service: url.hostname.split('.')[0] ?? '',
          host: url.hostname,
          timestamp,
          payload: body,
          contentType: 'application/json',
        }),
      },
      body,
    });
    const { Response: answer } = (await response.json()) as { Response: Record<string, unknown> };
    return answerOf(action, answer);
  };
}

const clientCaller =
  (client: NppClient): Call =>
  (action, request) =>
    client.call(action, request as never) as Promise<Record<string, unknown>>;

let pairs = 0;
/** A fresh A/B pair (no two concurrent AXB bindings share one) and a unique BizId. */
function bindRequest(): Record<string, unknown> {
  pairs++;
  const n = String(pairs).padStart(8, '0');
  return { Src: `0086138${n}`, Dst: `0086139${n}`, BizId: `bench${n}` };
}

const describeDisplayList = (call: Call) => async () => {
  await call('DescribeCallerDisplayList', {});
};
const bindThenUnbind = (call: Call) => async () => {
  const { BindId } = await call('GetVirtualNum', bindRequest());
  await call('DelVirtualNum', { BindId });
};

export const nppClientBenchmark: Benchmark = {
  name: 'client',
  description: `whole NPP requests (sign + HTTP + parse) against the simulator in a child process, ${IN_FLIGHT} in flight`,
  async run(context) {
    const sim = await context.simulator();
    const ours = sim.client({ connections: 16 });
    const callers: [string, Call][] = [
      ['official tencentcloud-sdk-nodejs client', officialCaller(sim)],
      ['global fetch, our signer', fetchCaller(sim.url)],
      ['NppClient (undici Pool, 16 connections)', clientCaller(ours)],
    ];
    const options = context.smoke
      ? { rounds: 1, inFlight: 4, durationMs: 50, maxOps: 8, warmupOps: 0 }
      : { rounds: 3, inFlight: IN_FLIGHT, durationMs: 2_000, maxOps: 50_000, warmupOps: 2 * IN_FLIGHT };
    try {
      const workloads = [
        { title: 'DescribeCallerDisplayList', op: describeDisplayList, note: 'One op: one request.' },
        {
          title: 'GetVirtualNum + DelVirtualNum',
          op: bindThenUnbind,
          note: 'One op: bind, then unbind (two requests).',
        },
      ];
      const results = [];
      for (const { title, op, note } of workloads) {
        const variants: LoadVariant[] = callers.map(([name, call]) => ({ name, op: op(call) }));
        results.push(
          await compareLoad(
            `${title}, ${options.inFlight} in flight`,
            variants,
            options,
            `${note} Latency per op; CPU is this process's (user + system) per op, the simulator's not counted.`,
          ),
        );
      }
      return results;
    } finally {
      await ours.close();
    }
  },
};
