import type { FastifyInstance } from 'fastify';
import {
  type DriverContext,
  OUTCOMES,
  type Outcome,
  type ProgressInput,
  progressCallback,
  simulateSessionCall,
} from './calls.ts';
import { type Delivery, type DeliveryOptions, EVENT_KINDS, type EventKind } from './delivery.ts';
import { AdminFailure, BusinessFailure } from './failures.ts';
import { applyTransportFault, type Faults, parseFaultRule } from './faults.ts';
import { CALLBACK_STAGES, type CallbackStage } from './model.ts';
import { isPhone } from './params.ts';
import { toneWav } from './wav.ts';

/** The test-only admin surface under /_sim: JSON, no authentication. */

export interface AdminOptions {
  ctx: DriverContext;
  faults: Faults;
  delivery: Delivery;
  reset: () => void;
}

type Body = Record<string, unknown>;
/** Fault rules with this action apply to recording downloads. */
const RECORDING_FAULT_ACTION = 'Recording';
const MAX_DURATION_SECONDS = 24 * 3600;

export async function adminPlugin(app: FastifyInstance, options: AdminOptions): Promise<void> {
  const { ctx, faults, delivery } = options;

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof AdminFailure) return reply.code(error.status).send({ error: error.message });
    if (error instanceof BusinessFailure) return reply.code(404).send({ error: error.message });
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    return reply.code(status).send({ error: error instanceof Error ? error.message : String(error) });
  });

  app.post('/_sim/calls', async (request) => {
    const b = body(request.body);
    if (typeof b.virtualNum !== 'string') throw new AdminFailure(400, 'virtualNum must be a string');
    // `party` lets tools that only see masked numbers (the CLI, the demo) dial as A or B.
    const caller = b.party === undefined ? b.caller : partyNumber(ctx, b.virtualNum, b.party, b.bindId);
    if (typeof caller !== 'string' || !isPhone(caller)) throw new AdminFailure(400, 'caller must be a 0086 number');
    const result = simulateSessionCall(ctx, {
      virtualNum: b.virtualNum,
      caller,
      outcome: outcome(b.outcome, 'outcome') ?? 'answered',
      durationSeconds: duration(b.durationSeconds),
    });
    if (b.wait === true) await delivery.idle();
    return result;
  });

  app.post<{ Params: { callId: string } }>('/_sim/callbacks/:callId/progress', async (request) => {
    const b = body(request.body);
    if (b.until !== undefined && !CALLBACK_STAGES.includes(b.until as CallbackStage)) {
      throw new AdminFailure(400, `until must be one of ${CALLBACK_STAGES.join(', ')}`);
    }
    if (b.key !== undefined && typeof b.key !== 'string') throw new AdminFailure(400, 'key must be a string');
    const input: ProgressInput = {
      until: (b.until as CallbackStage | undefined) ?? 'ended',
      callerOutcome: outcome(b.callerOutcome, 'callerOutcome') ?? 'answered',
      calleeOutcome: outcome(b.calleeOutcome, 'calleeOutcome') ?? 'answered',
      durationSeconds: duration(b.durationSeconds),
    };
    if (typeof b.key === 'string') input.key = b.key;
    const result = progressCallback(ctx, request.params.callId, input);
    if (b.wait === true) await delivery.idle();
    return result;
  });

  app.get<{ Params: { file: string } }>('/_sim/recordings/:file', async (request, reply) => {
    const callId = request.params.file.replace(/\.wav$/, '');
    if (!request.params.file.endsWith('.wav') || !ctx.state.recordings.has(callId)) {
      throw new AdminFailure(404, 'no such recording');
    }
    // The recording store fails like the API does, under the fault action "Recording".
    const fault = faults.take(RECORDING_FAULT_ACTION);
    if (await applyTransportFault(fault, request, reply)) return reply;
    ctx.state.logRequest({ action: 'RecordingDownload', CallId: callId });
    return reply.type('audio/wav').send(toneWav(callId));
  });

  app.get('/_sim/bindings', async () =>
    ctx.state.activeBindings().map((b) => ({
      BindId: b.bindId,
      VirtualNum: b.virtualNum,
      RefNum: b.refNum,
      mode: b.mode,
      Src: b.src ?? null,
      Dst: b.dst,
      AccreditList: b.accreditList,
      BizIds: b.bizIds,
      Record: b.record,
      StatusFlag: b.statusFlag,
      expiresAt: Math.floor(b.expiresAt / 1000),
    })),
  );

  // Fast-forwards the platform's own unbinding: a chaos run does not wait out a MaxAssignTime.
  app.post('/_sim/bindings/expire', async (request) => {
    const until = body(request.body).until;
    if (typeof until !== 'number' || !Number.isFinite(until)) throw new AdminFailure(400, 'until must be unix seconds');
    return { released: ctx.state.expireUntil(until * 1000) };
  });

  // Every callback call the platform made, e.g. to check that a caller was rung once.
  app.get('/_sim/callbacks', async () =>
    [...ctx.state.callbacks.values()].map((c) => ({
      CallId: c.callId,
      Src: c.src,
      Dst: c.dst,
      BizId: c.bizId ?? null,
      OrderId: c.orderId ?? null,
      LastCallId: c.lastCallId ?? null,
      Stage: c.stage,
    })),
  );

  app.get('/_sim/cdrs', async () => {
    ctx.state.forgetExpiredCdrs();
    return { session: ctx.state.sessionCdrs, callback: ctx.state.callbackCdrs };
  });

  app.get<{ Querystring: { wait?: string } }>('/_sim/deliveries', async (request) => {
    if (request.query.wait !== undefined) await delivery.idle();
    return delivery.log();
  });

  app.get('/_sim/delivery', async () => delivery.settings);

  // Counters a chaos run checks at the end: unbounded, unlike the logs.
  app.get('/_sim/stats', async () => ({
    activeBindings: ctx.state.activeBindings().length,
    binds: [...ctx.state.bindsPerBizId.values()].reduce((sum, n) => sum + n, 0),
    doubleBinds: [...ctx.state.bindsPerBizId].filter(([, n]) => n > 1).map(([bizId, n]) => ({ bizId, binds: n })),
    deliveries: delivery.totals(),
  }));

  // Every API request and recording download, in order (ids only): e.g. a recording fetched before DelVirtualNum.
  app.get('/_sim/requests', async () => ctx.state.requestLog);
  app.post('/_sim/delivery', async (request) => delivery.configure(deliveryPatch(body(request.body))));

  app.get('/_sim/faults', async () => faults.list());
  app.post('/_sim/faults', async (request) => {
    faults.add(parseFaultRule(request.body));
    return faults.list();
  });
  app.delete('/_sim/faults', async () => {
    faults.clear();
    return [];
  });

  app.post('/_sim/reset', async () => {
    options.reset();
    return { ok: true };
  });
}

