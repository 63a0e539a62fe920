// `npp-temporal session start|show|close|extend|add-ref|release-ref|list`
import { parseArgs } from 'node:util';
import { DEFAULT_BIND_WAIT_MS } from '../client/bindWait.ts';
import { DEFAULT_CLOSE_WAIT_MS } from '../client/closeWait.ts';
import type { ConnectedApp } from '../client/connect.ts';
import { SESSION_STATUSES, type SessionInput, type SessionStatus } from '../contract/session.ts';
import { describeSession, fields, type Output, printResult, withApp } from './output.ts';
import { optionalInteger, platformNumber, positional, requireString, UsageError } from './usage.ts';

export const SESSION_USAGE = `Usage:
  npp-temporal session start --key <key> --dst <0086…> [--src <0086…>] [--mode AXB|XB]
                             [--record] [--ttl <seconds>] [--max-ttl <seconds>] [--accredit <0086…,…>]
                             [--ttl-mode fixed|sliding] [--recording-wait <seconds>]
                             [--assign <0086…>] [--city <city id>] [--status-flag <n>] [--biz-app-id <id>]
                             [--notify-url <http(s) URL>] [--wait]
  npp-temporal session show <key>
  npp-temporal session close <key> [--wait]
  npp-temporal session extend <key> --seconds <n>
  npp-temporal session add-ref <key>        (XB: one more reference on the number)
  npp-temporal session release-ref <key>    (gives one back; at none the session closes, refnum-zero)
  npp-temporal session list [--status ${SESSION_STATUSES.join('|')}] [--limit <n>]

  start answers once the session started; --wait answers once its number is bound, with the number
  (at most ${DEFAULT_BIND_WAIT_MS / 1000} s).
  close answers at once (status closing while the session waits for its calls and recordings);
  --wait answers once it is closed and its number released (at most ${DEFAULT_CLOSE_WAIT_MS / 60_000} minutes).`;

const WEEK = 168 * 3600;

export async function sessionCommand(args: string[], connect: () => Promise<ConnectedApp>, output: Output) {
  const [action, ...rest] = args;
  const { values, positionals } = parse(rest);
  switch (action) {
    case 'start': {
      const input = sessionInput(values);
      return withApp(connect, async (app) => {
        const started = await app.sessions.startSession(input);
        const binding = values.wait === true ? await app.sessions.waitUntilBound(started.sessionKey) : undefined;
        printResult(output, { ...started, ...binding }, () =>
          fields([
            ['session', started.sessionKey],
            ['workflow', started.workflowId],
            ['run', started.runId],
            ['bind id', binding?.bindId],
            ['virtual number', binding?.virtualNum],
            ['next', `npp-temporal session show ${started.sessionKey}`],
          ]),
        );
      });
    }
    case 'show': {
      const key = positional(positionals, 0, 'key', SESSION_USAGE);
      return withApp(connect, async (app) => {
        const state = await app.sessions.getSession(key);
        printResult(output, state, () => describeSession(state));
      });
    }
    case 'close': {
      const key = positional(positionals, 0, 'key', SESSION_USAGE);
      return withApp(connect, async (app) => {
        const state = await app.sessions.closeSession(key, { wait: values.wait === true });
        printResult(output, state, () => describeSession(state));
      });
    }
    case 'extend': {
      const key = positional(positionals, 0, 'key', SESSION_USAGE);
      const seconds = optionalInteger(values.seconds, 'seconds', SESSION_USAGE, { min: 1, max: WEEK });
      if (seconds === undefined) throw new UsageError('--seconds is required', SESSION_USAGE);
      return withApp(connect, async (app) => {
        const result = await app.sessions.extendSession(key, seconds);
        printResult(output, result, () =>
          fields([
            ['session', key],
            ['expires', result.expiresAt],
          ]),
        );
      });
    }
    case 'add-ref':
    case 'release-ref': {
      const key = positional(positionals, 0, 'key', SESSION_USAGE);
      return withApp(connect, async (app) => {
        const result =
          action === 'add-ref' ? await app.sessions.addReference(key) : await app.sessions.releaseReference(key);
        printResult(output, result, () =>
          fields([
            ['session', key],
            ['references', String(result.heldReferences)],
            ['platform RefNum', result.platformRefNum === undefined ? '-' : String(result.platformRefNum)],
          ]),
        );
      });
    }
    case 'list': {
      const status = values.status;
      if (status !== undefined && !SESSION_STATUSES.includes(status as SessionStatus)) {
        throw new UsageError(`--status must be one of ${SESSION_STATUSES.join(', ')}`, SESSION_USAGE);
      }
      const limit = optionalInteger(values.limit, 'limit', SESSION_USAGE, { min: 1, max: 1000 });
      return withApp(connect, async (app) => {
        const rows = await app.sessions.listSessions({
          ...(status ? { sessionStatus: status as SessionStatus } : {}),
          ...(limit ? { limit } : {}),
        });
        printResult(output, rows, () =>
          rows.length === 0
            ? 'no sessions'
            : rows
                .map((row) =>
                  [
                    row.workflowId,
                    row.sessionStatus ?? row.executionStatus,
                    row.virtualNum ?? '-',
                    row.startTime.toISOString(),
                  ].join('  '),
                )
                .join('\n'),
        );
      });
    }
    default:
      throw new UsageError(action ? `unknown session command: ${action}` : 'missing session command', SESSION_USAGE);
  }
}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        key: { type: 'string' },
        src: { type: 'string' },
        dst: { type: 'string' },
        mode: { type: 'string' },
        record: { type: 'boolean' },
        'recording-wait': { type: 'string' },
        wait: { type: 'boolean' },
        ttl: { type: 'string' },
        'ttl-mode': { type: 'string' },
        'max-ttl': { type: 'string' },
        accredit: { type: 'string' },
        assign: { type: 'string' },
        city: { type: 'string' },
        'status-flag': { type: 'string' },
        'biz-app-id': { type: 'string' },
        'notify-url': { type: 'string' },
        seconds: { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message, SESSION_USAGE);
  }
}

