import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

/*
 * Webhook delivery as a platform does it: POST JSON, retry with exponential backoff on a non-2xx
 * answer or a connection failure, give up after maxAttempts. Events of one call go out one after
 * another (each waits for the previous one's retries) so ordering is meaningful; `reorder`,
 * `duplicate` and `drop` break that on purpose for webhook robustness tests.
 */

export const EVENT_KINDS = ['status', 'hangup', 'record', 'keypress'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface CallbackEvent {
  kind: EventKind;
  url: string;
  payload: { callId: string } & Record<string, string>;
}

export interface DeliveryOptions {
  maxAttempts: number;
  baseDelayMs: number;
  /** Each event is sent twice. */
  duplicate: boolean;
  /** A batch of a call's events is sent in reverse order. */
  reorder: boolean;
  /** Nothing is sent for calls made while set (logged as status "dropped"), for the call's whole life. */
  drop: boolean;
  /** Per attempt, for headers and body. */
  timeoutMs: number;
  /**
   * How long after a recorded call's hangup its recording is ready: only then is the record callback
   * sent and does the CDR (callback and Get400Cdr) carry RecordUrl, as the platform produces the file
   * after the call. Assumption: the seed says only to wait for the recording callback before unbinding.
   */
  recordingDelayMs: number;
  /** Kinds of events never sent (logged as "dropped"), e.g. ["record"] for a recording that never arrives. */
  dropKinds: EventKind[];
}

export const DEFAULT_DELIVERY: DeliveryOptions = {
  maxAttempts: 6,
  baseDelayMs: 1000,
  duplicate: false,
  reorder: false,
  drop: false,
  timeoutMs: 5000,
  recordingDelayMs: 5000,
  dropKinds: [],
};

export interface DeliveryLogEntry {
  url: string;
  kind: EventKind;
  callId: string;
  attempt: number;
  /** HTTP status, or "error" (no answer) or "dropped". */
  status: number | 'error' | 'dropped';
  error?: string;
  /** Unix milliseconds, wall clock. */
  at: number;
}

const MAX_LOG = 10_000;
const MAX_ATTEMPTS_CAP = 20;
const MAX_RECORDING_DELAY_MS = 600_000;

/** Keeps retries finite whatever a test or an operator asks for. */
function bounded(options: DeliveryOptions): DeliveryOptions {
  return {
    ...options,
    maxAttempts: Math.min(Math.max(1, Math.trunc(options.maxAttempts)), MAX_ATTEMPTS_CAP),
    baseDelayMs: Math.max(0, options.baseDelayMs),
    timeoutMs: Math.max(1, options.timeoutMs),
    recordingDelayMs: Math.min(Math.max(0, options.recordingDelayMs), MAX_RECORDING_DELAY_MS),
  };
}

export class Delivery {
  private options: DeliveryOptions;
  private readonly defaults: DeliveryOptions;
  private readonly entries: DeliveryLogEntry[] = [];
  private readonly chains = new Map<string, Promise<void>>();
  /** Events waiting for their moment (a recording being produced). */
  private readonly delayed = new Set<Promise<void>>();
  /** Calls made while `drop` was set: a callback call's later stages stay dropped after it is unset. */
  private readonly droppedCalls = new Set<string>();
  private abort = new AbortController();

  constructor(defaults: DeliveryOptions) {
    this.defaults = bounded(defaults);
    this.options = { ...this.defaults };
  }

  get settings(): DeliveryOptions {
    return { ...this.options };
  }

  configure(patch: Partial<DeliveryOptions>): DeliveryOptions {
    this.options = bounded({ ...this.options, ...patch });
    return this.settings;
  }

  log(): DeliveryLogEntry[] {
    return [...this.entries];
  }

  /** A call is made: under `drop`, every event it ever produces is dropped. */
  callMade(callId: string): void {
    if (this.options.drop) this.droppedCalls.add(callId);
  }

  /** Queues a batch of one call's events behind the call's earlier batches. */
  send(callId: string, events: CallbackEvent[]): void {
    if (events.length === 0) return;
    const options = this.settings;
    if (options.drop || this.droppedCalls.has(callId)) {
      for (const e of events) this.record({ url: e.url, kind: e.kind, callId, attempt: 0, status: 'dropped' });
      return;
    }
    const kept = events.filter((e) => !options.dropKinds.includes(e.kind));
    for (const e of events) {
      if (!kept.includes(e)) this.record({ url: e.url, kind: e.kind, callId, attempt: 0, status: 'dropped' });
    }
    if (kept.length === 0) return;
    const ordered = options.reorder ? [...kept].reverse() : kept;
    const batch = options.duplicate ? ordered.flatMap((e) => [e, e]) : ordered;
    const { signal } = this.abort;
    const previous = this.chains.get(callId) ?? Promise.resolve();
    const chain = previous.then(async () => {
      for (const event of batch) {
        if (signal.aborted) return;
        await this.deliver(event, options, signal);
      }
    });
    this.chains.set(callId, chain);
    void chain.finally(() => {
      if (this.chains.get(callId) === chain) this.chains.delete(callId);
    });
  }

  /** After `delayMs`, makes a call's events with `produce` and sends them (unless reset meanwhile). */
  later(callId: string, delayMs: number, produce: () => CallbackEvent[]): void {
    const pending = sleep(delayMs, undefined, { signal: this.abort.signal }).then(
      () => this.send(callId, produce()),
      () => undefined,
    );
    this.delayed.add(pending);
    void pending.finally(() => this.delayed.delete(pending));
  }

  /** Resolves once every queued event is delivered or given up, delayed ones included. */
  async idle(): Promise<void> {
    // New batches may be queued while we wait; a bound keeps a busy simulator from stalling us forever.
    for (let round = 0; round < 100 && this.chains.size + this.delayed.size > 0; round++) {
      await Promise.allSettled([...this.chains.values(), ...this.delayed]);
    }
  }

  /** Abandons pending deliveries and retries; with `clearLog` also forgets the log and options. */
  reset(clearLog: boolean): void {
    this.abort.abort();
    this.abort = new AbortController();
    this.chains.clear();
    if (clearLog) {
      this.entries.length = 0;
      this.droppedCalls.clear();
      this.options = { ...this.defaults };
    }
  }

  private async deliver(event: CallbackEvent, options: DeliveryOptions, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify(event.payload);
    for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
      const base = { url: event.url, kind: event.kind, callId: event.payload.callId, attempt };
      try {
        const res = await request(event.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
          signal,
        });
        await res.body.dump();
        this.record({ ...base, status: res.statusCode });
        if (res.statusCode >= 200 && res.statusCode < 300) return;
      } catch (error) {
        if (signal.aborted) return;
        this.record({ ...base, status: 'error', error: error instanceof Error ? error.message : String(error) });
      }
      if (attempt < options.maxAttempts) {
        try {
          await sleep(options.baseDelayMs * 2 ** (attempt - 1), undefined, { signal });
        } catch {
          return;
        }
      }
    }
  }

  private record(entry: Omit<DeliveryLogEntry, 'at'>): void {
    this.entries.push({ ...entry, at: Date.now() });
    if (this.entries.length > MAX_LOG) this.entries.shift();
  }
}
