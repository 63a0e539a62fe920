// The product as a newcomer meets it: `npm start` (src/main.ts) in one process, then `npm run demo`
// and the `npp-temporal` CLI in others, all as child processes over real sockets.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SessionState } from '../../src/contract/session.ts';
import { freePort } from '../../src/temporal/devServer.ts';
import { phone } from '../helpers/session.ts';
import { TEST_CODEC_KEYS } from '../helpers/temporal.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let main: ChildProcess;
let mainOutput = '';
let env: NodeJS.ProcessEnv;

function run(script: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      { env: { ...env, ...extraEnv }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}
const cli = (...args: string[]) => run('bin/npp-temporal.mjs', args);

beforeAll(async () => {
  const [simPort, webhookPort] = [await freePort(), await freePort()];
  env = {
    ...process.env,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    NPP_TASK_QUEUE: `product-${randomUUID()}`,
    NPP_CODEC_KEYS: TEST_CODEC_KEYS,
    NPP_SIM_PORT: String(simPort),
    NPP_SIM_URL: `http://127.0.0.1:${simPort}`,
    WEBHOOK_PORT: String(webhookPort),
    NPP_ARCHIVE_DIR: await mkdtemp(join(tmpdir(), 'npp-archive-')),
    LOG_LEVEL: 'warn',
  };
  main = spawn(process.execPath, ['src/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  main.stdout?.on('data', (chunk) => {
    mainOutput += chunk;
  });
  main.stderr?.on('data', (chunk) => {
    mainOutput += chunk;
  });
  const deadline = Date.now() + 100_000;
  while (!mainOutput.includes('ready')) {
    if (main.exitCode !== null || Date.now() > deadline)
      throw new Error(`npm start did not reach ready:\n${mainOutput}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 120_000);

afterAll(() => {
  if (main.exitCode === null) main.kill('SIGKILL');
});

describe('npm start (embedded default)', () => {
  it('prints where everything is and what to try', () => {
    expect(mainOutput).toContain(`Temporal:     ${inject('temporalAddress')}`);
    expect(mainOutput).toMatch(/Webhook:\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(mainOutput).toContain(`Simulator:    ${env.NPP_SIM_URL}`);
    expect(mainOutput).toContain('npm run demo');
  });

  it('npm run demo prints a closed session with two calls and two recordings, and its UI link', async () => {
    const demo = await run('src/demo.ts', []);
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/Session demo-\w+: closed \(closed-by-app\), 2 calls, 2 recordings/);
    expect(demo.stdout).toMatch(
      /Temporal UI: http:\/\/127\.0\.0\.1:8233\/namespaces\/default\/workflows\/npp-session-demo-\w+\/[\w-]+\/history/,
    );
    // The session's key is spent: starting it again answers the finished run, binding nothing.
    const [, demoKey, demoRunId] = /workflows\/npp-session-(demo-\w+)\/([\w-]+)\/history/.exec(demo.stdout) ?? [];
    const again = await cli(
      'session',
      'start',
      '--key',
      demoKey as string,
      '--src',
      phone(),
      '--dst',
      phone(),
      '--json',
    );
    expect(JSON.parse(again.stdout).runId).toBe(demoRunId);
    // Both recordings were archived where NPP_ARCHIVE_DIR says, with the checksum the demo shows.
    const archived = [...demo.stdout.matchAll(/archived {2}(\S+) \((\d+) bytes, sha256 ([0-9a-f]{64})\)/g)];
    expect(archived).toHaveLength(2);
    for (const [, location, , sha256] of archived) {
      expect(location?.startsWith(env.NPP_ARCHIVE_DIR as string)).toBe(true);
      expect(
        createHash('sha256')
          .update(await readFile(location as string))
          .digest('hex'),
      ).toBe(sha256);
    }
    // Participants (the demo's 0086138… numbers) appear masked only.
    expect(demo.stdout).not.toMatch(/0086138\d{8}/);
    expect(demo.stdout).toMatch(/0086138\*{4}\d{4}/);
  });
});

describe('npp-temporal CLI against the embedded default', () => {
  it('drives a full session: start, calls, show, extend, list, close', async () => {
    const key = `cli-${randomUUID().slice(0, 8)}`;
    const [src, dst] = [phone(), phone()];
    const started = await cli(
      'session',
      'start',
      '--key',
      key,
      '--src',
      src,
      '--dst',
      dst,
      '--record',
      '--recording-wait',
      '30',
      '--wait',
      '--json',
    );
    expect(started.stderr).toBe('');
    // --wait: the answer carries the binding.
    const { runId, bindId, virtualNum } = JSON.parse(started.stdout) as Record<string, string>;
    // Starting the same key again finds the running session instead of failing.
    const again = await cli('session', 'start', '--key', key, '--src', src, '--dst', dst, '--json');
    expect(JSON.parse(again.stdout).runId).toBe(runId);

    let state = JSON.parse((await cli('session', 'show', key, '--json')).stdout) as SessionState;
    expect({ bindId, virtualNum }).toEqual({ bindId: state.bindId, virtualNum: state.virtualNum });
    expect(virtualNum).toBeTruthy();

    const callA = await cli('sim', 'call', '--session', key, '--from', 'A', '--duration', '31');
    expect(callA.code).toBe(0);
    expect(callA.stdout).toMatch(/call:\s+\S+/);
    expect(callA.stdout).not.toContain(src);
    const callB = await cli('sim', 'call', '--session', key, '--from', 'B', '--json');
    expect(JSON.parse(callB.stdout).Forwarded).toBe(true);

    for (let attempt = 0; attempt < 50; attempt++) {
      state = JSON.parse((await cli('session', 'show', key, '--json')).stdout) as SessionState;
      if (state.calls.filter((call) => call.state === 'ended' && call.recordUrl).length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(state?.calls.map((call) => [call.state, !!call.recordUrl])).toEqual([
      ['ended', true],
      ['ended', true],
    ]);

    const shown = await cli('session', 'show', key);
    expect(shown.stdout).toMatch(/status:\s+in-progress/);
    expect(shown.stdout).toContain(`${dst.slice(0, 7)}****${dst.slice(-4)}`);
    expect(shown.stdout).not.toContain(dst);

    const extended = await cli('session', 'extend', key, '--seconds', '600', '--json');
    expect(Date.parse(JSON.parse(extended.stdout).expiresAt)).toBeGreaterThan(Date.parse(state?.expiresAt ?? ''));

    let listed = '';
    for (let attempt = 0; attempt < 50 && !listed.includes(key); attempt++) {
      listed = (await cli('session', 'list', '--status', 'in-progress')).stdout;
      if (!listed.includes(key)) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(listed).toContain(`npp-session-${key}`);
    expect((await cli('session', 'list', '--status', 'closing')).code).toBe(0);

    // --wait answers once the session is closed: its calls ended and recordings came, so it unbound.
    const closed = await cli('session', 'close', key, '--wait', '--json');
    expect(closed.stderr).toBe('');
    expect(JSON.parse(closed.stdout)).toMatchObject({ status: 'closed', closedReason: 'closed-by-app' });
    const bindings = (await (await fetch(`${env.NPP_SIM_URL}/_sim/bindings`)).json()) as { BindId: string }[];
    expect(bindings.map((binding) => binding.BindId)).not.toContain(state?.bindId);
    expect((await cli('session', 'show', key)).stdout).toMatch(/status:\s+closed \(closed-by-app\)/);

    // Closing twice is idempotent: the same closed state, no error.
    const twice = await cli('session', 'close', key, '--json');
    expect(twice.code).toBe(0);
    expect(JSON.parse(twice.stdout)).toMatchObject({ status: 'closed', closedReason: 'closed-by-app' });

    // Extending a closed session is refused by the workflow with its reason, not a crash.
    const late = await cli('session', 'extend', key, '--seconds', '60');
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/^npp-temporal: refused: /);
  });

  it('shares an XB number with add-ref and release-ref; the last release ends the session refnum-zero', async () => {
    const key = `xb-${randomUUID().slice(0, 8)}`;
    const started = await cli(
      'session',
      'start',
      '--key',
      key,
      '--mode',
      'XB',
      '--dst',
      phone(),
      '--ttl-mode',
      'sliding',
    );
    expect(started.stderr).toBe('');
    const show = () => cli('session', 'show', key, '--json').then((shown) => JSON.parse(shown.stdout));
    let state = await show();
    for (let attempt = 0; attempt < 50 && !state.virtualNum; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      state = await show();
    }
    expect(state.ttlMode).toBe('sliding');
    const added = await cli('session', 'add-ref', key, '--json');
    expect(added.stderr).toBe('');
    expect(JSON.parse(added.stdout)).toEqual({ heldReferences: 2, platformRefNum: 2 });
    const shown = await cli('session', 'show', key);
    expect(shown.stdout).toMatch(/references:\s+2/);
    expect(shown.stdout).toMatch(/expires:\s+\S+ \(sliding\)/);
    expect((await cli('session', 'release-ref', key)).stdout).toMatch(/references:\s+1/);
    expect(JSON.parse((await cli('session', 'release-ref', key, '--json')).stdout)).toMatchObject({
      heldReferences: 0,
    });
    for (let attempt = 0; attempt < 50 && state.status !== 'closed'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      state = await show();
    }
    expect(state).toMatchObject({ status: 'closed', closedReason: 'refnum-zero' });
    const refused = await cli('session', 'add-ref', key);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/the session is not open/);
  });

  it('passes every GetVirtualNum field a user may set: assigned number, city, StatusFlag, BizAppId', async () => {
    const key = `fields-${randomUUID().slice(0, 8)}`;
    const assigned = '008617000000020'; // a number of city 010 in the default pool
    const started = await cli(
      'session',
      'start',
      '--key',
      key,
      '--mode',
      'XB',
      '--dst',
      phone(),
      '--assign',
      assigned,
      '--city',
      '010',
      '--status-flag',
      '3',
      '--biz-app-id',
      '1400009999',
    );
    expect(started.stderr).toBe('');
    const binding = async () => {
      const all = (await (await fetch(`${env.NPP_SIM_URL}/_sim/bindings`)).json()) as {
        VirtualNum: string;
        StatusFlag: number;
      }[];
      return all.find((candidate) => candidate.VirtualNum === assigned);
    };
    for (let attempt = 0; attempt < 50 && !(await binding()); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await binding()).toMatchObject({ StatusFlag: 3 });
    const requests = (await (await fetch(`${env.NPP_SIM_URL}/_sim/requests`)).json()) as {
      action: string;
      BizAppId?: string;
    }[];
    expect(requests).toContainEqual(expect.objectContaining({ action: 'GetVirtualNum', BizAppId: '1400009999' }));
    await cli('session', 'close', key, '--wait');
    expect(await binding()).toBeUndefined();
  });

  it('passes every CreateCallBack field a user may set: BizId, LastCallId, StatusFlag, the IVR', async () => {
    const key = `cbfields-${randomUUID().slice(0, 8)}`;
    const ivr = join(await mkdtemp(join(tmpdir(), 'npp-ivr-')), 'ivr.json');
    const handle = { readPrompt: 'welcome', interruptPrompt: 'press 1', keyList: [{ key: '1', operate: 1 }] };
    await writeFile(ivr, JSON.stringify(handle));
    const bizId = `biz${randomUUID().slice(0, 8)}`;
    const started = await cli(
      'callback',
      'start',
      '--key',
      key,
      '--src',
      phone(),
      '--dst',
      phone(),
      '--biz-id',
      bizId,
      '--last-call-id',
      'earlier-call-1',
      '--status-flag',
      '16191',
      '--ivr',
      ivr,
    );
    expect(started.stderr).toBe('');
    const made = async () => {
      const calls = (await (await fetch(`${env.NPP_SIM_URL}/_sim/callbacks`)).json()) as {
        CallId: string;
        BizId?: string;
        LastCallId?: string;
      }[];
      return calls.find((call) => call.BizId === bizId);
    };
    for (let attempt = 0; attempt < 50 && !(await made()); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const call = await made();
    expect(call).toMatchObject({ LastCallId: 'earlier-call-1' });
    // The IVR holds the call at the caller until a key is pressed.
    const progress = await fetch(`${env.NPP_SIM_URL}/_sim/callbacks/${call?.CallId}/progress`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ until: 'ended' }),
    });
    expect(await progress.json()).toMatchObject({ Stage: 'caller-answered', AwaitingKey: true });
    await cli('callback', 'cancel', key);
  });

  it('refuses invalid flags before starting anything, naming the field and masking numbers', async () => {
    const key = `bad-${randomUUID().slice(0, 8)}`;
    const dst = phone();
    const refused = await cli('session', 'start', '--key', key, '--mode', 'XB', '--dst', dst, '--status-flag', '64');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/invalid input: statusFlag must be a sum of the StatusFlag bits/);
    expect((await cli('session', 'show', key)).code).toBe(3);
    const ivr = join(await mkdtemp(join(tmpdir(), 'npp-ivr-')), 'ivr.json');
    await writeFile(
      ivr,
      JSON.stringify({ readPrompt: 'hi', interruptPrompt: 'press 1', keyList: [{ key: 'X', operate: 1 }] }),
    );
    const badIvr = await cli('callback', 'start', '--key', key, '--src', phone(), '--dst', dst, '--ivr', ivr);
    expect(badIvr.code).toBe(2);
    expect(badIvr.stderr).toMatch(/invalid input: .*key/i);
    expect(badIvr.stderr).not.toContain(dst);
  });

  it('runs callback calls: start, progress on the simulator, show; cancel', async () => {
    const key = `cb-${randomUUID().slice(0, 8)}`;
    const [src, dst] = [phone(), phone()];
    const started = await cli('callback', 'start', '--key', key, '--src', src, '--dst', dst, '--record', '--json');
    expect(started.stderr).toBe('');
    expect(JSON.parse(started.stdout).workflowId).toBe(`npp-callback-${key}`);
    const callState = () => cli('callback', 'show', key, '--json').then((shown) => JSON.parse(shown.stdout));
    let state = await callState();
    for (let attempt = 0; attempt < 50 && !state.callId; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      state = await callState();
    }
    const progressed = await cli('sim', 'progress', '--call', key, '--until', 'ended', '--duration', '12');
    expect(progressed.stderr).toBe('');
    for (let attempt = 0; attempt < 50 && state.status !== 'ended'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      state = await callState();
    }
    expect(state).toMatchObject({ status: 'ended', cdr: { duration: 12, source: 'webhook' } });
    const shown = await cli('callback', 'show', key);
    expect(shown.stdout).toMatch(/status:\s+ended/);
    expect(shown.stdout).not.toContain(src);

    const other = `cb-${randomUUID().slice(0, 8)}`;
    await cli('callback', 'start', '--key', other, '--src', src, '--dst', dst);
    let otherState = JSON.parse((await cli('callback', 'show', other, '--json')).stdout);
    for (let attempt = 0; attempt < 50 && !otherState.callId; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      otherState = JSON.parse((await cli('callback', 'show', other, '--json')).stdout);
    }
    const cancelled = await cli('callback', 'cancel', other, '--flag', '0', '--json');
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ tornDown: true });
  });

  it('setup registers the search attributes and the reconciliation schedule, idempotently', async () => {
    const first = await cli('setup', '--json');
    expect(first.stderr).toBe('');
    // npm start already ran setup: the schedule exists and is brought up to date.
    expect(JSON.parse(first.stdout)).toMatchObject({
      searchAttributes: [
        'NppBindId (KEYWORD)',
        'NppVirtualNum (KEYWORD)',
        'NppSessionStatus (KEYWORD)',
        'NppClosedReason (KEYWORD)',
        'NppCallId (KEYWORD_LIST)',
      ],
      schedule: { id: 'npp-reconcile-cdrs', outcome: 'updated' },
    });
    expect((await cli('setup')).stdout).toContain('schedule npp-reconcile-cdrs: updated');
  });

  const badArguments: [string[], number, RegExp][] = [
    [[], 2, /Usage:/],
    [['--help'], 0, /npp-temporal session start/],
    [['bogus'], 2, /unknown command: bogus/],
    [['session'], 2, /missing session command/],
    [['session', 'start', '--dst', '008613800000000'], 2, /--key is required/],
    [
      ['session', 'start', '--key', 'k', '--src', '008613800000000', '--dst', '13800000000'],
      2,
      /--dst must be a number in 0086 format/,
    ],
    [['session', 'start', '--key', 'k', '--dst', '008613800000000'], 2, /--src is required in AXB mode/],
    [['session', 'start', '--key', 'k', '--dst', '008613800000000', '--mode', 'AB'], 2, /--mode must be AXB or XB/],
    [['session', 'start', '--key', 'k', '--nope'], 2, /Unknown option '--nope'/],
    [['session', 'show'], 2, /missing <key>/],
    [['session', 'extend', 'k', '--seconds', 'soon'], 2, /--seconds must be an integer/],
    [['session', 'list', '--status', 'done'], 2, /--status must be one of/],
    [['session', 'add-ref'], 2, /missing <key>/],
    [
      ['session', 'start', '--key', 'k', '--mode', 'XB', '--dst', '008613800000000', '--ttl-mode', 'rolling'],
      2,
      /--ttl-mode must be fixed or sliding/,
    ],
    [
      [
        'session',
        'start',
        '--key',
        'k',
        '--src',
        '008613800000000',
        '--dst',
        '008613900000000',
        '--recording-wait',
        'soon',
      ],
      2,
      /--recording-wait must be an integer from 0 to 604800/,
    ],
    [['sim', 'call'], 2, /--session is required/],
    [['sim', 'progress', '--call', 'k', '--until', 'later'], 2, /--until must be one of/],
    [['callback', 'start', '--key', 'k', '--src', '008613800000000'], 2, /--dst is required/],
    [['callback', 'cancel', 'k', '--flag', '5'], 2, /--flag must be an integer from 0 to 4/],
    [['callback', 'show', `missing-${randomUUID()}`], 3, /not found: npp-callback-missing-/],
    [['sim', 'call', '--session', 'k', '--from', 'C'], 2, /--from must be A or B/],
    [['session', 'show', `missing-${randomUUID()}`], 3, /not found: npp-session-missing-/],
  ];
  it.each(badArguments)('%j exits %i with a readable message and no stack trace', async (args, code, message) => {
    const result = await cli(...args);
    expect(result.code).toBe(code);
    expect(`${result.stderr}${result.stdout}`).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('names an unreachable Temporal server in one line', async () => {
    const result = await run('bin/npp-temporal.mjs', ['session', 'show', 'x'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^npp-temporal: cannot reach Temporal at 127\.0\.0\.1:1: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('Ctrl-C', () => {
  it('stops the worker, webhook, simulator and exits cleanly', async () => {
    const exited = once(main, 'exit');
    main.kill('SIGINT');
    const [code] = await exited;
    expect(mainOutput).toContain('stopped');
    expect(code).toBe(0);
    await expect(fetch(`${env.NPP_SIM_URL}/_sim/bindings`)).rejects.toThrow();
  });
});
