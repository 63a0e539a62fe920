// `npp-temporal cdr` and `display-numbers` read the platform directly: here the simulator over HTTP,
// with small pages, so a listing takes several requests.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NppClient } from '../../src/npp/client.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';
import { BIZ_APP_ID, phone, SECRET_ID, SECRET_KEY } from '../helpers/session.ts';

let sim: Simulator;
/** The platform client, as the worker uses it, to make the bindings and calls listed. */
let npp: NppClient;

beforeAll(async () => {
  sim = await startSimulator({ secretId: SECRET_ID, secretKey: SECRET_KEY, cdrPageSize: 1 });
  npp = new NppClient({ endpoint: sim.url, secretId: SECRET_ID, secretKey: SECRET_KEY, bizAppId: BIZ_APP_ID });
});
afterAll(async () => {
  await npp.close();
  await sim.close();
});

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    NPP_ENDPOINT: sim.url,
    TENCENTCLOUD_SECRET_ID: SECRET_ID,
    TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
    NPP_BIZ_APP_ID: BIZ_APP_ID,
  };
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/npp-temporal.mjs', ...args], { env, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function admin(path: string, body: object): Promise<Record<string, string>> {
  const response = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, string>;
}

describe('npp-temporal cdr', () => {
  it('lists every page of Get400Cdr, masks the numbers, and narrows by CallId', async () => {
    const [a, b] = [phone(), phone()];
    const { VirtualNum } = await npp.getVirtualNum({ Src: a, Dst: b });
    const calls = [
      await admin('/_sim/calls', { virtualNum: VirtualNum, caller: a, wait: true }),
      await admin('/_sim/calls', { virtualNum: VirtualNum, caller: b, wait: true }),
    ];
    const listed = await cli('cdr', '--since', '600', '--json');
    expect(listed.stderr).toBe('');
    const { cdrs, complete } = JSON.parse(listed.stdout) as {
      cdrs: { CallId: string; Src: string }[];
      complete: boolean;
    };
    expect(complete).toBe(true);
    expect(cdrs.map((cdr) => cdr.CallId).sort()).toEqual(calls.map((call) => call.CallId).sort());
    for (const number of [a, b]) expect(listed.stdout).not.toContain(number);
    expect(cdrs.map((cdr) => cdr.Src)).toContain(`${a.slice(0, 7)}****${a.slice(-4)}`);
    // Page size 1: one request per CDR, and one more that finds the end.
    const requests = (await (await fetch(`${sim.url}/_sim/requests`)).json()) as { action: string }[];
    expect(requests.filter((request) => request.action === 'Get400Cdr').length).toBeGreaterThanOrEqual(2);

    const one = await cli('cdr', '--call-id', calls[0]?.CallId as string);
    expect(one.stdout).toMatch(/^records:\s+1$/m);
    expect(one.stdout).toContain(calls[0]?.CallId);
    expect(one.stdout).not.toContain(calls[1]?.CallId);
  });

  it('lists callback-call CDRs with --callback', async () => {
    const src = phone();
    const { CallId } = await npp.createCallBack({ Src: src, Dst: phone() });
    await admin(`/_sim/callbacks/${CallId}/progress`, { until: 'ended', wait: true });
    const listed = await cli('cdr', '--callback', '--json');
    expect(listed.stderr).toBe('');
    expect(JSON.parse(listed.stdout)).toMatchObject({
      complete: true,
      cdrs: [{ CallId, Src: `${src.slice(0, 7)}****${src.slice(-4)}` }],
    });
  });

  it('refuses a window that is not one, readably', async () => {
    const backwards = await cli('cdr', '--start', '200', '--end', '100');
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toMatch(/--start must not be after --end/);
    const both = await cli('cdr', '--since', '60', '--start', '1', '--end', '2');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--since excludes --start\/--end/);
  });
});

describe('npp-temporal display-numbers', () => {
  it('answers DescribeCallerDisplayList', async () => {
    const shown = await cli('display-numbers', '--json');
    expect(shown.stderr).toBe('');
    expect(JSON.parse(shown.stdout)).toEqual({
      appId: BIZ_APP_ID,
      numbers: ['0086075586013388', '0086075586013399'],
    });
    expect((await cli('display-numbers')).stdout).toBe('0086075586013388\n0086075586013399\n');
  });
});
