// `npm start`: the product on its embedded defaults. A Temporal dev server (UI on :8233) or the
// server at TEMPORAL_ADDRESS, the NPP simulator, the webhook server and the worker, in one process.
// With TEMPORAL_ADDRESS, TENCENTCLOUD_* and NPP_ENDPOINT set it runs against them, no simulator.
import { pino } from 'pino';
import { productionEnvStatus, startEmbeddedStack } from './embedded.ts';
import { installRuntime } from './temporal/runtime.ts';

// Components log warnings only: the banner below is what a newcomer reads.
const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
installRuntime({ logger });

// Credentials without the rest would silently run on the simulator: say so before starting.
const { set, missing } = productionEnvStatus(process.env);
if (set.some((name) => name !== 'TEMPORAL_ADDRESS') && missing.length > 0) {
  console.warn(`Production mode needs ${missing.join(', ')} too; running on the NPP simulator instead.`);
}

console.log(
  'Starting npp-temporal (the first start builds the workflow bundle; a fresh machine may build the Temporal CLI first)…',
);
let stack: Awaited<ReturnType<typeof startEmbeddedStack>>;
try {
  stack = await startEmbeddedStack({ logger });
} catch (error) {
  console.error(`npm start failed: ${(error as Error).message}`);
  process.exit(1);
}

const lines = [
  `Mode:         ${stack.production ? 'production (real NPP, external Temporal)' : 'embedded (NPP simulator, no credentials needed)'}`,
  `Temporal:     ${stack.temporal.address} (namespace ${stack.temporal.namespace}${stack.temporal.owned ? ', dev server started here' : ', reused'})`,
  ...(stack.temporal.uiUrl
    ? [`Temporal UI:  ${stack.temporal.uiUrl} (payloads decoded by the webhook's codec server)`]
    : []),
  `Webhook:      ${stack.webhook.url} (callbacks at ${stack.webhook.config.publicUrl}/npp/callbacks/…)`,
  ...(stack.simulator ? [`Simulator:    ${stack.simulator.url} (admin API under /_sim)`] : []),
  `Task queue:   ${stack.taskQueue}`,
  '',
  'Try next, in another terminal:',
  ...(stack.simulator
    ? [
        '  npm run demo                      a session with two recorded calls, end to end',
        '  npx npp-temporal session start --key demo-1 --src 008613800138000 --dst 008613900139000',
        '  npx npp-temporal sim call --session demo-1',
      ]
    : ['  npx npp-temporal session start --key <key> --src <0086…> --dst <0086…>']),
  `  npx npp-temporal session show ${stack.simulator ? 'demo-1' : '<key>'}`,
  '',
  'ready (Ctrl-C stops everything)',
];
console.log(lines.join('\n'));

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the worker, webhook${stack.simulator ? ', simulator' : ''} and Temporal…`);
  await stack.stop();
  console.log('stopped');
};
process.once('SIGINT', (signal) => void stop(signal));
process.once('SIGTERM', (signal) => void stop(signal));
await stack.running.catch((error: unknown) => {
  console.error(`worker failed: ${(error as Error).message}`);
  process.exitCode = 1;
});
if (!stopping) await stack.stop();
