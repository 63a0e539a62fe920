import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { resolveTemporalCli } from '../../src/temporal/temporalCli.ts';

// The compose job's script, run for real: the Temporal CLI against the suite's server, in a namespace
// of its own, with the environment the compose service gives it.

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const SCRIPT = `${root}deploy/temporal/setup-namespace.sh`;

const { IndexedValueType } = proto.temporal.api.enums.v1;

let connection: Connection;
beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
});
afterAll(() => connection.close());

function composeJobEnvironment(namespace: string): NodeJS.ProcessEnv {
  const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true });
  const job = compose.services['temporal-setup'].environment as Record<string, string>;
  const cli = resolveTemporalCli(process.env);
  if (cli.type !== 'existing-path')
    throw new Error('no Temporal CLI executable found (run scripts/ensure-temporal-cli.ts)');
  return {
    PATH: `${dirname(cli.path)}:${process.env.PATH}`,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: namespace,
    NAMESPACE_RETENTION: '24h',
    NPP_SEARCH_ATTRIBUTES: job.NPP_SEARCH_ATTRIBUTES,
  };
}

describe('deploy/temporal/setup-namespace.sh', () => {
  it('creates the namespace with the search attributes, and a second run changes nothing', async () => {
    const namespace = `npp-compose-${randomUUID().slice(0, 8)}`;
    const env = composeJobEnvironment(namespace);

    const first = await run('sh', [SCRIPT], { env });
    expect(first.stdout).toContain(`namespace ${namespace} is ready`);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    expect(customAttributes).toMatchObject({
      NppBindId: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      NppVirtualNum: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      NppSessionStatus: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      NppClosedReason: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      NppCallId: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    });

    const second = await run('sh', [SCRIPT], { env });
    expect(second.stdout.match(/search attribute Npp\w+ exists/g)).toHaveLength(5);
  });

  it('fails, naming the address, when Temporal does not answer', async () => {
    const env = { ...composeJobEnvironment('unused'), TEMPORAL_ADDRESS: '127.0.0.1:1', SETUP_MAX_ATTEMPTS: '1' };
    await expect(run('sh', [SCRIPT], { env })).rejects.toMatchObject({
      stderr: expect.stringContaining('Temporal at 127.0.0.1:1 is not serving'),
    });
  });
});
