import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Pool } from 'undici';
import { callbackUrl } from '../src/npp/callbacks/urls.ts';
import { createWebhookServer } from '../src/webhooks/server.ts';
import { type BoundSession, startFloodedSessions } from './boundSessions.ts';
import type { Benchmark } from './context.ts';
import { compare, type Variant } from './harness.ts';
import type { TemporalStack } from './temporalStack.ts';

// Platform callbacks through the webhook server (real HTTP on loopback) into running sessions on a
// real Temporal server. A per-session URL names its workflow; a console-default URL does not, so the
// server first finds the workflow by NppBindId in visibility: that lookup is what the last row costs.

const SESSIONS = 32;
const CALLS_PER_SESSION = 4;
const IN_FLIGHT = 8;
const SECRET = 'bench-webhook-secret-0123456789';
const SHARED_TOKEN = 'bench-shared-token-0123456789';
const SRC = '008613500000001';
const DST = '008613500000002';

/** Waits until visibility finds every session by its binding, as console-default routing needs. */
async function awaitIndexed(stack: TemporalStack, sessions: readonly BoundSession[]): Promise<void> {
  const query = sessions.map(({ bindId }) => `NppBindId = '${bindId}'`).join(' OR ');
  for (let attempt = 0; attempt < 100; attempt++) {
    const { count } = await stack.client.workflow.count(query);
    if (count === sessions.length) return;
    await sleep(100);
  }
  throw new Error('visibility did not index the sessions within 10 s');
}

type Encoding = 'json' | 'form';

export const webhookBenchmark: Benchmark = {
  name: 'webhook',
  description: 'callbacks per second through the webhook server into running sessions (real Temporal)',
  async run(context) {
    const stack = await context.temporal();
    const sessions = await startFloodedSessions(stack, SESSIONS, 'webhook', '008613');
    const app = createWebhookServer({
      client: stack.client,
      secrets: { current: SECRET },
      sharedToken: SHARED_TOKEN,
      logger: pino({ level: 'silent' }),
      // The default per-IP limit exists to stop floods; here every request comes from one address.
      limits: { rateLimitMax: 10_000_000 },
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const http = new Pool(base, { connections: IN_FLIGHT });
    let sent = 0;

    const post = async (route: 'session' | 'console', encoding: Encoding) => {
      sent++;
      const session = sessions[sent % sessions.length] as BoundSession;
      // A new timestamp makes a new event (the webhook derives event ids from content) on a few calls.
      const fields = {
        callId: `bench-call-${session.bindId}-${sent % CALLS_PER_SESSION}`,
        bindId: session.bindId,
        src: SRC,
        dst: DST,
        callStatus: '1024',
        timestamp: String(1_700_000_000 + sent),
      };
      const url = new URL(
        route === 'session'
          ? callbackUrl({ publicUrl: base, secret: SECRET }, 'status', session.workflowId)
          : `${base}/npp/callbacks/status?token=${SHARED_TOKEN}`,
      );
      const response = await http.request({
        method: 'POST',
        path: url.pathname + url.search,
        headers: { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded' },
        body: encoding === 'json' ? JSON.stringify(fields) : new URLSearchParams(fields).toString(),
      });
      const answer = (await response.body.json()) as { status?: string };
      if (response.statusCode !== 200 || answer.status !== 'accepted') {
        throw new Error(`callback answered ${response.statusCode} ${JSON.stringify(answer)}`);
      }
    };
    const batch = (name: string, route: 'session' | 'console', encoding: Encoding): Variant => ({
      name,
      opsPerRun: IN_FLIGHT,
      run: async () => {
        await Promise.all(Array.from({ length: IN_FLIGHT }, () => post(route, encoding)));
      },
    });

    try {
      await awaitIndexed(stack, sessions);
      return [
        await compare(
          {
            title: `status callbacks, ${IN_FLIGHT} in flight over ${SESSIONS} sessions`,
            variants: [
              batch('per-session URL, JSON', 'session', 'json'),
              batch('per-session URL, form-encoded', 'session', 'form'),
              batch('console-default URL (visibility lookup), JSON', 'console', 'json'),
            ],
            note: 'One op: one callback answered 200 accepted, i.e. Temporal accepted the signal. Latency is per batch.',
          },
          context.measure({ rounds: 5, timeMs: 1_200 }),
        ),
      ];
    } finally {
      await http.close();
      await app.close();
      await Promise.all(
        sessions.map(async ({ sessionKey, workflowId }) => {
          await stack.sessions.closeSession(sessionKey);
          await stack.client.workflow.getHandle(workflowId).result();
        }),
      );
    }
  },
};
