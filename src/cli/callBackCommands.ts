// `npp-temporal callback start|show|cancel`
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ConnectedApp } from '../client/connect.ts';
import type { CallBackInput, CallBackPreCallerHandle, CallBackState, CancelFlag } from '../contract/callBack.ts';
import { maskPhonesInText } from '../phone.ts';
import { fields, type Output, printResult, withApp } from './output.ts';
import { optionalInteger, platformNumber, positional, requireString, UsageError } from './usage.ts';

export const CALLBACK_USAGE = `Usage:
  npp-temporal callback start --key <key> --src <0086…> --dst <0086…> [--record] [--max-allow-time <minutes>]
                              [--choose-display | --src-display <number> --dst-display <number>] [--order-id <id>]
                              [--status-flag <n>] [--biz-id <id>] [--last-call-id <CallId>] [--biz-app-id <id>]
                              [--notify-url <http(s) URL>] [--ivr <file.json>]   (PreCallerHandle: { readPrompt, interruptPrompt,
                              keyList: [{ key, operate }], repeatTimes?, promptGender? })
  npp-temporal callback show <key>
  npp-temporal callback cancel <key> [--flag 0|1|2|3|4]   (0: whatever the stage; 1–4: not once the
                              caller rings / answered / the callee rings / answered)`;

export async function callBackCommand(args: string[], connect: () => Promise<ConnectedApp>, output: Output) {
  const [action, ...rest] = args;
  const { values, positionals } = parse(rest);
  switch (action) {
    case 'start': {
      const input = callBackInput(values);
      return withApp(connect, async (app) => {
        const started = await app.callBacks.startCallBackCall(input);
        printResult(output, started, () =>
          fields([
            ['call', started.callKey],
            ['workflow', started.workflowId],
            ['run', started.runId],
            ['next', `npp-temporal callback show ${started.callKey}`],
          ]),
        );
      });
    }
    case 'show': {
      const key = positional(positionals, 0, 'key', CALLBACK_USAGE);
      return withApp(connect, async (app) => {
        const state = await app.callBacks.getCallBackCall(key);
        printResult(output, state, () => describeCallBack(state));
      });
    }
    case 'cancel': {
      const key = positional(positionals, 0, 'key', CALLBACK_USAGE);
      const flag = (optionalInteger(values.flag, 'flag', CALLBACK_USAGE, { min: 0, max: 4 }) ?? 0) as CancelFlag;
      return withApp(connect, async (app) => {
        const result = await app.callBacks.cancelCallBackCall(key, flag);
        printResult(output, result, () =>
          fields([
            ['call', key],
            ['torn down', result.tornDown ? 'yes' : 'no'],
            ['reason', result.reason],
            ['status', result.status],
          ]),
        );
      });
    }
    default:
      throw new UsageError(action ? `unknown callback command: ${action}` : 'missing callback command', CALLBACK_USAGE);
  }
}

function describeCallBack(state: CallBackState): string {
  return fields([
    ['call', state.callKey],
    ['status', state.status],
    ['call id', state.callId],
    ['caller', state.src],
    ['callee', state.dst],
    ['keys pressed', state.keys.join(' ')],
    ['end', state.cdr && `${state.cdr.endStatusText} after ${state.cdr.duration}s (${state.cdr.source})`],
    // A recording URL may be signed: its query string is a credential.
    ['recording', state.recordUrl?.split('?', 1)[0]],
    ['archived', state.archive && `${state.archive.location} sha256 ${state.archive.sha256}`],
    ['failure', state.failure && `${state.failure.code}: ${maskPhonesInText(state.failure.message)}`],
  ]);
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
        record: { type: 'boolean' },
        'max-allow-time': { type: 'string' },
        'choose-display': { type: 'boolean' },
        'src-display': { type: 'string' },
        'dst-display': { type: 'string' },
        'order-id': { type: 'string' },
        'status-flag': { type: 'string' },
        'biz-id': { type: 'string' },
        'last-call-id': { type: 'string' },
        'biz-app-id': { type: 'string' },
        ivr: { type: 'string' },
        'notify-url': { type: 'string' },
        flag: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message, CALLBACK_USAGE);
  }
}

function callBackInput(values: ReturnType<typeof parse>['values']): CallBackInput {
  const callKey = requireString(values.key, 'key', CALLBACK_USAGE);
  const src = platformNumber(requireString(values.src, 'src', CALLBACK_USAGE), 'src', CALLBACK_USAGE);
  const dst = platformNumber(requireString(values.dst, 'dst', CALLBACK_USAGE), 'dst', CALLBACK_USAGE);
  const maxAllowTime = optionalInteger(values['max-allow-time'], 'max-allow-time', CALLBACK_USAGE, {
    min: 1,
    max: 1440,
  });
  const statusFlag = optionalInteger(values['status-flag'], 'status-flag', CALLBACK_USAGE, { min: 0, max: 16383 });
  if (values['choose-display'] && (values['src-display'] || values['dst-display'])) {
    throw new UsageError('--choose-display and --src-display/--dst-display exclude each other', CALLBACK_USAGE);
  }
  return {
    callKey,
    src,
    dst,
    ...(values.record ? { record: true } : {}),
    ...(maxAllowTime ? { maxAllowTime } : {}),
    ...(values['choose-display'] ? { chooseDisplayNumbers: true } : {}),
    ...(values['src-display'] ? { srcDisplayNum: values['src-display'] } : {}),
    ...(values['dst-display'] ? { dstDisplayNum: values['dst-display'] } : {}),
    ...(values['order-id'] ? { orderId: values['order-id'] } : {}),
    ...(statusFlag === undefined ? {} : { statusFlag }),
    ...(values['biz-id'] ? { bizId: values['biz-id'] } : {}),
    ...(values['last-call-id'] ? { lastCallId: values['last-call-id'] } : {}),
    ...(values['biz-app-id'] ? { bizAppId: values['biz-app-id'] } : {}),
    ...(values.ivr ? { preCallerHandle: readIvr(values.ivr) } : {}),
    ...(values['notify-url'] ? { notifyUrl: values['notify-url'] } : {}),
  };
}

/** The IVR of --ivr: a JSON file; its fields are checked with the rest of the input before starting. */
function readIvr(path: string): CallBackPreCallerHandle {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `--ivr: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      CALLBACK_USAGE,
    );
  }
  try {
    return JSON.parse(text) as CallBackPreCallerHandle;
  } catch {
    throw new UsageError(`--ivr: ${path} is not JSON`, CALLBACK_USAGE);
  }
}
