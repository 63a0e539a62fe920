import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { expect } from 'vitest';
import { type Activities, createActivities } from '../../src/activities/index.ts';
import {
  type CallHangupEvent,
  type CallRecordingEvent,
  type CallStatusEvent,
  callHangupSignal,
  callRecordingSignal,
  callStatusSignal,
  type SessionInput,
  type SessionState,
  sessionStateQuery,
  sessionWorkflowId,
} from '../../src/contract/session.ts';
import { parseCallback, signalParsed } from '../../src/npp/callbacks/events.ts';
import { NppClient } from '../../src/npp/client.ts';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/server.ts';
import { maskedCallSession } from '../../src/workflows/maskedCallSession.ts';

export const SECRET_ID = 'AKIDsessiontests';
export const SECRET_KEY = 'session-test-secret-key';
export const BIZ_APP_ID = '1400000042';

/** Random, valid 0086 mobile numbers: no two tests share a participant. */
export function phone(): string {
  return `00861${3 + Math.floor(Math.random() * 7)}${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
}

export interface NppStack {
  sim: Simulator;
  client: NppClient;
  /** Every activity the worker registers; recording archiving is off. */
  activities: Activities;
  close(): Promise<void>;
}

/** The simulator over HTTP and the activities built on the real client pointed at it. */
export async function startNppStack(options: Partial<SimulatorOptions> = {}): Promise<NppStack> {
  const sim = await startSimulator({
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    ...options,
    // Recordings ready at the hangup unless a test asks for the platform's delay.
    delivery: { baseDelayMs: 20, recordingDelayMs: 0, ...options.delivery },
  });
  const client = new NppClient({
    endpoint: sim.url,
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    bizAppId: BIZ_APP_ID,
  });
  return {
    sim,
    client,
    activities: createActivities({ client }),
    async close() {
      await client.close();
      await sim.close();
    },
  };
}

export interface SimBinding {
  BindId: string;
  VirtualNum: string;
  RefNum: number;
}

export async function simBindings(sim: Simulator): Promise<SimBinding[]> {
  const response = await fetch(`${sim.url}/_sim/bindings`);
  return (await response.json()) as SimBinding[];
}

/** The leak check: nothing of this test left bound on the platform. */
export async function expectNoBindings(sim: Simulator): Promise<void> {
  expect(await simBindings(sim)).toEqual([]);
}

/** Adds a fault rule to the simulator (see /_sim/faults in docs/callbacks.md). */
export async function addFault(sim: Simulator, rule: object): Promise<void> {
  const response = await fetch(`${sim.url}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rule),
  });
  expect(response.status).toBe(200);
}

export async function startSession(client: Client, taskQueue: string, input: Partial<SessionInput>) {
  const sessionKey = input.sessionKey ?? `test-${randomUUID()}`;
  // No drain and no wait for calls or recordings before unbinding, unless a test asks for them.
  const full = {
    sessionKey,
    mode: 'AXB',
    dst: phone(),
    drainSeconds: 0,
    recordingWaitSeconds: 0,
    ...input,
  } as SessionInput;
  return client.workflow.start(maskedCallSession, {
    args: [full],
    taskQueue,
    workflowId: sessionWorkflowId(sessionKey),
  });
}

/**
 * A recorded call through the bound session's number, its recording event signalled exactly as the
 * webhook turns the platform's callback into a signal; answers the call's CallId and recording URL.
 */
export async function recordedSessionCall(
  sim: Simulator,
  handle: WorkflowHandle,
  caller: string,
  durationSeconds = 5,
): Promise<{ callId: string; recordUrl: string }> {
  const { virtualNum, bindId } = await handle.query(sessionStateQuery);
  const response = await fetch(`${sim.url}/_sim/calls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ virtualNum, caller, durationSeconds }),
  });
  const call = (await response.json()) as { CallId: string; RecordUrl: string };
  const parsed = parseCallback('record', { callId: call.CallId, bindId, recordUrl: call.RecordUrl });
  await signalParsed(handle, parsed);
  return { callId: call.CallId, recordUrl: call.RecordUrl };
}

/** The events the webhook would signal for one answered call, with content-derived ids. */
export function answeredCallEvents(call: {
  callId: string;
  bindId: string;
  caller: string;
  callee: string;
  start: number;
  talkSeconds: number;
  recordUrl?: string;
}) {
  const { callId, bindId, caller, callee, start } = call;
  const end = start + 2 + call.talkSeconds;
  const status = (callStatus: number, timestamp: number): CallStatusEvent => ({
    eventId: `${callId}-status-${callStatus}`,
    callId,
    bindId,
    callStatus,
    timestamp,
    caller,
    callee,
  });
  const hangup: CallHangupEvent = {
    eventId: `${callId}-hangup`,
    callId,
    bindId,
    caller,
    callee,
    callCenterAcceptTime: start,
    startDstCallTime: start,
    startDstRingTime: start + 1,
    dstAcceptTime: start + 2,
    endCallTime: end,
    callEndStatus: 1,
    srcDuration: end - start,
    dstDuration: call.talkSeconds,
    ...(call.recordUrl ? { recordUrl: call.recordUrl } : {}),
  };
  const recording: CallRecordingEvent | undefined = call.recordUrl
    ? { eventId: `${callId}-record`, callId, bindId, recordUrl: call.recordUrl }
    : undefined;
  return {
    statuses: [
      status(1, start),
      status(256, start),
      status(512, start + 1),
      status(1024, start + 2),
      status(4096, end),
    ],
    hangup,
    recording,
  };
}

/** A session's state once it has bound: its binding's ids are known. */
export type BoundSessionState = SessionState & { bindId: string; virtualNum: string };

/**
 * Waits until the session has bound (its `state` query names a BindId) and answers that state.
 * The default wait covers a bind retried a few times; lost answers need a longer `timeout`.
 */
export async function waitUntilBound(
  handle: Pick<WorkflowHandle, 'query'>,
  { timeout = 15_000 } = {},
): Promise<BoundSessionState> {
  await expect.poll(() => handle.query(sessionStateQuery).then((s) => s.bindId), { timeout }).toBeTruthy();
  return (await handle.query(sessionStateQuery)) as BoundSessionState;
}

/** Signals one call's events in the given order (a list of thunks), as the webhook would. */
export async function deliver(
  handle: WorkflowHandle,
  events: ReturnType<typeof answeredCallEvents>,
  order: 'clean' | 'reversed' | 'duplicated' = 'clean',
) {
  const sends: (() => Promise<void>)[] = [
    ...events.statuses.map((event) => () => handle.signal(callStatusSignal, event)),
    () => handle.signal(callHangupSignal, events.hangup),
    ...(events.recording ? [() => handle.signal(callRecordingSignal, events.recording as CallRecordingEvent)] : []),
  ];
  const sequence =
    order === 'reversed'
      ? [...sends].reverse()
      : order === 'duplicated'
        ? [...sends, ...sends, sends[0] as () => Promise<void>]
        : sends;
  for (const send of sequence) await send();
}