function body(value: unknown): Body {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new AdminFailure(400, 'body must be a JSON object');
  return value as Body;
}

function outcome(value: unknown, name: string): Outcome | undefined {
  if (value === undefined) return undefined;
  if (!OUTCOMES.includes(value as Outcome))
    throw new AdminFailure(400, `${name} must be one of ${OUTCOMES.join(', ')}`);
  return value as Outcome;
}

function duration(value: unknown): number {
  if (value === undefined) return 60;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_DURATION_SECONDS) {
    throw new AdminFailure(400, `durationSeconds must be an integer within 0..${MAX_DURATION_SECONDS}`);
  }
  return value as number;
}

function deliveryPatch(b: Body): Partial<DeliveryOptions> {
  const patch: Partial<DeliveryOptions> = {};
  for (const key of ['maxAttempts', 'baseDelayMs', 'timeoutMs', 'recordingDelayMs'] as const) {
    const value = b[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new AdminFailure(400, `${key} must be a number ≥ 0`);
    patch[key] = value;
  }
  for (const key of ['duplicateRate', 'reorderRate', 'dropRate'] as const) {
    const value = b[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value >= 0 && value <= 1))
      throw new AdminFailure(400, `${key} must be within 0..1`);
    patch[key] = value;
  }
  for (const key of ['duplicate', 'reorder', 'drop'] as const) {
    const value = b[key];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw new AdminFailure(400, `${key} must be a boolean`);
    patch[key] = value;
  }
  if (b.dropKinds !== undefined) {
    const kinds = b.dropKinds;
    if (!Array.isArray(kinds) || !kinds.every((kind) => EVENT_KINDS.includes(kind as EventKind))) {
      throw new AdminFailure(400, `dropKinds must be a list of ${EVENT_KINDS.join(', ')}`);
    }
    patch.dropKinds = kinds as EventKind[];
  }
  return patch;
}

/**
 * The number of side A (src) or B (dst) of the binding on `virtualNum`: the one named by `bindId`, or
 * the only one, since AXB pairs share numbers.
 */
function partyNumber(ctx: DriverContext, virtualNum: string, party: unknown, bindId: unknown): string | undefined {
  if (party !== 'A' && party !== 'B') throw new AdminFailure(400, 'party must be A or B');
  if (bindId !== undefined && typeof bindId !== 'string') throw new AdminFailure(400, 'bindId must be a string');
  const candidates = ctx.state.bindingsOfNumber(virtualNum).filter((b) => bindId === undefined || b.bindId === bindId);
  if (candidates.length > 1) throw new AdminFailure(400, 'virtual number is shared by several bindings: give bindId');
  const [binding] = candidates;
  if (!binding) throw new AdminFailure(404, 'virtual number is not bound');
  const number = party === 'A' ? binding.src : binding.dst;
  if (number === undefined) throw new AdminFailure(400, 'an XB binding has no side A: give caller');
  return number;
}
