// `npm run demo`: with `npm start` running in another terminal, one masked-call session end to end:
// bind, two recorded calls (A→B, then B→A) through the simulator, close, and the summary.
import { randomInt } from 'node:crypto';
import { request } from 'undici';
import { connectApp } from './client/connect.ts';
import type { SessionState } from './contract/session.ts';
import { maskPhone } from './phone.ts';

const env = process.env;
const simUrl = (env.NPP_SIM_URL ?? 'http://127.0.0.1:9080').replace(/\/+$/, '');
const uiUrl = (env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233').replace(/\/+$/, '');
const POLL_MS = 250;
const WAIT_LIMIT_MS = 60_000;

/** A random mainland mobile number in the platform's 0086 format: demo people, not real ones. */
function demoNumber(): string {
  return `0086138${String(randomInt(0, 1e8)).padStart(8, '0')}`;
}

async function waitFor(what: string, read: () => Promise<SessionState>, done: (state: SessionState) => boolean) {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (;;) {
    const state = await read();
    if (done(state)) return state;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} (session status ${state.status})`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function dial(virtualNum: string, bindId: string | undefined, party: 'A' | 'B', durationSeconds: number) {
  const response = await request(`${simUrl}/_sim/calls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ virtualNum, bindId, party, outcome: 'answered', durationSeconds, wait: true }),
  });
  const body = (await response.body.json()) as { CallId: string; error?: string };
  if (response.statusCode >= 400) throw new Error(`simulator: ${body.error ?? response.statusCode}`);
  return body.CallId;
}

const app = await connectApp(env).catch((error: Error) => {
  console.error(`demo: cannot reach Temporal (is \`npm start\` running?): ${error.message}`);
  process.exit(1);
});
try {
  const sessionKey = `demo-${Date.now().toString(36)}`;
  const [src, dst] = [demoNumber(), demoNumber()];
  console.log(`Starting session ${sessionKey}: AXB between ${maskPhone(src)} and ${maskPhone(dst)}, recorded`);
  const started = await app.sessions.startSession({ sessionKey, mode: 'AXB', src, dst, record: true, drainSeconds: 5 });
  const read = () => app.sessions.getSession(sessionKey);

  const bound = await app.sessions
    .waitUntilBound(sessionKey, { timeoutMs: WAIT_LIMIT_MS })
    .catch(async (error: Error) => {
      const { failure } = await read();
      throw new Error(`binding failed: ${failure?.message ?? error.message}`);
    });
  console.log(`Bound virtual number ${bound.virtualNum} (BindId ${bound.bindId})`);

  for (const [party, seconds] of [
    ['A', 42],
    ['B', 17],
  ] as const) {
    const callId = await dial(bound.virtualNum, bound.bindId, party, seconds);
    console.log(`Call ${callId}: ${party === 'A' ? 'A → B' : 'B → A'}, talked ${seconds}s`);
  }
  await waitFor(
    'both calls and recordings',
    read,
    (state) => state.calls.filter((call) => call.state === 'ended' && call.recordUrl).length >= 2,
  );

  await app.sessions.closeSession(sessionKey);
  const handle = app.client.workflow.getHandle(started.workflowId);
  const final = (await handle.result()) as SessionState;
  const recordings = final.calls.filter((call) => call.recordUrl).length;
  console.log(
    [
      '',
      `Session ${final.sessionKey}: ${final.status}${final.closedReason ? ` (${final.closedReason})` : ''}, ${final.calls.length} calls, ${recordings} recordings`,
      ...final.calls.flatMap((call) => [
        `  ${call.callId}  ${call.caller} → ${call.callee}  ${call.endStatusText ?? ''}  talked ${call.dstDuration ?? 0}s`,
        `    recording ${call.recordUrl ?? '-'}`,
        ...(call.archive
          ? [`    archived  ${call.archive.location} (${call.archive.bytes} bytes, sha256 ${call.archive.sha256})`]
          : []),
      ]),
      '',
      `Temporal UI: ${uiUrl}/namespaces/${app.client.options.namespace}/workflows/${encodeURIComponent(started.workflowId)}/${started.runId}/history`,
    ].join('\n'),
  );
} catch (error) {
  console.error(`demo failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await app.close();
}
