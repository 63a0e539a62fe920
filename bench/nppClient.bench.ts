import type { NppClient } from '../src/npp/client.ts';
import { NPP_API_VERSION, type NppAction } from '../src/npp/models.ts';
import { tc3Authorization } from '../src/npp/tc3.ts';
import type { Benchmark } from './context.ts';
import { compare, type Variant } from './harness.ts';
import { SIM_BIZ_APP_ID, SIM_SECRET_ID, SIM_SECRET_KEY } from './simulator.ts';

// NPP requests over loopback to the simulator (in its own process), IN_FLIGHT at a time as a busy
// worker's activities would send them: our NppClient on its undici Pool (16 or 1 keep-alive
// connections) against Node's global fetch sending the same signed requests.

const IN_FLIGHT = 16;

type Call = (action: NppAction, request: Record<string, unknown>) => Promise<Record<string, unknown>>;

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
    const { Response: answer } = (await response.json()) as { Response: Record<string, unknown> & { Error?: unknown } };
    if (answer.Error || (answer.ErrorCode !== undefined && answer.ErrorCode !== '0')) {
      throw new Error(`${action} failed: ${JSON.stringify(answer.Error ?? answer.ErrorCode)}`);
    }
    return answer;
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

const describeDisplayList = (call: Call) => () => call('DescribeCallerDisplayList', {});
const bindThenUnbind = (call: Call) => async () => {
  const { BindId } = await call('GetVirtualNum', bindRequest());
  await call('DelVirtualNum', { BindId });
};

function batch(name: string, one: () => Promise<unknown>): Variant {
  return {
    name,
    opsPerRun: IN_FLIGHT,
    run: async () => {
      await Promise.all(Array.from({ length: IN_FLIGHT }, one));
    },
  };
}

export const nppClientBenchmark: Benchmark = {
  name: 'client',
  description: `NPP client throughput against the simulator over loopback, ${IN_FLIGHT} requests in flight`,
  async run(context) {
    const sim = await context.simulator();
    const pooled = sim.client({ connections: IN_FLIGHT });
    const single = sim.client({ connections: 1 });
    const viaFetch = fetchCaller(sim.url);
    const measure = context.measure({ rounds: 3, timeMs: 500 });
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
        const variants = [
          batch('global fetch (default dispatcher)', op(viaFetch)),
          batch('NppClient, Pool of 1 connection', op(clientCaller(single))),
          batch(`NppClient, Pool of ${IN_FLIGHT} connections`, op(clientCaller(pooled))),
        ];
        results.push(await compare({ title, variants, note }, measure));
      }
      return results;
    } finally {
      await pooled.close();
      await single.close();
    }
  },
};
