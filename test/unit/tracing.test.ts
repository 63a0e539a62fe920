import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { scrubAttribute, startTracing, tracingRequested } from '../../src/telemetry/tracing.ts';

describe('tracing configuration', () => {
  it('is off by default and with OTEL_SDK_DISABLED=true', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_SERVICE_NAME: 'x' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(
      false,
    );
  });

  it('is on with an OTLP endpoint or OTEL_TRACES_EXPORTER=otlp', () => {
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'console,otlp' })).toBe(true);
  });

  it('installs nothing when off', () => {
    expect(startTracing({ serviceName: 'test', env: {} })).toBeUndefined();
    // Still OpenTelemetry's no-op: no provider was registered.
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
  });
});

describe('span attribute scrubbing', () => {
  it('masks full phone numbers anywhere in a value', () => {
    expect(scrubAttribute('temporalWorkflowId', 'npp-session-008613800138000')).toBe('npp-session-0086138****8000');
    expect(scrubAttribute('exception.message', 'bad Dst 008613900139000')).not.toContain('008613900139000');
  });

  it('drops query strings and fragments from URL attributes', () => {
    expect(scrubAttribute('url.full', 'https://hooks.example.com/npp/callbacks/status/x?token=abc#f')).toBe(
      'https://hooks.example.com/npp/callbacks/status/x',
    );
    expect(scrubAttribute('http.target', '/npp/callbacks/hangup/x?token=abc')).toBe('/npp/callbacks/hangup/x');
    expect(scrubAttribute('url.query', 'token=abc')).toBe('');
  });

  it('leaves other values alone', () => {
    expect(scrubAttribute('http.response.status_code', 200)).toBe(200);
    expect(scrubAttribute('server.address', '127.0.0.1')).toBe('127.0.0.1');
  });
});
