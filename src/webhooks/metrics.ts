import { Counter, Histogram, Registry } from 'prom-client';

// The webhook's own registry: several servers in one process (tests, embedded mode) never share
// or double-register metrics.

export interface WebhookMetrics {
  registry: Registry;
  received: Counter<'kind'>;
  rejected: Counter<'kind' | 'reason'>;
  signaled: Counter<'kind'>;
  ignored: Counter<'kind'>;
  latency: Histogram<'kind' | 'status'>;
}

export function createWebhookMetrics(): WebhookMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    received: new Counter({
      name: 'npp_webhook_received_total',
      help: 'Callback requests received, by kind',
      labelNames: ['kind'],
      registers,
    }),
    rejected: new Counter({
      name: 'npp_webhook_rejected_total',
      help: 'Callback requests answered without a signal, by kind and reason',
      labelNames: ['kind', 'reason'],
      registers,
    }),
    signaled: new Counter({
      name: 'npp_webhook_signaled_total',
      help: 'Callbacks Temporal accepted as a signal, by kind',
      labelNames: ['kind'],
      registers,
    }),
    ignored: new Counter({
      name: 'npp_webhook_ignored_total',
      help: 'Callbacks for a workflow that is closed or does not exist, by kind',
      labelNames: ['kind'],
      registers,
    }),
    latency: new Histogram({
      name: 'npp_webhook_handling_seconds',
      help: 'Time to answer a callback request, by kind and HTTP status',
      labelNames: ['kind', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}
