import type { NppAction, NppActions } from '../npp/models.ts';
import { cancelCallback, type DriverContext, newCallId, progressResult } from './calls.ts';
import { ApiFailure } from './failures.ts';
import { type CallbackCall, DEFAULT_MAX_ASSIGN_SECONDS, MAX_ASSIGN_SECONDS } from './model.ts';
import {
  accreditList,
  bizId,
  bounded,
  flag,
  integer,
  mobile,
  optional,
  type Params,
  phone,
  preCallerHandle,
  required,
  statusFlag,
  url,
} from './params.ts';

/** The eight NPP actions against the simulated state. Each answers its response minus RequestId. */

export interface ActionContext extends DriverContext {
  /** When set, the only BizAppId accepted. */
  bizAppId?: string;
  /** CDRs per Get400Cdr / DescribeCallBackCdr answer. */
  cdrPageSize: number;
}

/** CDRs per answer unless configured (assumption: the platform's list APIs answer 100 at a time). */
export const DEFAULT_CDR_PAGE_SIZE = 100;

type Answer<A extends NppAction> = Omit<NppActions[A]['response'], 'RequestId'>;
type Handler<A extends NppAction> = (ctx: ActionContext, p: Params, appId: string) => Answer<A>;

const OK = { ErrorCode: '0' } as const;

function requiredPhone(p: Params, name: string): string {
  required(p, name);
  return phone(p, name) as string;
}

function timeRange(p: Params): { start?: number; end?: number } {
  const range: { start?: number; end?: number } = {};
  const start = integer(p, 'StartTimeStamp', 0, Number.MAX_SAFE_INTEGER);
  const end = integer(p, 'EndTimeStamp', 0, Number.MAX_SAFE_INTEGER);
  if (start !== undefined && end !== undefined && start > end) {
    throw new ApiFailure('InvalidParameterValue', 'StartTimeStamp must not be after EndTimeStamp.');
  }
  if (start !== undefined) range.start = start;
  if (end !== undefined) range.end = end;
  return range;
}

/**
 * One page of CDRs and the Offset of the next one ("" when done). The seed's responses carry Offset
 * but its requests have no such field: that the request takes `Offset` (records to skip) is this
 * project's assumption, as is the page size (CDR_PAGE_SIZE, like the platform's list APIs).
 */
function page<T>(ctx: ActionContext, p: Params, records: T[]): { Cdr: T[]; Offset: string } {
  const offset = integer(p, 'Offset', 0, Number.MAX_SAFE_INTEGER) ?? 0;
  const size = ctx.cdrPageSize;
  const next = offset + size;
  return { Cdr: records.slice(offset, next), Offset: next < records.length ? String(next) : '' };
}

const GetVirtualNum: Handler<'GetVirtualNum'> = (ctx, p) => {
  const dst = requiredPhone(p, 'Dst');
  const src = phone(p, 'Src');
  const binding = ctx.state.bind({
    dst,
    ...(src === undefined ? {} : { src }),
    accreditList: accreditList(p),
    ...withOptional('assignVirtualNum', phone(p, 'AssignVirtualNum')),
    record: flag(p, 'Record'),
    ...withOptional('bizId', bizId(p, 16)),
    ...withOptional('cityId', optional(p, 'CityId')),
    maxAssignSeconds: integer(p, 'MaxAssignTime', 1, MAX_ASSIGN_SECONDS) ?? DEFAULT_MAX_ASSIGN_SECONDS,
    statusFlag: statusFlag(p),
    urls: urls(p),
  });
  return { ...OK, BindId: binding.bindId, RefNum: String(binding.refNum), VirtualNum: binding.virtualNum };
};

const DelVirtualNum: Handler<'DelVirtualNum'> = (ctx, p) => {
  const bindId = required(p, 'BindId');
  const left = ctx.state.unbind(bindId, optional(p, 'BizId'));
  return { ...OK, BindId: bindId, RefLeftNum: String(left) };
};

