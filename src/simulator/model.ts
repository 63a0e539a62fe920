import { randomUUID } from 'node:crypto';
import type { CallBackCdr, CallBackPhoneCode, RreCallerHandle, VirturalNumCdr } from '../npp/models.ts';
import { ApiFailure, BusinessFailure } from './failures.ts';

/*
 * The simulated platform state ("the model"), kept as the real NPP platform behaves as far as its
 * documents tell:
 * - A pool of virtual numbers, each of a city (GetVirtualNum's CityId). The lowest fitting number is
 *   handed out first so tests are deterministic. No fitting number → NoVirtualNumberAvailable; a
 *   CityId the pool has no number of → CityHasNoNumbers (107, the seed's "后台配置返回107").
 * - AXB binding (Src given): numbers are reused across pairs, as private-number platforms do. A pair
 *   A–B takes a number not already bound, in any AXB binding, to A or to B (assumption: the seed does
 *   not say how numbers are shared), so one number serves many pairs and a call from P to X routes
 *   through the one binding of P on X. RefNum is 1 and DelVirtualNum releases the binding at once
 *   (RefLeftNum 0).
 * - XB binding (no Src): the number is exclusive to its Dst: no other binding, AXB or XB, shares it,
 *   and an AXB pair never gets a number an XB binding holds. Binding the same Dst again returns the
 *   same BindId and VirtualNum with RefNum one higher (N-1 scenario); its expiry becomes the later of
 *   the two, AccreditList entries are added (at most 30), Record, StatusFlag and the URLs stay those of
 *   the first bind, and CityId is not looked at (the Dst already holds its number). DelVirtualNum
 *   lowers RefNum and answers RefLeftNum; at 0 the binding is gone and the number is free again.
 * - An XB binding with a non-empty AccreditList only accepts calls from those callers.
 * - AssignVirtualNum naming a number that cannot be given to this binding (held by an XB binding, or
 *   bound to one of the AXB pair's parties, or for XB bound at all) → VirtualNumberInUse. A BizId is
 *   used once among active bindings, counting every GetVirtualNum that took a reference on them
 *   (BizIdAlreadyUsed), so a repeated request is refused rather than taking a second reference; for
 *   callback calls it is unique among all calls kept.
 * - MaxAssignTime (seconds, default 24 h, at most 168 h) sets expiresAt. Expired bindings are swept
 *   lazily before every read or write, so an injected clock is all a test needs.
 * - Callback calls (CreateCallBack) move through stages; DeleteCallBack's CancelFlag n (1..4) refuses
 *   to tear down once stage n has been reached, 0 always tears down. An ended call cannot be
 *   cancelled.
 * - Detail records of ended calls are kept (bounded) for Get400Cdr and DescribeCallBackCdr.
 */

export const DEFAULT_MAX_ASSIGN_SECONDS = 24 * 3600;
export const MAX_ASSIGN_SECONDS = 168 * 3600;
const MAX_ACCREDIT = 30;
/** Records and finished calls kept; the oldest go first so memory stays bounded in long runs. */
const MAX_KEPT = 10_000;
/**
 * How long Get400Cdr and DescribeCallBackCdr list a call, from its start: 30 days. An assumption: the
 * seed states no retention.
 */
export const DEFAULT_CDR_RETENTION_SECONDS = 30 * 24 * 3600;

export interface CallbackUrls {
  status?: string;
  hangup?: string;
  record?: string;
}

export interface Binding {
  bindId: string;
  virtualNum: string;
  mode: 'AXB' | 'XB';
  src?: string;
  dst: string;
  accreditList: string[];
  refNum: number;
  /** BizId of every GetVirtualNum that took a reference (one for AXB). */
  bizIds: string[];
  record: boolean;
  statusFlag: number;
  urls: CallbackUrls;
  /** Unix milliseconds of the simulator clock. */
  createdAt: number;
  expiresAt: number;
}

/** One line of the request log. */
export interface RequestLogEntry {
  /** Unix milliseconds of the simulator clock. */
  at: number;
  /** The API action, or RecordingDownload. */
  action: string;
  BizAppId?: string;
  BindId?: string;
  BizId?: string;
  CallId?: string;
}

export interface BindInput {
  dst: string;
  src?: string;
  accreditList: string[];
  assignVirtualNum?: string;
  record: boolean;
  bizId?: string;
  maxAssignSeconds: number;
  statusFlag: number;
  urls: CallbackUrls;
  /** GetVirtualNum's CityId: only numbers of this city fit. */
  cityId?: string;
}

/** Stages of a callback call in order; the index is DescribeCallBackStatus' CallStatus (ended = 5). */
export const CALLBACK_STAGES = [
  'created',
  'caller-ringing',
  'caller-answered',
  'callee-ringing',
  'callee-answered',
  'ended',
] as const;
export type CallbackStage = (typeof CALLBACK_STAGES)[number];

