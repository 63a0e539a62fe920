// `npp-temporal sim call`: dials a session's virtual number on the simulator's call driver, the way
// a person would, so the platform's callbacks flow through the webhook into the session.
import { parseArgs } from 'node:util';
import { request } from 'undici';
import type { ConnectedApp } from '../client/connect.ts';
import { maskPhone } from '../phone.ts';
import type { SessionCallResult } from '../simulator/calls.ts';
import { fields, type Output, printResult, withApp } from './output.ts';
import { optionalInteger, requireString, UsageError } from './usage.ts';

export const SIM_USAGE = `Usage:
  npp-temporal sim call --session <key> [--from A|B] [--outcome answered|busy|no-answer|rejected]
                        [--duration <seconds>] [--sim-url <url>]   (default NPP_SIM_URL or http://127.0.0.1:9080)
  npp-temporal sim progress --call <key> [--until caller-ringing|caller-answered|callee-ringing|callee-answered|ended]
                        [--press <key>] [--duration <seconds>] [--sim-url <url>]`;

const STAGES = ['caller-ringing', 'caller-answered', 'callee-ringing', 'callee-answered', 'ended'];

export async function simCommand(
  args: string[],
  connect: () => Promise<ConnectedApp>,
  output: Output,
  env: Record<string, string | undefined>,
) {
  const [action, ...rest] = args;
  if (action !== 'call' && action !== 'progress') {
    throw new UsageError(action ? `unknown sim command: ${action}` : 'missing sim command', SIM_USAGE);
  }
  const { values } = parse(rest);
  const durationSeconds = optionalInteger(values.duration, 'duration', SIM_USAGE, { min: 1, max: 7200 }) ?? 30;
  const simUrl = (values['sim-url'] ?? env.NPP_SIM_URL ?? 'http://127.0.0.1:9080').replace(/\/+$/, '');
  if (action === 'progress') return progressCallBack(values, simUrl, durationSeconds, connect, output);

  const sessionKey = requireString(values.session, 'session', SIM_USAGE);
  const party = (values.from ?? 'A').toUpperCase();
  if (party !== 'A' && party !== 'B') throw new UsageError('--from must be A or B', SIM_USAGE);
  await withApp(connect, async (app) => {
    const state = await app.sessions.getSession(sessionKey);
    if (!state.virtualNum || state.status === 'closed' || state.status === 'failed') {
      throw new Error(`session ${sessionKey} has no bound virtual number (status ${state.status})`);
    }
    const call = await post<SessionCallResult>(`${simUrl}/_sim/calls`, {
      virtualNum: state.virtualNum,
      bindId: state.bindId,
      party,
      outcome: values.outcome ?? 'answered',
      durationSeconds,
      wait: true,
    });
    const shown = { ...call, Src: maskPhone(call.Src), Dst: call.Dst && maskPhone(call.Dst) };
    printResult(output, shown, () =>
      fields([
        ['call', shown.CallId],
        ['from', shown.Src],
        ['to', shown.Dst || '(not forwarded)'],
        ['via', shown.VirtualNum],
        ['end status', shown.CallEndStatus],
        ['recording', shown.RecordUrl],
      ]),
    );
  });
}

/** Moves a callback call along on the simulator: the people answer, press keys, hang up. */
async function progressCallBack(
  values: ReturnType<typeof parse>['values'],
  simUrl: string,
  durationSeconds: number,
  connect: () => Promise<ConnectedApp>,
  output: Output,
) {
  const callKey = requireString(values.call, 'call', SIM_USAGE);
  const until = values.until ?? 'ended';
  if (!STAGES.includes(until)) throw new UsageError(`--until must be one of ${STAGES.join(', ')}`, SIM_USAGE);
  await withApp(connect, async (app) => {
    const state = await app.callBacks.getCallBackCall(callKey);
    if (!state.callId) throw new Error(`callback call ${callKey} has no platform CallId yet (status ${state.status})`);
    const result = await post<Record<string, unknown>>(`${simUrl}/_sim/callbacks/${state.callId}/progress`, {
      until,
      durationSeconds,
      ...(values.press ? { key: values.press } : {}),
      ...(values.outcome ? { calleeOutcome: values.outcome } : {}),
      wait: true,
    });
    printResult(output, result, () => fields(Object.entries(result)));
  });
}

async function post<T>(url: string, body: Record<string, unknown>): Promise<T> {
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new Error(`cannot reach the NPP simulator at ${new URL(url).origin}: ${(error as Error).message}`);
  }
  const payload = (await response.body.json()) as T & { error?: string };
  if (response.statusCode >= 400) throw new Error(`simulator refused: ${payload.error ?? response.statusCode}`);
  return payload;
}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        session: { type: 'string' },
        call: { type: 'string' },
        until: { type: 'string' },
        press: { type: 'string' },
        from: { type: 'string' },
        outcome: { type: 'string' },
        duration: { type: 'string' },
        'sim-url': { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message, SIM_USAGE);
  }
}
