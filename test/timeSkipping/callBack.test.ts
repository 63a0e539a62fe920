// A callback call whose hangup CDR never comes, over the hour of polling the real-server tests can
// only shorten: the run asks the platform until its polling limit, then ends without the CDR.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities/index.ts';
import { type CallBackInput, callBackStateQuery, callBackWorkflowId } from '../../src/contract/callBack.ts';
import { callBackCall } from '../../src/workflows/callBackCall.ts';
import { phone, recorded, startTimeSkippingStack, type TimeSkippingStack } from './environment.ts';

const HANGUP_TIMEOUT_SECONDS = 600;
const POLL_INTERVAL_SECONDS = 600;
const POLLING_LIMIT_SECONDS = 3600;
let stack: TimeSkippingStack;

// The first run on a machine also builds the test server with Maven (half a minute or more).
beforeAll(async () => {
  stack = await startTimeSkippingStack();
}, 300_000);
afterAll(() => stack?.close());

describe('callBackCall on skipped time', () => {
  it('polls a call the platform never reports ended until the polling limit, then ends call-never-ended', async () => {
    const activities = createActivities({ client: stack.client });
    const statusPolls = recorded(activities.describeCallBackStatus);
    const cdrPolls = recorded(activities.describeCallBackCdr);
    const input: CallBackInput = {
      callKey: `ts-${randomUUID()}`,
      src: phone(),
      dst: phone(),
      hangupTimeoutSeconds: HANGUP_TIMEOUT_SECONDS,
      pollIntervalSeconds: POLL_INTERVAL_SECONDS,
      pollingLimitSeconds: POLLING_LIMIT_SECONDS,
    };
    // Nobody answers in the simulator, so the call stays "created" there: never ended, never a CDR.
    const state = await stack.withWorker(
      { ...activities, describeCallBackStatus: statusPolls.activity, describeCallBackCdr: cdrPolls.activity },
      async (taskQueue) => {
        const handle = await stack.env.client.workflow.start(callBackCall, {
          args: [input],
          taskQueue,
          workflowId: callBackWorkflowId(input.callKey),
        });
        await handle.result();
        return handle.query(callBackStateQuery);
      },
    );

    expect(state).toMatchObject({ status: 'ended', cdrMissing: true, cdrMissingReason: 'call-never-ended' });
    expect(state.callId).toBeTruthy();
    expect(state.cdr).toBeUndefined();
    expect(cdrPolls.scheduledAtMs).toEqual([]);
    // Times in the workflow's clock, which the server skipped forward.
    const createdAtMs = Date.parse(state.createdAt);
    const hangupTimeoutMs = HANGUP_TIMEOUT_SECONDS * 1000;
    const limitMs = hangupTimeoutMs + POLLING_LIMIT_SECONDS * 1000;
    const polls = statusPolls.scheduledAtMs.map((at) => at - createdAtMs);
    // Polling starts once the hangup timeout passed and runs at the interval until the limit.
    expect(polls[0]).toBeGreaterThanOrEqual(hangupTimeoutMs);
    expect(polls.length).toBeGreaterThanOrEqual(POLLING_LIMIT_SECONDS / POLL_INTERVAL_SECONDS);
    expect(polls.length).toBeLessThanOrEqual(POLLING_LIMIT_SECONDS / POLL_INTERVAL_SECONDS + 1);
    const endedAfterMs = Date.parse(state.endedAt ?? '') - createdAtMs;
    expect(endedAfterMs).toBeGreaterThanOrEqual(limitMs);
    expect(endedAfterMs).toBeLessThan(limitMs + POLL_INTERVAL_SECONDS * 1000);
  });
});