/** Unix seconds of each moment of a call; 0 = not reached. */
export interface CallbackTimes {
  startSrcCallTime: number;
  startSrcRingTime: number;
  srcAcceptTime: number;
  startDstCallTime: number;
  startDstRingTime: number;
  dstAcceptTime: number;
  endCallTime: number;
}

export interface CallbackCall {
  callId: string;
  src: string;
  dst: string;
  srcDisplayNum: string;
  dstDisplayNum: string;
  record: boolean;
  maxAllowMinutes: number;
  statusFlag: number;
  urls: CallbackUrls;
  bizId?: string;
  orderId?: string;
  /** The earlier call whose line the platform should avoid (LastCallId). */
  lastCallId?: string;
  preCallerHandle?: RreCallerHandle;
  stage: CallbackStage;
  /** Key presses that replayed the prompt; beyond RepeatTimes the platform hangs up. */
  keyReplays: number;
  times: CallbackTimes;
  /** Unix seconds of the latest key press, so later moments come after it. */
  lastKeyAt?: number;
  /** CallBackCdr.CallEndStatus, once ended. */
  endStatus?: string;
}

export interface CdrFilter {
  callId?: string;
  src?: string;
  /** Inclusive bounds in unix seconds on the call's start. */
  start?: number;
  end?: number;
}

/** A virtual number of the pool and the city it belongs to. */
export interface PoolNumber {
  number: string;
  cityId: string;
}

/**
 * Cities of numbers given without one, by position: 0755, 010, 0755, … (assumption: the platform's
 * city ids are in a spreadsheet the seed only names, so these two are this simulator's choice).
 */
export const DEFAULT_CITY_IDS = ['0755', '010'] as const;

/** The pool from a count of default numbers (008617000000001, 008617000000002, …) or a list. */
export function poolNumbers(pool: number | readonly (string | PoolNumber)[] = 20): PoolNumber[] {
  const entries = typeof pool === 'number' ? Array.from({ length: pool }, (_, i) => `0086${17_000_000_001 + i}`) : pool;
  return entries.map((entry, i) =>
    typeof entry === 'string'
      ? { number: entry, cityId: DEFAULT_CITY_IDS[i % DEFAULT_CITY_IDS.length] as string }
      : entry,
  );
}

export const DEFAULT_DISPLAY_LIST: CallBackPhoneCode[] = [
  { Nation: '0086', Phone: '075586013388' },
  { Nation: '0086', Phone: '075586013399' },
];

const sessionCdrStart = (cdr: VirturalNumCdr): number => Number(cdr.CallCenterAcceptTime);
// A call cancelled before it started has no start time; its end stands in.
const callbackCdrStart = (cdr: CallBackCdr): number => Number(cdr.StartSrcCallTime) || Number(cdr.EndCallTime);

/** Removes, in place, the items that fail `keep`. */
const keepOnly = <T>(list: T[], keep: (item: T) => boolean): void => {
  const kept = list.filter(keep);
  if (kept.length < list.length) list.splice(0, list.length, ...kept);
};

const pushBounded = <T>(list: T[], item: T): void => {
  list.push(item);
  if (list.length > MAX_KEPT) list.shift();
};

export class SimState {
  readonly pool: readonly PoolNumber[];
  readonly displayList: readonly CallBackPhoneCode[];
  readonly bindings = new Map<string, Binding>();
  readonly callbacks = new Map<string, CallbackCall>();
  readonly sessionCdrs: VirturalNumCdr[] = [];
  readonly callbackCdrs: CallBackCdr[] = [];
  /** Every API request and recording download, oldest first (bounded; ids only, never numbers). */
  readonly requestLog: RequestLogEntry[] = [];
  /** CallIds whose recording GET /_sim/recordings/<callId>.wav serves. */
  readonly recordings = new Set<string>();
  /** Successful GetVirtualNum requests per BizId, over the simulator's life: above 1 is a double bind. */
  readonly bindsPerBizId = new Map<string, number>();
  /** Number → BindId of the XB binding holding it. */
  private readonly xbHolder = new Map<string, string>();
  /** Number → party (Src or Dst) → BindId of that party's AXB binding on the number. */
  private readonly axbParties = new Map<string, Map<string, string>>();
  private readonly now: () => number;
  private readonly cdrRetentionSeconds: number;
  private displayCursor = 0;

  constructor(
    pool: readonly PoolNumber[],
    displayList: readonly CallBackPhoneCode[],
    now: () => number,
    cdrRetentionSeconds = DEFAULT_CDR_RETENTION_SECONDS,
  ) {
    this.pool = pool;
    this.displayList = displayList;
    this.now = now;
    this.cdrRetentionSeconds = cdrRetentionSeconds;
  }

