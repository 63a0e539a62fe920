import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Test files that need no Temporal dev server: pure logic, the NPP simulator on loopback, and the
 * time-skipping test server each file starts itself. Listed by path, so files stay where they are.
 */
const UNIT_TESTS = [
  'test/unit/**/*.test.ts',
  'test/timeSkipping/**/*.test.ts',
  'test/phone.test.ts',
  'test/cacheDir.test.ts',
  'test/temporalCli.test.ts',
  'test/readme.test.ts',
  'test/npp/errors.test.ts',
  'test/npp/models.test.ts',
  'test/npp/tc3.conformance.test.ts',
  'test/npp/client.test.ts',
  'test/npp/simulator.test.ts',
  'test/simulator/*.test.ts',
  'test/archive/directorySink.test.ts',
  'test/security/codec.test.ts',
  'test/webhooks/config.test.ts',
  'test/webhooks/events.test.ts',
  'test/deploy/compose.test.ts',
];

/** Runs of the deployed topology (chaos/): their own Temporal server on PostgreSQL, after the rest. */
const DEPLOYED_TESTS = ['test/deployed/**/*.test.ts'];

export default defineConfig({
  test: {
    // Temporal's native runtime is one per process: run test files in forks, not threads.
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: UNIT_TESTS,
          testTimeout: 30_000,
          // The fast tier first: its failures show within a minute, before the real-server tests.
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...UNIT_TESTS, ...DEPLOYED_TESTS],
          // One real Temporal dev server and one workflow bundle for the whole run.
          globalSetup: ['test/setup/temporal.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'deployed',
          include: DEPLOYED_TESTS,
          // Last and alone, one file at a time: a chaos run loads the machine and would slow every other test.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 900_000,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
