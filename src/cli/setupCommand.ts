// `npp-temporal setup`: idempotent preparation of a Temporal namespace for this app.
import { Connection } from '@temporalio/client';
import { loadTemporalConfig } from '../temporal/connection.ts';
import { registerSearchAttributes } from '../temporal/devServer.ts';
import { NPP_SEARCH_ATTRIBUTES } from '../workflows/searchAttributes.ts';
import { type Output, printResult } from './output.ts';

export async function setupCommand(env: Record<string, string | undefined>, output: Output): Promise<void> {
  const temporal = loadTemporalConfig(env);
  const connection = await Connection.connect(temporal.connectionOptions);
  try {
    await registerSearchAttributes(connection, temporal.namespace);
    const result = {
      namespace: temporal.namespace,
      searchAttributes: NPP_SEARCH_ATTRIBUTES.map((attribute) => `${attribute.name} (${attribute.type})`),
    };
    printResult(output, result, () =>
      [
        `namespace ${result.namespace}: search attributes registered`,
        ...result.searchAttributes.map((name) => `  ${name}`),
      ].join('\n'),
    );
  } finally {
    await connection.close();
  }
}