  reset(): void {
    this.bindings.clear();
    this.xbHolder.clear();
    this.axbParties.clear();
    this.callbacks.clear();
    this.sessionCdrs.length = 0;
    this.callbackCdrs.length = 0;
    this.recordings.clear();
    this.bindsPerBizId.clear();
    this.requestLog.length = 0;
    this.displayCursor = 0;
  }

  /** Removes expired bindings and frees their numbers. */
  sweep(): void {
    const now = this.now();
    for (const binding of this.bindings.values()) {
      if (binding.expiresAt <= now) this.release(binding);
    }
  }

  /**
   * Lets MaxAssignTime pass for the bindings that expire by `unixMs`: the platform releases them, as
   * it would once its clock got there. Answers how many it released.
   */
  expireUntil(unixMs: number): number {
    const expiring = [...this.bindings.values()].filter((binding) => binding.expiresAt <= unixMs);
    for (const binding of expiring) this.release(binding);
    return expiring.length;
  }

  activeBindings(): Binding[] {
    this.sweep();
    return [...this.bindings.values()];
  }

  bind(input: BindInput): Binding {
    this.sweep();
    const now = this.now();
    const expiresAt = now + input.maxAssignSeconds * 1000;
    const existing = input.src === undefined ? this.xbBindingOf(input.dst) : undefined;
    if (input.bizId !== undefined) {
      for (const b of this.bindings.values()) {
        if (b.bizIds.includes(input.bizId)) throw new BusinessFailure('BizIdAlreadyUsed');
      }
    }
    if (existing) {
      if (input.assignVirtualNum !== undefined && input.assignVirtualNum !== existing.virtualNum) {
        throw new BusinessFailure('VirtualNumberInUse', `Dst already holds ${existing.virtualNum} exclusively (XB).`);
      }
      existing.refNum += 1;
      if (input.bizId !== undefined) existing.bizIds.push(input.bizId);
      this.countBind(input.bizId);
      existing.expiresAt = Math.max(existing.expiresAt, expiresAt);
      if (existing.accreditList.length > 0) {
        const merged = new Set([...existing.accreditList, ...input.accreditList]);
        existing.accreditList = [...merged].slice(0, MAX_ACCREDIT);
      }
      return existing;
    }
    const virtualNum = this.allocate(input);
    const binding: Binding = {
      bindId: randomUUID().replaceAll('-', ''),
      virtualNum,
      mode: input.src === undefined ? 'XB' : 'AXB',
      dst: input.dst,
      accreditList: input.src === undefined ? input.accreditList.slice(0, MAX_ACCREDIT) : [],
      refNum: 1,
      bizIds: input.bizId === undefined ? [] : [input.bizId],
      record: input.record,
      statusFlag: input.statusFlag,
      urls: input.urls,
      createdAt: now,
      expiresAt,
    };
    this.bindings.set(binding.bindId, binding);
    this.countBind(input.bizId);
    if (input.src === undefined) {
      this.xbHolder.set(virtualNum, binding.bindId);
    } else {
      binding.src = input.src;
      const parties = this.axbParties.get(virtualNum) ?? new Map<string, string>();
      parties.set(input.src, binding.bindId).set(input.dst, binding.bindId);
      this.axbParties.set(virtualNum, parties);
    }
    return binding;
  }

  private countBind(bizId: string | undefined): void {
    if (bizId !== undefined) this.bindsPerBizId.set(bizId, (this.bindsPerBizId.get(bizId) ?? 0) + 1);
  }

  /** Drops one reference of a binding; answers the references left (0 = released). */
  unbind(bindId: string, bizId?: string): number {
    this.sweep();
    const binding = this.bindings.get(bindId);
    // A BizId that contradicts the binding's own names another binding, which does not exist here.
    if (!binding || (bizId !== undefined && binding.bizIds.length > 0 && !binding.bizIds.includes(bizId))) {
      throw new BusinessFailure('BindingNotFound');
    }
    binding.refNum -= 1;
    if (binding.refNum <= 0) this.release(binding);
    return Math.max(binding.refNum, 0);
  }

  /**
   * The binding a call from `caller` to `virtualNum` runs through: the XB binding holding the number,
   * else the AXB binding with the caller as a party on it.
   */
  bindingForCall(virtualNum: string, caller: string): Binding | undefined {
    this.sweep();
    const bindId = this.xbHolder.get(virtualNum) ?? this.axbParties.get(virtualNum)?.get(caller);
    return bindId === undefined ? undefined : this.bindings.get(bindId);
  }

  /** Every active binding on the number: one XB binding, or the AXB bindings sharing it. */
  bindingsOfNumber(virtualNum: string): Binding[] {
    this.sweep();
    return [...this.bindings.values()].filter((b) => b.virtualNum === virtualNum);
  }