function sessionInput(values: ReturnType<typeof parse>['values']): SessionInput {
  const sessionKey = requireString(values.key, 'key', SESSION_USAGE);
  const mode = (values.mode ?? 'AXB').toUpperCase();
  if (mode !== 'AXB' && mode !== 'XB') throw new UsageError('--mode must be AXB or XB', SESSION_USAGE);
  const dst = platformNumber(requireString(values.dst, 'dst', SESSION_USAGE), 'dst', SESSION_USAGE);
  const src = values.src === undefined ? undefined : platformNumber(values.src, 'src', SESSION_USAGE);
  if (mode === 'AXB' && !src) throw new UsageError('--src is required in AXB mode', SESSION_USAGE);
  if (mode === 'XB' && src) throw new UsageError('--src is not used in XB mode (see --accredit)', SESSION_USAGE);
  const accreditList = values.accredit
    ?.split(',')
    .map((entry) => platformNumber(entry.trim(), 'accredit', SESSION_USAGE));
  const ttlSeconds = optionalInteger(values.ttl, 'ttl', SESSION_USAGE, { min: 60, max: WEEK });
  const ttlMode = values['ttl-mode'];
  if (ttlMode !== undefined && ttlMode !== 'fixed' && ttlMode !== 'sliding') {
    throw new UsageError('--ttl-mode must be fixed or sliding', SESSION_USAGE);
  }
  const maxTtlSeconds = optionalInteger(values['max-ttl'], 'max-ttl', SESSION_USAGE, { min: 60, max: WEEK });
  // 0 is meaningful here: unbind as soon as the session ends.
  const recordingWaitSeconds = optionalInteger(values['recording-wait'], 'recording-wait', SESSION_USAGE, {
    min: 0,
    max: WEEK,
  });
  const assignVirtualNum =
    values.assign === undefined ? undefined : platformNumber(values.assign, 'assign', SESSION_USAGE);
  const statusFlag = optionalInteger(values['status-flag'], 'status-flag', SESSION_USAGE, { min: 0, max: 16383 });
  return {
    sessionKey,
    mode,
    dst,
    ...(assignVirtualNum ? { assignVirtualNum } : {}),
    ...(values.city ? { cityId: values.city } : {}),
    ...(statusFlag === undefined ? {} : { statusFlag }),
    ...(values['biz-app-id'] ? { bizAppId: values['biz-app-id'] } : {}),
    ...(values['notify-url'] ? { notifyUrl: values['notify-url'] } : {}),
    ...(src ? { src } : {}),
    ...(values.record ? { record: true } : {}),
    ...(ttlSeconds ? { ttlSeconds } : {}),
    ...(ttlMode ? { ttlMode } : {}),
    ...(maxTtlSeconds ? { maxTtlSeconds } : {}),
    ...(accreditList ? { accreditList } : {}),
    ...(recordingWaitSeconds === undefined ? {} : { recordingWaitSeconds }),
  };
}
