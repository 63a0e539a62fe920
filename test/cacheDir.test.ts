import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheDir } from '../src/cacheDir.ts';
import { devKeyPath, loadCodecKeys } from '../src/codec/keys.ts';
import { devArchiveDir, devDbFile } from '../src/embedded.ts';
import { resolveTemporalCli } from '../src/temporal/temporalCli.ts';

// Everything npp-temporal keeps locally follows the same cache directory, so one variable moves it all.

const scratch = mkdtempSync(join(tmpdir(), 'npp-cache-dir-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('cacheDir', () => {
  it('is NPP_TEMPORAL_CACHE, else npp-temporal under XDG_CACHE_HOME, else under ~/.cache; empty counts as unset', () => {
    expect(cacheDir({ NPP_TEMPORAL_CACHE: '/srv/npp', XDG_CACHE_HOME: '/xdg' })).toBe('/srv/npp');
    expect(cacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/npp-temporal');
    expect(cacheDir({ NPP_TEMPORAL_CACHE: '', XDG_CACHE_HOME: '' })).toBe(join(homedir(), '.cache', 'npp-temporal'));
    expect(cacheDir({})).toBe(join(homedir(), '.cache', 'npp-temporal'));
  });

  it('holds the dev database, the dev recordings archive and the dev codec key', () => {
    for (const env of [{ NPP_TEMPORAL_CACHE: '/srv/npp' }, { XDG_CACHE_HOME: '/xdg' }, {}]) {
      const dir = cacheDir(env);
      expect(devDbFile(env)).toBe(join(dir, 'dev-server.sqlite'));
      expect(devArchiveDir(env)).toBe(join(dir, 'recordings'));
      expect(devKeyPath(env)).toBe(join(dir, 'codec-dev-key'));
    }
  });

  it('the dev codec key is generated inside NPP_TEMPORAL_CACHE and read back from there', () => {
    const env = { NPP_TEMPORAL_CACHE: join(scratch, 'npp') };
    const generated = loadCodecKeys(env);
    expect(readFileSync(join(scratch, 'npp', 'codec-dev-key'), 'utf8')).toContain(generated.current.id);
    expect(loadCodecKeys(env).current.material.equals(generated.current.material)).toBe(true);
  });

  it('the cached Temporal CLI is found under XDG_CACHE_HOME', () => {
    const bin = join(scratch, 'xdg', 'npp-temporal', 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'temporal'), '#!/bin/sh\n');
    chmodSync(join(bin, 'temporal'), 0o755);
    expect(resolveTemporalCli({ PATH: '', XDG_CACHE_HOME: join(scratch, 'xdg') })).toEqual({
      type: 'existing-path',
      path: join(bin, 'temporal'),
    });
  });
});
