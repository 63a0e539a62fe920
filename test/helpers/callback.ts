import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { expect } from 'vitest';
import { type CallBackInput, callBackStateQuery, callBackWorkflowId } from '../../src/contract/callBack.ts';
import type { Simulator } from '../../src/simulator/server.ts';
import { callBackCall } from '../../src/workflows/callBackCall.ts';
import { phone } from './session.ts';

export async function startCallBack(client: Client, taskQueue: string, input: Partial<CallBackInput> = {}) {
  const callKey = input.callKey ?? `test-${randomUUID()}`;
  const full: CallBackInput = { callKey, src: phone(), dst: phone(), ...input };
  return client.workflow.start(callBackCall, { args: [full], taskQueue, workflowId: callBackWorkflowId(callKey) });
}

type Handle = Awaited<ReturnType<typeof startCallBack>>;

/** The platform's CallId, once CreateCallBack answered. */
export async function callIdOf(handle: Handle): Promise<string> {
  await expect.poll(() => handle.query(callBackStateQuery).then((s) => s.callId), { timeout: 10_000 }).toBeTruthy();
  return (await handle.query(callBackStateQuery)).callId as string;
}

export interface ProgressBody {
  until?: 'caller-ringing' | 'caller-answered' | 'callee-ringing' | 'callee-answered' | 'ended';
  callerOutcome?: 'answered' | 'busy' | 'no-answer' | 'rejected';
  calleeOutcome?: 'answered' | 'busy' | 'no-answer' | 'rejected';
  key?: string;
  durationSeconds?: number;
}

/** Drives the simulated call and waits until its callbacks are delivered. */
export async function progress(sim: Simulator, callId: string, body: ProgressBody) {
  const response = await fetch(`${sim.url}/_sim/callbacks/${callId}/progress`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ durationSeconds: 7, ...body, wait: true }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { Stage: string; AwaitingKey: boolean; CallEndStatus?: string };
}

export async function setDelivery(sim: Simulator, options: { drop: boolean }) {
  const response = await fetch(`${sim.url}/_sim/delivery`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(options),
  });
  expect(response.status).toBe(200);
}

export async function deliveries(sim: Simulator, callId: string): Promise<{ kind: string; status: number | string }[]> {
  const log = (await (await fetch(`${sim.url}/_sim/deliveries?wait`)).json()) as {
    kind: string;
    callId: string;
    status: number | string;
  }[];
  return log.filter((entry) => entry.callId === callId);
}

export interface SimCallBack {
  CallId: string;
  Src: string;
  Dst: string;
  BizId: string | null;
  OrderId: string | null;
  LastCallId: string | null;
  Stage: string;
}

/** Every callback call the simulated platform made. */
export async function simCallBacks(sim: Simulator): Promise<SimCallBack[]> {
  return (await (await fetch(`${sim.url}/_sim/callbacks`)).json()) as SimCallBack[];
}

/** The platform makes the next `action` but answers after `latencyMs`: past the activity's 10 s timeout by default. */
export async function lateAnswer(sim: Simulator, action: string, latencyMs = 11_000) {
  const response = await fetch(`${sim.url}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action, kind: 'late-answer', latencyMs, count: 1 }),
  });
  expect(response.status).toBe(200);
}
