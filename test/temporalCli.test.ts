import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveTemporalCli } from '../src/temporal/temporalCli.ts';

// Every case passes its own env, so process.env (and the machine's real Go and cache) play no part.
const quiet = () => {};
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'npp-temporal-cli-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function executable(path: string, script: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return path;
}

const fakeTemporal = (dir: string) => executable(join(root, dir, 'temporal'), 'exit 0');

/**
 * A `go` that logs its arguments and, for `go install`, drops an executable `temporal` into
 * $GOBIN: the stand-in for the real few-minute build.
 */
function fakeGo(dir: string): { dir: string; calls: () => string[] } {
  const log = join(root, 'go-calls.log');
  executable(
    join(root, dir, 'go'),
    [
      'PATH=/usr/bin:/bin', // the resolver's PATH holds only this fake
      `echo "$*" >> '${log}'`,
      'if [ "$1" = install ]; then printf \'#!/bin/sh\\nexit 0\\n\' > "$GOBIN/temporal" && chmod +x "$GOBIN/temporal"; fi',
    ].join('\n'),
  );
  return {
    dir: join(root, dir),
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
  };
}

describe('resolveTemporalCli lookup order', () => {
  it('finds a temporal on PATH when TEMPORAL_CLI_PATH is unset, before the cache', () => {
    const onPath = fakeTemporal('path-bin');
    const cache = join(root, 'cache');
    fakeTemporal('cache/bin');
    const env = { PATH: [join(root, 'empty'), join(root, 'path-bin')].join(delimiter), NPP_TEMPORAL_CACHE: cache };
    expect(resolveTemporalCli(env, quiet)).toEqual({ type: 'existing-path', path: onPath });
  });

  it('uses $NPP_TEMPORAL_CACHE/bin/temporal when nothing is on PATH and Go is absent', () => {
    const cached = fakeTemporal('cache/bin');
    const env = { PATH: join(root, 'empty'), NPP_TEMPORAL_CACHE: join(root, 'cache') };
    expect(resolveTemporalCli(env, quiet)).toEqual({ type: 'existing-path', path: cached });
  });

  it('lets TEMPORAL_CLI_PATH win over PATH and the cache', () => {
    const explicit = fakeTemporal('explicit/temporal-1.5.1');
    fakeTemporal('path-bin');
    fakeTemporal('cache/bin');
    const env = {
      TEMPORAL_CLI_PATH: join(root, 'explicit/temporal-1.5.1/temporal'),
      PATH: join(root, 'path-bin'),
      NPP_TEMPORAL_CACHE: join(root, 'cache'),
    };
    expect(resolveTemporalCli(env, quiet)).toEqual({ type: 'existing-path', path: explicit });
  });

  it('builds with go install once; a second run reuses the cached binary and does not call Go', () => {
    const go = fakeGo('go-bin');
    const cache = join(root, 'cache');
    const env = { PATH: go.dir, NPP_TEMPORAL_CACHE: cache };
    const messages: string[] = [];

    const first = resolveTemporalCli(env, (message) => messages.push(message));
    expect(first).toEqual({ type: 'existing-path', path: join(cache, 'bin', 'temporal') });
    expect(go.calls()).toEqual(['version', 'install github.com/temporalio/cli/cmd/temporal@v1.5.1']);
    expect(messages[0]).toMatch(/^building .* with go install/);

    const second = resolveTemporalCli(env, (message) => messages.push(message));
    expect(second).toEqual(first);
    expect(go.calls()).toHaveLength(2); // no `go version`, no `go install` the second time
    expect(messages).toHaveLength(2); // "building …" and "built …", nothing more
  });

  it('skips a non-executable temporal on PATH', () => {
    mkdirSync(join(root, 'plain'));
    writeFileSync(join(root, 'plain', 'temporal'), 'not a program');
    const cached = fakeTemporal('cache/bin');
    const env = { PATH: join(root, 'plain'), NPP_TEMPORAL_CACHE: join(root, 'cache') };
    expect(resolveTemporalCli(env, quiet)).toEqual({ type: 'existing-path', path: cached });
  });
});
