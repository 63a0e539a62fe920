// `npp-temporal cdr` and `npp-temporal display-numbers`: read the platform directly (the NPP client
// configured by NPP_ENDPOINT, TENCENTCLOUD_SECRET_ID/KEY and NPP_BIZ_APP_ID), not through Temporal.
import { parseArgs } from 'node:util';
import { listAllCdrs } from '../npp/cdrPages.ts';
import { NppClient } from '../npp/client.ts';
import type { CallBackCdr, VirturalNumCdr } from '../npp/models.ts';
import { maskPhone } from '../phone.ts';
import { fields, type Output, printResult } from './output.ts';
import { optionalInteger, platformNumber, UsageError } from './usage.ts';

export const NPP_USAGE = `Usage:
  npp-temporal cdr [--callback] [--since <seconds>] [--start <unix s> --end <unix s>]
                   [--call-id <CallId>] [--src <0086…>] [--biz-app-id <id>]
      the platform's CDRs, every page: Get400Cdr (calls to virtual numbers), or DescribeCallBackCdr
      with --callback; calls started in the last --since seconds (default 3600) or from --start to --end
  npp-temporal display-numbers [--biz-app-id <id>]
      the numbers a callback call may show (DescribeCallerDisplayList)
  Numbers are shown masked. The platform comes from NPP_ENDPOINT, TENCENTCLOUD_SECRET_ID,
  TENCENTCLOUD_SECRET_KEY and NPP_BIZ_APP_ID.`;

const DEFAULT_SINCE_SECONDS = 3600;
const THIRTY_DAYS = 30 * 24 * 3600;

type CdrRow = Pick<VirturalNumCdr & CallBackCdr, 'CallId' | 'Src' | 'Dst' | 'EndCallTime' | 'CallEndStatus'>;

/** `cdr` and `display-numbers`. */
export async function nppCommand(
  command: 'cdr' | 'display-numbers',
  args: string[],
  output: Output,
  env: Record<string, string | undefined>,
): Promise<void> {
  const { values } = parse(args);
  const bizAppId = values['biz-app-id'];
  const npp = new NppClient({ env, ...(bizAppId ? { bizAppId } : {}) });
  try {
    if (command === 'display-numbers') {
      const answer = await npp.call('DescribeCallerDisplayList', {});
      const numbers = (answer.CodeList ?? []).map((code) => `${code.Nation}${code.Phone}`);
      printResult(output, { appId: answer.AppId, numbers }, () =>
        numbers.length === 0 ? 'no display numbers (both parties see each other’s number)' : numbers.join('\n'),
      );
      return;
    }
    const request = cdrRequest(values);
    const action = values.callback ? 'DescribeCallBackCdr' : 'Get400Cdr';
    const { cdrs, complete } = await listAllCdrs<CdrRow>((offset) =>
      npp.call(action, { ...request, ...(offset ? { Offset: offset } : {}) }),
    );
    const shown = cdrs.map((cdr) => ({
      ...cdr,
      Src: cdr.Src && maskPhone(cdr.Src),
      Dst: cdr.Dst && maskPhone(cdr.Dst),
    }));
    printResult(output, { cdrs: shown, complete }, () =>
      [
        fields([
          ['records', shown.length],
          ['complete', complete ? undefined : 'no: cut at the page limit, narrow the window'],
        ]),
        ...shown.map((cdr) =>
          [cdr.CallId, cdr.Src, '→', cdr.Dst, `end ${cdr.CallEndStatus}`, isoOf(cdr.EndCallTime)].join('  '),
        ),
      ].join('\n'),
    );
  } finally {
    await npp.close();
  }
}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        callback: { type: 'boolean' },
        since: { type: 'string' },
        start: { type: 'string' },
        end: { type: 'string' },
        'call-id': { type: 'string' },
        src: { type: 'string' },
        'biz-app-id': { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message, NPP_USAGE);
  }
}

function cdrRequest(values: ReturnType<typeof parse>['values']) {
  const since = optionalInteger(values.since, 'since', NPP_USAGE, { min: 1, max: THIRTY_DAYS });
  const start = optionalInteger(values.start, 'start', NPP_USAGE, { min: 0, max: Number.MAX_SAFE_INTEGER });
  const end = optionalInteger(values.end, 'end', NPP_USAGE, { min: 0, max: Number.MAX_SAFE_INTEGER });
  if (since !== undefined && (start !== undefined || end !== undefined)) {
    throw new UsageError('--since excludes --start/--end', NPP_USAGE);
  }
  if ((start === undefined) !== (end === undefined)) throw new UsageError('--start and --end go together', NPP_USAGE);
  if (start !== undefined && end !== undefined && start > end) {
    throw new UsageError('--start must not be after --end', NPP_USAGE);
  }
  const now = Math.floor(Date.now() / 1000);
  const window = start === undefined ? { start: now - (since ?? DEFAULT_SINCE_SECONDS), end: now } : { start, end };
  const src = values.src === undefined ? undefined : platformNumber(values.src, 'src', NPP_USAGE);
  return {
    StartTimeStamp: String(window.start),
    EndTimeStamp: String(window.end),
    ...(values['call-id'] ? { CallId: values['call-id'] } : {}),
    ...(src ? { Src: src } : {}),
  };
}

const isoOf = (seconds: string | undefined) =>
  Number(seconds) > 0 ? new Date(Number(seconds) * 1000).toISOString() : '-';
