import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { FAILURE_CONVERTER_PATH } from '../../src/temporal/dataConverter.ts';
import { connectOrStartTemporal } from '../../src/temporal/devServer.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    workflowBundlePath: string;
  }
}

/**
 * Starts one real Temporal dev server (or uses TEMPORAL_ADDRESS) and bundles the workflows once.
 * A server that cannot start fails the run here, loudly: no test is skipped for it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await connectOrStartTemporal();
  const dir = mkdtempSync(join(tmpdir(), 'npp-temporal-bundle-'));
  const bundlePath = join(dir, 'workflows.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: new URL('../fixtures/workflows.ts', import.meta.url).pathname,
    // Failure messages leave the workflow sandbox encoded, so the codec encrypts them.
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  writeFileSync(bundlePath, code);
  project.provide('temporalAddress', server.address);
  project.provide('temporalNamespace', server.namespace);
  project.provide('workflowBundlePath', bundlePath);
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
