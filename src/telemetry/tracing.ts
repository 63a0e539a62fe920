// OpenTelemetry tracing, off unless the standard OTEL_* variables ask for an OTLP exporter. When off
// nothing is registered: no provider, no instrumentation, no interceptor. When on, one trace follows
// a callback from the webhook's HTTP request through the signal into the workflow, and a session's
// start through the workflow into its activities and their NPP HTTP requests. Design: docs/deployment.md.
import { createRequire } from 'node:module';
import type { Attributes } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { ClientInterceptors } from '@temporalio/client';
import { OpenTelemetryPlugin, OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { maskPhonesInText } from '../phone.ts';

/** Whether the environment asks for traces: an OTLP endpoint or OTEL_TRACES_EXPORTER=otlp, and not OTEL_SDK_DISABLED. */
export function tracingRequested(env: Record<string, string | undefined> = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporters) return exporters.split(',').some((name) => name.trim() === 'otlp');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/** What the process's Temporal parts install while tracing is on. */
export interface Tracing {
  /** For Worker.create: activity and workflow interceptors, and the sink exporting workflow spans. */
  workerPlugin: OpenTelemetryPlugin;
  /** For a Client: starts, signals and updates carry the caller's trace into the workflow. */
  clientInterceptors: ClientInterceptors;
  /** Exports the spans still buffered; call before the process exits. */
  shutdown(): Promise<void>;
}

export interface StartTracingOptions {
  /** service.name unless OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) says otherwise. */
  serviceName: string;
  env?: Record<string, string | undefined>;
  /** Replaces the OTLP exporter (tests: an in-memory exporter, exported span by span). */
  exporter?: SpanExporter;
}

let active: Tracing | undefined;

/**
 * Starts tracing for this process if the environment asks for it (or an exporter is given);
 * undefined otherwise. OpenTelemetry is process-wide: a second call returns the first one's Tracing,
 * so the worker, webhook and simulator of `npm start` share one provider.
 */
export function startTracing(options: StartTracingOptions): Tracing | undefined {
  if (active) return active;
  if (!options.exporter && !tracingRequested(options.env)) return undefined;
  // The OTLP exporter reads its endpoint, headers and protocol settings from OTEL_EXPORTER_OTLP_*.
  const exporter = options.exporter ?? new OTLPTraceExporter();
  const spanProcessor = new ScrubbingSpanProcessor(new BatchSpanProcessor(exporter, testFriendly(options)));
  const resource = Resource.default()
    .merge(new Resource({ 'service.name': options.serviceName }))
    .merge(envDetectorSync.detect());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [new HttpInstrumentation(), new UndiciInstrumentation()],
  });
  // node:http is loaded before tracing starts (ES imports are hoisted): requiring it again lets the
  // instrumentation patch the shared module, so servers created later get server spans.
  createRequire(import.meta.url)('node:http');
  const tracing: Tracing = {
    workerPlugin: new OpenTelemetryPlugin({ resource, spanProcessor }),
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    async shutdown() {
      if (active !== tracing) return;
      active = undefined;
      unregister();
      await provider.shutdown();
    },
  };
  active = tracing;
  return tracing;
}

/** An injected exporter gets each span as it ends, so a test reads them without waiting for a batch. */
function testFriendly(options: StartTracingOptions) {
  return options.exporter ? { scheduledDelayMillis: 1, maxExportBatchSize: 1 } : {};
}

// Attribute keys that hold a URL or a URL's path with its query: recording and callback URLs carry tokens.
const URL_KEYS = new Set(['url.full', 'url.query', 'http.url', 'http.target', 'url.path']);

/** An attribute value with no full phone number, no URL query string and no fragment. */
export function scrubAttribute(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (key === 'url.query') return '';
  const withoutQuery = URL_KEYS.has(key) ? value.replace(/[?#].*$/s, '') : value;
  return maskPhonesInText(withoutQuery);
}

/**
 * Scrubs values in place and drops the ones that are not OpenTelemetry attribute values: Temporal's
 * workflow span sink copies the whole WorkflowInfo onto workflow spans, memo and search attributes
 * included, as nested objects.
 */
function scrubAttributes(attributes: Attributes): void {
  for (const [key, value] of Object.entries(attributes)) {
    if (Array.isArray(value)) attributes[key] = value.map((item) => scrubAttribute(key, item)) as typeof value;
    else if (typeof value === 'object' && value !== null) delete attributes[key];
    else attributes[key] = scrubAttribute(key, value) as typeof value;
  }
}

/**
 * Scrubs every span's attributes and event attributes (exception messages) as it ends, before any
 * exporter sees it; workflow spans, which the SDK hands over through a sink, pass through it too.
 */
class ScrubbingSpanProcessor implements SpanProcessor {
  readonly #next: SpanProcessor;
  constructor(next: SpanProcessor) {
    this.#next = next;
  }
  onStart(...args: Parameters<SpanProcessor['onStart']>): void {
    this.#next.onStart(...args);
  }
  onEnd(span: ReadableSpan): void {
    scrubAttributes(span.attributes as Attributes);
    for (const event of span.events) if (event.attributes) scrubAttributes(event.attributes as Attributes);
    this.#next.onEnd(span);
  }
  forceFlush(): Promise<void> {
    return this.#next.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.#next.shutdown();
  }
}
