import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminFailure } from './failures.ts';

/*
 * Fault injection on the API surface, per action ("*" = every action). A rule fires either on the
 * next `count` requests or at random with probability `rate`; the first rule that fires wins.
 */

export const FAULT_KINDS = [
  '5xx',
  'RequestLimitExceeded',
  'late-answer',
  'InternalError',
  'latency',
  'drop-connection',
  'business',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  action: string;
  kind: FaultKind;
  rate?: number;
  count?: number;
  latencyMs?: number;
  /** ErrorCode for kind "business" (default: the InternalPlatformError code). */
  errorCode?: string;
}

const MAX_RULES = 100;
const MAX_LATENCY_MS = 60_000;

export function parseFaultRule(body: unknown): FaultRule {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b.action !== 'string' || b.action === '') throw new AdminFailure(400, 'action must be a non-empty string');
  if (!FAULT_KINDS.includes(b.kind as FaultKind))
    throw new AdminFailure(400, `kind must be one of ${FAULT_KINDS.join(', ')}`);
  const rule: FaultRule = { action: b.action, kind: b.kind as FaultKind };
  if (b.count !== undefined) {
    if (!Number.isInteger(b.count) || (b.count as number) < 1)
      throw new AdminFailure(400, 'count must be a positive integer');
    rule.count = b.count as number;
  } else if (b.rate !== undefined) {
    if (typeof b.rate !== 'number' || b.rate < 0 || b.rate > 1) throw new AdminFailure(400, 'rate must be within 0..1');
    rule.rate = b.rate;
  } else {
    throw new AdminFailure(400, 'give count (next N requests) or rate (0..1)');
  }
  if (b.latencyMs !== undefined) {
    if (typeof b.latencyMs !== 'number' || b.latencyMs < 0 || b.latencyMs > MAX_LATENCY_MS) {
      throw new AdminFailure(400, `latencyMs must be within 0..${MAX_LATENCY_MS}`);
    }
    rule.latencyMs = b.latencyMs;
  }
  if (b.errorCode !== undefined) {
    if (typeof b.errorCode !== 'string' || b.errorCode === '' || b.errorCode === '0') {
      throw new AdminFailure(400, 'errorCode must be a non-zero code string');
    }
    rule.errorCode = b.errorCode;
  }
  return rule;
}

export class Faults {
  private rules: FaultRule[] = [];

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  add(rule: FaultRule): void {
    if (this.rules.length >= MAX_RULES) throw new AdminFailure(400, `at most ${MAX_RULES} fault rules`);
    this.rules.push(rule);
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault for this request of `action`, consuming one use of a counted rule. */
  take(action: string): FaultRule | undefined {
    const rule = this.rules.find(
      (r) => (r.action === action || r.action === '*') && (r.count !== undefined || Math.random() < (r.rate ?? 0)),
    );
    if (rule?.count !== undefined) {
      rule.count -= 1;
      if (rule.count === 0) this.rules = this.rules.filter((r) => r !== rule);
    }
    return rule;
  }
}

/**
 * The transport side of a fault, shared by the API and the recording store: a delay (after which a
 * request whose caller left is dropped unprocessed, like behind a gateway), a dropped connection,
 * a 503. True when the fault answered or abandoned the request, so the handler must stop.
 */
export async function applyTransportFault(
  fault: FaultRule | undefined,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<boolean> {
  if (fault?.kind === 'latency') {
    await sleep(fault.latencyMs ?? 1000);
    if (request.socket.destroyed) {
      reply.hijack();
      return true;
    }
  }
  if (fault?.kind === 'drop-connection') {
    reply.hijack();
    request.raw.socket.destroy();
    return true;
  }
  if (fault?.kind === '5xx') {
    await reply.code(503).type('text/plain').send('Service Unavailable');
    return true;
  }
  return false;
}
