import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

/*
 * Webhook delivery as a platform does it: POST JSON, retry with exponential backoff on a non-2xx
 * answer or a connection failure, give up after maxAttempts. Events of one call go out one after
 * another (each waits for the previous one's retries) so ordering is meaningful; `reorder`,
 * `duplicate` and `drop` break that on purpose for webhook robustness tests, and their `…Rate`
 * siblings do it at random for chaos runs.
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
  /** Chance that an event is sent once more (and, again with this chance, a third time). */
  duplicateRate: number;
  /** Chance that a batch of a call's events is sent shuffled. */
  reorderRate: number;
  /** Chance that an event is never sent (logged as "dropped"). */
  dropRate: number;
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
  duplicateRate: 0,
  reorderRate: 0,
  dropRate: 0,
};

export interface DeliveryLogEntry {
  url: string;
  kind: EventKind;
  callId: string;
  attempt: number;
  /** HTTP status, or "error" (no answer) or "dropped". */
  status: number | 'error' | 'dropped';
  /** The `status` field of a 2xx JSON answer (the webhook's "accepted" or "ignored"). */
  answer?: string;
  error?: string;
  /** Unix milliseconds, wall clock. */
  at: number;
}

const MAX_LOG = 10_000;
const MAX_ATTEMPTS_CAP = 20;
const MAX_RECORDING_DELAY_MS = 600_000;

const rate = (value: number) => Math.min(Math.max(0, value), 1);

/** Keeps retries finite whatever a test or an operator asks for. */
function bounded(options: DeliveryOptions): DeliveryOptions {
  return {
    ...options,
    maxAttempts: Math.min(Math.max(1, Math.trunc(options.maxAttempts)), MAX_ATTEMPTS_CAP),
    baseDelayMs: Math.max(0, options.baseDelayMs),
    timeoutMs: Math.max(1, options.timeoutMs),
    recordingDelayMs: Math.min(Math.max(0, options.recordingDelayMs), MAX_RECORDING_DELAY_MS),
    duplicateRate: rate(options.duplicateRate),
    reorderRate: rate(options.reorderRate),
    dropRate: rate(options.dropRate),
  };
}

export class Delivery {
  private options: DeliveryOptions;
  private readonly defaults: DeliveryOptions;
  private readonly entries: DeliveryLogEntry[] = [];
  /** Attempts by outcome over the simulator's life, unbounded unlike the log: "200 accepted", "503", "error", "dropped". */
  private readonly counts = new Map<string, number>();
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

  /** Delivery attempts by outcome, e.g. { "200 accepted": 812, "503": 4, "dropped": 20 }. */
  totals(): Record<string, number> {
    return Object.fromEntries(this.counts);
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
    const kept = events.filter((e) => !options.dropKinds.includes(e.kind) && !(Math.random() < options.dropRate));
    for (const e of events) {
      if (!kept.includes(e)) this.record({ url: e.url, kind: e.kind, callId, attempt: 0, status: 'dropped' });
    }
    if (kept.length === 0) return;
    const ordered = options.reorder ? [...kept].reverse() : Math.random() < options.reorderRate ? shuffled(kept) : kept;
    const batch = ordered.flatMap((e) => copies(e, options));
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
      this.counts.clear();
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
        const accepted = res.statusCode >= 200 && res.statusCode < 300;
        const answer = accepted ? answerOf(await res.body.text()) : await res.body.dump().then(() => undefined);
        this.record({ ...base, status: res.statusCode, ...(answer ? { answer } : {}) });
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
    const outcome = entry.answer ? `${entry.status} ${entry.answer}` : String(entry.status);
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
    this.entries.push({ ...entry, at: Date.now() });
    if (this.entries.length > MAX_LOG) this.entries.shift();
  }
}

/** One event sent once, or more often under `duplicate` / `duplicateRate` (at most three times at random). */
function copies(event: CallbackEvent, options: DeliveryOptions): CallbackEvent[] {
  if (options.duplicate) return [event, event];
  const sent = [event];
  while (sent.length < 3 && Math.random() < options.duplicateRate) sent.push(event);
  return sent;
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

function answerOf(body: string): string | undefined {
  try {
    const status = (JSON.parse(body) as { status?: unknown }).status;
    return typeof status === 'string' ? status : undefined;
  } catch {
    return undefined;
  }
}
