// `npm start`: the embedded default. A Temporal dev server (or TEMPORAL_ADDRESS) and the worker.
import { connectOrStartTemporal } from './temporal/devServer.ts';
import { createWorker } from './worker.ts';

const server = await connectOrStartTemporal({ ui: true });
const { worker, connection } = await createWorker({ address: server.address, namespace: server.namespace });
console.log(`Temporal:    ${server.address}${server.uiUrl ? `\nTemporal UI: ${server.uiUrl}` : ''}\nready`);
await worker.run();
await connection.close();
await server.stop();
