import { startSimulator } from './server.ts';

// `npm run simulator`: the simulator alone, for manual runs and docker-compose style end-to-end setups.
const port = Number(process.env.NPP_SIM_PORT ?? 9080);
const secretId = process.env.TENCENTCLOUD_SECRET_ID || 'AKIDnppsimulator';
const secretKey = process.env.TENCENTCLOUD_SECRET_KEY || 'npp-simulator-dev-secret';
// XB bindings hold a number each: load and chaos runs with many open sessions need a bigger pool.
const poolSize = process.env.NPP_SIM_POOL_SIZE ? Number(process.env.NPP_SIM_POOL_SIZE) : undefined;
if (poolSize !== undefined && !(Number.isInteger(poolSize) && poolSize > 0 && poolSize <= 100_000)) {
  console.error('NPP_SIM_POOL_SIZE must be a whole number within 1..100000');
  process.exit(1);
}

const sim = await startSimulator({
  host: process.env.NPP_SIM_HOST ?? '127.0.0.1',
  port,
  secretId,
  secretKey,
  ...(poolSize ? { pool: poolSize } : {}),
  logLevel: process.env.LOG_LEVEL ?? 'info',
});
// The key is never printed: only whether it came from the environment.
console.log(
  `NPP simulator on ${sim.url} (endpoint ${sim.endpoint}), SecretId ${secretId}, SecretKey ${process.env.TENCENTCLOUD_SECRET_KEY ? 'from TENCENTCLOUD_SECRET_KEY' : 'dev default'}`,
);

let closing = false;
const shutdown = (signal: string): void => {
  if (closing) return;
  closing = true;
  console.log(`${signal}: closing the simulator`);
  sim.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.once('SIGINT', () => shutdown('SIGINT'));
process.once('SIGTERM', () => shutdown('SIGTERM'));
