// Resolves (and if needed builds) the time-skipping test server ahead of the tests, and prints where
// it came from. The tests resolve it by themselves too; this only moves the first build out of them.
import { resolveTestServer } from './testServer.ts';

console.log(`temporal test server: ${await resolveTestServer()}`);
