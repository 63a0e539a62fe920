import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import { registerSearchAttributes, startDevServer } from '../src/temporal/devServer.ts';
import { resolveTemporalCli } from '../src/temporal/temporalCli.ts';

describe('Temporal CLI resolution', () => {
  const quiet = () => {};

  it('prefers TEMPORAL_CLI_PATH and rejects one that is not executable', () => {
    expect(resolveTemporalCli({ TEMPORAL_CLI_PATH: '/bin/true', PATH: '' }, quiet)).toEqual({
      type: 'existing-path',
      path: '/bin/true',
    });
    expect(() => resolveTemporalCli({ TEMPORAL_CLI_PATH: '/nonexistent/temporal', PATH: '' }, quiet)).toThrow(
      /TEMPORAL_CLI_PATH=\/nonexistent\/temporal is not an executable/,
    );
  });

  it('falls back to the SDK download when there is no binary, no cache and no Go', () => {
    const env = { PATH: '/nonexistent', NPP_TEMPORAL_CACHE: '/nonexistent/cache' };
    expect(resolveTemporalCli(env, quiet)).toEqual({ type: 'cached-download' });
  });
});

describe('dev-server launcher', () => {
  const saved = process.env.TEMPORAL_CLI_PATH;
  afterEach(() => {
    if (saved === undefined) delete process.env.TEMPORAL_CLI_PATH;
    else process.env.TEMPORAL_CLI_PATH = saved;
  });

  it('fails loudly when the server cannot start (after a second start)', async () => {
    process.env.TEMPORAL_CLI_PATH = '/bin/false';
    await expect(startDevServer({ log: () => {} })).rejects.toThrow(/did not start within/);
  }, 20_000);

  it("starts the server again when its first start does not answer within the SDK's 5 s", async () => {
    const real = resolveTemporalCli(process.env, () => {});
    if (real.type !== 'existing-path') throw new Error('the test needs the built Temporal CLI');
    const dir = await mkdtemp(join(tmpdir(), 'npp-slow-cli-'));
    const starts = join(dir, 'starts');
    // The first start hangs past the SDK's deadline (and is killed by it); later ones are the real CLI.
    const slowCli = join(dir, 'temporal');
    await writeFile(
      slowCli,
      `#!/bin/sh\necho start >> '${starts}'\nif [ "$(wc -l < '${starts}')" -eq 1 ]; then exec sleep 30; fi\nexec '${real.path}' "$@"\n`,
      { mode: 0o755 },
    );
    process.env.TEMPORAL_CLI_PATH = slowCli;
    const logged: string[] = [];
    const server = await startDevServer({ log: (message) => logged.push(message) });
    try {
      const connection = await Connection.connect({ address: server.address, connectTimeout: '5s' });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      expect((await readFile(starts, 'utf8')).trim().split('\n')).toHaveLength(2);
      expect(logged.join('\n')).toContain('did not answer in time (attempt 1 of 2)');
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('serves the UI, registers search attributes idempotently, and stops: calls then fail', async () => {
    const server = await startDevServer({ ui: true });
    const connection = await Connection.connect({ address: server.address, connectTimeout: '5s' });
    try {
      const ui = await fetch(server.uiUrl ?? 'missing ui url');
      expect(ui.status).toBe(200);
      await registerSearchAttributes(connection, 'default'); // already there: no error
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(customAttributes).toMatchObject({ NppBindId: 2, NppCallId: 7 });

      await server.stop();
      await expect(
        connection.withDeadline(Date.now() + 3000, () => connection.workflowService.getSystemInfo({})),
      ).rejects.toThrow();
    } finally {
      await connection.close();
    }
  });

  it('refuses a namespace where an attribute exists with another type, naming it', async () => {
    const added: unknown[] = [];
    // Only the operator service is used; INDEXED_VALUE_TYPE_TEXT = 1.
    const operatorService = {
      listSearchAttributes: async () => ({ customAttributes: { NppBindId: 1 } }),
      addSearchAttributes: async (request: unknown) => added.push(request),
    } as unknown as Connection['operatorService'];
    await expect(registerSearchAttributes({ operatorService }, 'ns-1')).rejects.toThrow(
      'search attributes exist with another type in namespace ns-1: NppBindId (wanted KEYWORD)',
    );
    expect(added).toEqual([]);
  });
});