  /** The next display number, round-robin over the caller display list. */
  nextDisplayNum(): string {
    const code = this.displayList[this.displayCursor++ % this.displayList.length];
    return code ? `${code.Nation}${code.Phone}` : '';
  }

  addCallback(call: CallbackCall): void {
    if (call.bizId !== undefined) {
      for (const c of this.callbacks.values()) {
        if (c.bizId === call.bizId) throw new BusinessFailure('BizIdAlreadyUsed');
      }
    }
    this.callbacks.set(call.callId, call);
    if (this.callbacks.size > MAX_KEPT) {
      const oldest = this.callbacks.keys().next().value;
      if (oldest !== undefined) this.callbacks.delete(oldest);
    }
  }

  callback(callId: string): CallbackCall {
    const call = this.callbacks.get(callId);
    if (!call) throw new BusinessFailure('CallNotFound');
    return call;
  }

  addSessionCdr(cdr: VirturalNumCdr): void {
    pushBounded(this.sessionCdrs, cdr);
  }

  /** Notes a request in the request log (at: the simulator clock). */
  logRequest(entry: Omit<RequestLogEntry, 'at'>): void {
    pushBounded(this.requestLog, { at: this.now(), ...entry });
  }

  addCallbackCdr(cdr: CallBackCdr): void {
    pushBounded(this.callbackCdrs, cdr);
  }

  querySessionCdrs(filter: CdrFilter): VirturalNumCdr[] {
    this.forgetExpiredCdrs();
    return this.sessionCdrs.filter((c) => matches(filter, c.CallId, c.Src, sessionCdrStart(c)));
  }

  queryCallbackCdrs(filter: CdrFilter): CallBackCdr[] {
    this.forgetExpiredCdrs();
    return this.callbackCdrs.filter((c) => matches(filter, c.CallId, c.Src, callbackCdrStart(c)));
  }

  /** Drops the CDRs of calls that started longer ago than the retention. */
  forgetExpiredCdrs(): void {
    const oldest = Math.floor(this.now() / 1000) - this.cdrRetentionSeconds;
    keepOnly(this.sessionCdrs, (c) => sessionCdrStart(c) >= oldest);
    keepOnly(this.callbackCdrs, (c) => callbackCdrStart(c) >= oldest);
  }

  private xbBindingOf(dst: string): Binding | undefined {
    for (const b of this.bindings.values()) if (b.mode === 'XB' && b.dst === dst) return b;
    return undefined;
  }

  /** A number for a new binding: the assigned one, else the lowest that fits, of CityId when given. */
  private allocate(input: BindInput): string {
    const { src, dst, cityId } = input;
    // XB takes an unbound number; AXB one no XB binding holds and neither party is bound on.
    const fits = (n: string): boolean => {
      if (this.xbHolder.has(n)) return false;
      const parties = this.axbParties.get(n);
      if (parties === undefined) return true;
      return src !== undefined && !parties.has(src) && !parties.has(dst);
    };
    const ofCity = cityId === undefined ? this.pool : this.pool.filter((p) => p.cityId === cityId);
    if (ofCity.length === 0) throw new BusinessFailure('CityHasNoNumbers', `No number of city ${cityId}.`);
    const assigned = input.assignVirtualNum;
    if (assigned !== undefined) {
      if (!this.pool.some((p) => p.number === assigned)) {
        throw new ApiFailure('InvalidParameterValue', 'AssignVirtualNum is not a number of this account.');
      }
      // Assumption: an assigned number of another city is a contradiction in the request, not a 107.
      if (!ofCity.some((p) => p.number === assigned)) {
        throw new ApiFailure('InvalidParameterValue', `AssignVirtualNum is not a number of city ${cityId}.`);
      }
      if (!fits(assigned)) throw new BusinessFailure('VirtualNumberInUse');
      return assigned;
    }
    const free = ofCity.find((p) => fits(p.number));
    if (free === undefined) throw new BusinessFailure('NoVirtualNumberAvailable');
    return free.number;
  }

  private release(binding: Binding): void {
    this.bindings.delete(binding.bindId);
    if (binding.mode === 'XB') {
      this.xbHolder.delete(binding.virtualNum);
      return;
    }
    const parties = this.axbParties.get(binding.virtualNum);
    parties?.delete(binding.dst);
    if (binding.src !== undefined) parties?.delete(binding.src);
    if (parties?.size === 0) this.axbParties.delete(binding.virtualNum);
  }
}

function matches(filter: CdrFilter, callId: string, src: string, startedAt: number): boolean {
  if (filter.callId !== undefined && filter.callId !== callId) return false;
  if (filter.src !== undefined && filter.src !== src) return false;
  if (filter.start !== undefined && startedAt < filter.start) return false;
  if (filter.end !== undefined && startedAt > filter.end) return false;
  return true;
}
