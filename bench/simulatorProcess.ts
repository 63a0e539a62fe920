import { startSimulator } from '../src/simulator/server.ts';

// Child-process entry: the NPP simulator on its own event loop, so that the platform's work does not
// count as the cost of the client under test. Prints `{"url": …, "endpoint": …}` once listening; ends on SIGTERM or
// when its parent goes away (stdin closes), so an interrupted run leaves no simulator behind.

const sim = await startSimulator({
  secretId: process.env.BENCH_SIM_SECRET_ID ?? '',
  secretKey: process.env.BENCH_SIM_SECRET_KEY ?? '',
  // Enough virtual numbers for every concurrent binding of the benchmarks.
  pool: 256,
});
process.stdout.write(`${JSON.stringify({ url: sim.url, endpoint: sim.endpoint })}\n`);
const stop = () => {
  sim.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.stdin.once('close', stop);
process.stdin.resume();
