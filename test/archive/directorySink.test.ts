import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectorySink } from '../../src/archive/directorySink.ts';

const dir = mkdtempSync(join(tmpdir(), 'npp-sink-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function* chunks(...parts: string[]) {
  for (const part of parts) yield Buffer.from(part);
}

describe('DirectorySink', () => {
  it('stores under the workflow and call, and finds the file with its checksum', async () => {
    const sink = new DirectorySink(dir);
    const key = { workflowId: 'npp-session-a/b', callId: '..c1', extension: 'wav' };
    const { location } = await sink.store(key, chunks('RIFF', 'data'));
    expect(location).toBe(join(dir, 'npp-session-a%2Fb', '%2E.c1.wav'));
    expect(readFileSync(location, 'utf8')).toBe('RIFFdata');
    expect(await sink.find(key)).toMatchObject({ location, bytes: 8 });
    expect(await sink.find({ ...key, callId: 'other' })).toBeUndefined();
  });

  it('removes the temp files a dead worker left for the recording, not a running download’s', async () => {
    const sink = new DirectorySink(dir);
    const key = { workflowId: 'wf-parts', callId: 'c2', extension: 'wav' };
    const folder = join(dir, 'wf-parts');
    await sink.store({ ...key, callId: 'warmup' }, chunks('x'));
    const abandoned = join(folder, '.c2.1111.part');
    const running = join(folder, '.c2.2222.part');
    const otherCall = join(folder, '.c3.3333.part');
    for (const part of [abandoned, running, otherCall]) writeFileSync(part, 'partial');
    const anHourAgo = new Date(Date.now() - 3600_000);
    utimesSync(abandoned, anHourAgo, anHourAgo);
    utimesSync(otherCall, anHourAgo, anHourAgo);
    await sink.store(key, chunks('whole'));
    expect(readdirSync(folder).sort()).toEqual(['.c2.2222.part', '.c3.3333.part', 'c2.wav', 'warmup.wav']);
  });
});
