import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_WORKFLOW_CACHE_SIZE, loadWorkerConfig } from '../../src/worker.ts';
import { raceSignal, raceStateQuery } from '../fixtures/queryRaceWorkflows.ts';
import { type NodeProcess, spawnNode } from '../helpers/process.ts';
import { connectClient, TEST_CODEC_KEYS, testDataConverter } from '../helpers/temporal.ts';

// The SDK's query race (docs/reliability.md): a worker that does not hold a run answers a query sent
// while the run has a workflow task pending, and applies that task's events (here an activity's
// result) to answer it. A worker that keeps the run in memory afterwards then takes the task with the
// events that came later (a signal) as if they came after: it records the main code's command before
// the signal handler's, while any replay runs the signal handler first. The chaos run hit this after
// a killed worker. The product's workers keep no run in memory, so their histories replay.

let client: Client;
let dir: string;

beforeAll(async () => {
  client = await connectClient();
  dir = mkdtempSync(join(tmpdir(), 'npp-query-race-'));
});

afterAll(async () => {
  await client.connection.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs the race: a first worker starts the activity and is killed; a query goes out; the activity
 * completes while the query waits for the dead worker's sticky queue; a second worker keeping
 * `cacheSize` runs answers the query, then a signal comes. Answers what the query saw and whether the
 * history replays.
 */
async function race(cacheSize: number): Promise<{ queryAnswer: string; replayError?: string }> {
  const taskQueue = `race-${randomUUID()}`;
  const tokenFile = join(dir, `${taskQueue}.token`);
  const first: NodeProcess = spawnNode('test/fixtures/queryRaceWorker.ts', {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    NPP_CODEC_KEYS: TEST_CODEC_KEYS,
    RACE_TASK_QUEUE: taskQueue,
    RACE_BUNDLE_PATH: inject('workflowBundlePath'),
    RACE_TOKEN_FILE: tokenFile,
  });
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  try {
    const handle = await client.workflow.start('queryRaceWorkflow', { taskQueue, workflowId: taskQueue });
    let token: string | undefined;
    for (let i = 0; i < 300 && !token; i++) {
      await sleep(100);
      token = readToken(tokenFile);
    }
    if (!token) throw new Error(`the first worker never started the activity:\n${first.output()}`);
    first.kill();
    await first.exited;

    const second = await Worker.create({
      connection,
      namespace: inject('temporalNamespace'),
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      dataConverter: testDataConverter(),
      maxCachedWorkflows: cacheSize,
      activities: { async raceActivity() {} },
    });
    return await second.runUntil(async () => {
      // Sent to the dead worker's sticky queue first; meanwhile the activity completes.
      const answering = handle.query(raceStateQuery);
      await sleep(1000);
      await client.activity.complete(Buffer.from(token, 'base64'), undefined);
      const queryAnswer = await answering;
      await handle.signal(raceSignal);
      await handle.result();
      const history = await handle.fetchHistory();
      try {
        await Worker.runReplayHistory(
          { workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: testDataConverter() },
          history,
        );
        return { queryAnswer };
      } catch (error) {
        return { queryAnswer, replayError: (error as Error).message };
      }
    });
  } finally {
    first.kill();
    await connection.close();
  }
}

function readToken(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8') || undefined;
  } catch {
    return undefined;
  }
}

describe('a query answered while a workflow task is pending', () => {
  it('leaves a history that replays with the product workers’ cache setting', async () => {
    const { queryAnswer, replayError } = await race(DEFAULT_WORKFLOW_CACHE_SIZE);
    // The query saw the activity's result before any workflow task took it: the race happened.
    expect(queryAnswer).toBe('activity done');
    expect(replayError).toBeUndefined();
  });

  it('leaves a history no replay accepts when the worker keeps runs in memory (the SDK defect this avoids)', async () => {
    const { queryAnswer, replayError } = await race(100);
    expect(queryAnswer).toBe('activity done');
    expect(replayError).toMatch(/TMPRL1100|[Nn]ondetermin/);
  });
});

describe('NPP_WORKFLOW_CACHE_SIZE', () => {
  it('keeps no run in memory unless a deployment asks, and names the variable when it is not a count', () => {
    expect(loadWorkerConfig({}).workflowCacheSize).toBe(0);
    expect(loadWorkerConfig({ NPP_WORKFLOW_CACHE_SIZE: ' 500 ' }).workflowCacheSize).toBe(500);
    for (const value of ['-1', 'many', '1.5', '100000'])
      expect(() => loadWorkerConfig({ NPP_WORKFLOW_CACHE_SIZE: value })).toThrow(/^NPP_WORKFLOW_CACHE_SIZE /);
  });
});