const CreateCallBack: Handler<'CreateCallBack'> = (ctx, p) => {
  const call: CallbackCall = {
    callId: newCallId(),
    src: mobile(p, 'Src'),
    dst: requiredPhone(p, 'Dst'),
    srcDisplayNum: optional(p, 'SrcDisplayNum') ?? ctx.state.nextDisplayNum(),
    dstDisplayNum: optional(p, 'DstDisplayNum') ?? ctx.state.nextDisplayNum(),
    record: flag(p, 'Record'),
    maxAllowMinutes: integer(p, 'MaxAllowTime', 1, 24 * 60) ?? 30,
    statusFlag: statusFlag(p),
    urls: urls(p),
    ...withOptional('bizId', bizId(p, 64)),
    ...withOptional('orderId', bounded(p, 'OrderId', 64)),
    ...withOptional('lastCallId', optional(p, 'LastCallId')),
    ...withOptional('preCallerHandle', preCallerHandle(p)),
    stage: 'created',
    keyReplays: 0,
    times: {
      startSrcCallTime: 0,
      startSrcRingTime: 0,
      srcAcceptTime: 0,
      startDstCallTime: 0,
      startDstRingTime: 0,
      dstAcceptTime: 0,
      endCallTime: 0,
    },
  };
  ctx.state.addCallback(call);
  ctx.delivery.callMade(call.callId);
  return { ...OK, CallId: call.callId, SrcDisplayNum: call.srcDisplayNum, DstDisplayNum: call.dstDisplayNum };
};

const DeleteCallBack: Handler<'DeleteCallBack'> = (ctx, p) => {
  const callId = required(p, 'CallId');
  cancelCallback(ctx, callId, integer(p, 'CancelFlag', 0, 4) ?? 0);
  return { ...OK, CallId: callId };
};

const DescribeCallBackStatus: Handler<'DescribeCallBackStatus'> = (ctx, p, appId) => {
  const call = ctx.state.callback(required(p, 'CallId'));
  const { CallStatus } = progressResult(call);
  return { ...OK, AppId: appId, CallId: call.callId, Src: call.src, Dst: call.dst, CallStatus };
};

const DescribeCallBackCdr: Handler<'DescribeCallBackCdr'> = (ctx, p) => {
  const cdr = ctx.state.queryCallbackCdrs({
    ...withOptional('callId', optional(p, 'CallId')),
    ...withOptional('src', optional(p, 'Src')),
    ...timeRange(p),
  });
  return { ...OK, ...page(ctx, p, cdr) };
};

const Get400Cdr: Handler<'Get400Cdr'> = (ctx, p) => {
  const cdr = ctx.state.querySessionCdrs({
    ...withOptional('callId', optional(p, 'CallId')),
    ...withOptional('src', optional(p, 'Src')),
    ...timeRange(p),
  });
  return { ...OK, ...page(ctx, p, cdr) };
};

const DescribeCallerDisplayList: Handler<'DescribeCallerDisplayList'> = (ctx, _p, appId) => ({
  ...OK,
  AppId: appId,
  CodeList: [...ctx.state.displayList],
});

export const ACTIONS: { [A in NppAction]: Handler<A> } = {
  GetVirtualNum,
  DelVirtualNum,
  CreateCallBack,
  DeleteCallBack,
  DescribeCallBackStatus,
  DescribeCallBackCdr,
  DescribeCallerDisplayList,
  Get400Cdr,
};

export function isAction(name: string): name is NppAction {
  return Object.hasOwn(ACTIONS, name);
}

/** Runs an action: checks BizAppId (every action requires it), then the handler. */
export function runAction(ctx: ActionContext, action: NppAction, params: Params): Record<string, unknown> {
  const appId = required(params, 'BizAppId');
  if (ctx.bizAppId !== undefined && appId !== ctx.bizAppId) {
    throw new ApiFailure('InvalidParameterValue', 'The BizAppId is not an application of this account.');
  }
  return (ACTIONS[action] as Handler<NppAction>)(ctx, params, appId);
}

function urls(p: Params): DriverContext['defaults'] {
  return {
    ...withOptional('status', url(p, 'StatusUrl')),
    ...withOptional('hangup', url(p, 'HangupUrl')),
    ...withOptional('record', url(p, 'RecordUrl')),
  };
}

/** `{ key: value }` when value is defined, else `{}`: keeps absent optionals absent. */
function withOptional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
