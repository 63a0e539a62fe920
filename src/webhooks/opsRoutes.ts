import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { WebhookMetrics } from './metrics.ts';

// Probes and metrics. Liveness says the process serves; readiness says signals can be delivered.

const READINESS_TIMEOUT_MS = 2000;

export function registerOpsRoutes(app: FastifyInstance, client: Client, metrics: WebhookMetrics): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    try {
      await client.connection.withDeadline(Date.now() + READINESS_TIMEOUT_MS, () =>
        client.connection.workflowService.getSystemInfo({}),
      );
      return { status: 'ready' };
    } catch (error) {
      request.log.warn({ err: error }, 'Temporal is not reachable');
      return reply.code(503).send({ status: 'unavailable', reason: 'temporal unreachable' });
    }
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
