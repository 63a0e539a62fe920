import { Pool } from 'undici';
import { parseCallback, signalParsed } from '../src/npp/callbacks/events.ts';
import { callbackUrl } from '../src/npp/callbacks/urls.ts';
import { type BoundSession, startFloodedSessions } from './boundSessions.ts';
import type { Benchmark } from './context.ts';
import { compareLoad, type LoadVariant } from './load.ts';

// Callback ingress into running sessions on a real Temporal server: the floor is the app's client
// signalling the parsed event itself (handle.signal, as the webhook does once it has parsed and
// authorised a request), against the same events posted over HTTP to the stack's webhook server on
// their per-session URLs. Every answer that is not 2xx (or signal that throws) is counted with its
// reason: below the server's capacity there must be none.

const SESSIONS = 32;
const CALLS_PER_SESSION = 4;
const SRC = '008613500000001';
const DST = '008613500000002';

/** Counts failures by reason, for the table. */
class Reasons {
  readonly #counts = new Map<string, number>();
  add(reason: string): false {
    this.#counts.set(reason, (this.#counts.get(reason) ?? 0) + 1);
    return false;
  }
  toString(): string {
    return [...this.#counts].map(([reason, times]) => `${reason} ×${times}`).join(', ') || '–';
  }
}

export const ingressBenchmark: Benchmark = {
  name: 'ingress',
  description: `status callbacks into ${SESSIONS} running sessions: raw handle.signal() vs the webhook (per-session URL)`,
  async run(context) {
    const stack = await context.temporal();
    const sessions = await startFloodedSessions(stack, SESSIONS, 'ingress', '008614');
    const base = stack.webhookUrl;
    let sent = 0;
    /** The next event: a round-robin session, one of its few calls, a new timestamp (a new event id). */
    const nextEvent = () => {
      sent++;
      const session = sessions[sent % sessions.length] as BoundSession;
      const fields = {
        callId: `bench-call-${session.bindId}-${sent % CALLS_PER_SESSION}`,
        bindId: session.bindId,
        src: SRC,
        dst: DST,
        callStatus: '1024',
        timestamp: String(1_700_000_000 + sent),
      };
      return { session, fields };
    };
    const results = [];
    for (const inFlight of context.smoke ? [2] : [8, 32]) {
      const http = new Pool(base, { connections: inFlight });
      const signalReasons = new Reasons();
      const webhookReasons = new Reasons();
      const variants: LoadVariant[] = [
        {
          name: 'raw handle.signal()',
          op: async () => {
            const { session, fields } = nextEvent();
            try {
              await signalParsed(stack.client.workflow.getHandle(session.workflowId), parseCallback('status', fields));
              return true;
            } catch (error) {
              return signalReasons.add((error as Error).message.slice(0, 80));
            }
          },
        },
        {
          name: 'webhook, per-session URL (JSON)',
          op: async () => {
            const { session, fields } = nextEvent();
            const url = new URL(
              callbackUrl({ publicUrl: base, secret: stack.webhookSecret }, 'status', session.workflowId),
            );
            const response = await http.request({
              method: 'POST',
              path: url.pathname + url.search,
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(fields),
            });
            const answer = (await response.body.json()) as { status?: string; error?: string };
            if (response.statusCode >= 200 && response.statusCode < 300 && answer.status === 'accepted') return true;
            return webhookReasons.add(`${response.statusCode} ${answer.error ?? answer.status}`);
          },
        },
      ];
      const options = context.smoke
        ? { rounds: 1, inFlight, durationMs: 1, maxOps: 2, warmupOps: 0 }
        : { rounds: 3, inFlight, durationMs: 3_000, maxOps: 20_000, warmupOps: inFlight };
      try {
        const result = await compareLoad(
          `status callbacks, ${inFlight} in flight over ${SESSIONS} sessions`,
          variants,
          options,
          'One op: one status event accepted by Temporal as a signal (raw), or answered 200 accepted by the webhook. Latency per op. failed: signals that threw / answers not 2xx accepted; reasons in the last column.',
        );
        for (const row of result.rows) {
          row.extra = { 'failure reasons': (row === result.rows[0] ? signalReasons : webhookReasons).toString() };
        }
        results.push(result);
      } finally {
        await http.close();
      }
    }
    await Promise.all(
      sessions.map(async ({ sessionKey, workflowId }) => {
        await stack.sessions.closeSession(sessionKey);
        await stack.client.workflow.getHandle(workflowId).result();
      }),
    );
    return results;
  },
};
