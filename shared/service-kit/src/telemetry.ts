import { randomBytes } from 'node:crypto';
import { context, propagation, trace, isSpanContextValid, type Span } from '@opentelemetry/api';

/**
 * Distributed tracing with OpenTelemetry, off unless the standard OTel
 * variables ask for it. Nothing of the SDK is loaded when off: this file
 * only needs @opentelemetry/api, whose calls are no-ops without a provider,
 * so tracing switched off costs a few property reads per request.
 *
 * Instrumentations patch modules when they are first required, so each
 * entry point imports `telemetry-preload` before anything else (it registers
 * the http, graphql and mongodb instrumentations), and startTelemetry, once
 * the service knows its name, starts the SDK that exports what they record.
 */

/** What startTelemetry returns: flushes and stops the SDK on shutdown. */
export interface TelemetryHandle {
  shutdown(): Promise<void>;
}

/**
 * True when the environment asks for traces: an OTLP endpoint
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or an
 * explicit OTEL_TRACES_EXPORTER other than "none"; OTEL_SDK_DISABLED=true
 * wins over both, as the OTel specification says.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const set = (name: string) => (env[name] ?? '').trim() !== '';
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  const exporter = (env.OTEL_TRACES_EXPORTER ?? '').trim().toLowerCase();
  if (exporter === 'none') return false;
  return exporter !== '' || set('OTEL_EXPORTER_OTLP_ENDPOINT') || set('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
}

/**
 * The problems in the OTel variables this graph relies on, each saying what
 * to change; the entry points add them to their configuration check, so a
 * typo stops start-up instead of silently sending traces nowhere.
 */
export function telemetryProblems(env: NodeJS.ProcessEnv = process.env): string[] {
  const problems: string[] = [];
  for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
    const raw = (env[name] ?? '').trim();
    if (raw === '') continue;
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      /* reported below */
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      problems.push(`${name}="${raw}" is not an http(s) URL: give the collector's OTLP address, e.g. http://localhost:4318.`);
    }
  }
  const protocol = (env.OTEL_EXPORTER_OTLP_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? '').trim();
  if (protocol !== '' && !['http/protobuf', 'http/json', 'grpc'].includes(protocol)) {
    problems.push(`OTEL_EXPORTER_OTLP_PROTOCOL="${protocol}" is not one of: http/protobuf, http/json, grpc.`);
  }
  const exporter = (env.OTEL_TRACES_EXPORTER ?? '').trim();
  if (exporter !== '' && !exporter.split(',').every((e) => ['otlp', 'console', 'none', 'zipkin', 'jaeger'].includes(e.trim()))) {
    problems.push(`OTEL_TRACES_EXPORTER="${exporter}" is not one of: otlp, console, none.`);
  }
  return problems;
}

let preloaded = false;
// Kept so they are not collected while their patches are in place.
// biome-ignore lint/correctness/noUnusedVariables: held, never read, on purpose (see above)
let instrumentations: unknown[] = [];

/**
 * Registers the http, graphql and mongodb instrumentations, before the
 * modules they patch are required. Spans they start before startTelemetry
 * runs go nowhere (the global tracer provider is a proxy until then).
 */
export function preloadInstrumentations(env: NodeJS.ProcessEnv = process.env): void {
  if (preloaded || !tracingRequested(env)) return;
  preloaded = true;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { GraphQLInstrumentation } = require('@opentelemetry/instrumentation-graphql') as typeof import('@opentelemetry/instrumentation-graphql');
  const { MongoDBInstrumentation } = require('@opentelemetry/instrumentation-mongodb') as typeof import('@opentelemetry/instrumentation-mongodb');
  /* eslint-enable @typescript-eslint/no-require-imports */
  // Each enables itself when constructed, with the global (proxy) tracer provider the SDK later fills in.
  instrumentations = [
    new HttpInstrumentation({
      // Probes and scrapes every few seconds would drown the traces that matter.
      ignoreIncomingRequestHook: (req) => req.url !== undefined && !req.url.startsWith('/graphql'),
    }),
    // Trivial resolvers (a property read) would make one span per field of every object.
    new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true, mergeItems: true, allowValues: false }),
    // Command shapes only, never the values a client sent.
    new MongoDBInstrumentation({ enhancedDatabaseReporting: false }),
  ];
}

let started: TelemetryHandle | undefined;

/**
 * Starts the SDK for this process when tracing is requested: W3C trace
 * context propagation, AsyncLocalStorage context, the OTLP exporter the
 * standard variables describe (endpoint, protocol, headers, sampler).
 * Metrics stay with Prometheus and logs with pino, so OTel's own metric and
 * log exporters are off unless their variables are set. Returns undefined
 * when tracing is off.
 */
export function startTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): TelemetryHandle | undefined {
  if (started || !tracingRequested(env)) return started;
  preloadInstrumentations(env);
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  env.OTEL_SERVICE_NAME ??= serviceName;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  // Instrumentations were registered by the preload; the SDK must not register a second set.
  const sdk = new NodeSDK({ serviceName: env.OTEL_SERVICE_NAME, instrumentations: [] });
  sdk.start();
  started = { shutdown: () => sdk.shutdown().catch(() => undefined) };
  return started;
}

/** Whether an SDK is exporting spans in this process. */
export function tracingActive(): boolean {
  return started !== undefined;
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}$/;

/** The trace id of a W3C traceparent header, or undefined when it is absent or malformed (all-zero ids are invalid). */
export function traceIdFromTraceparent(header: string | undefined): string | undefined {
  const match = header ? TRACEPARENT.exec(header.trim().toLowerCase()) : null;
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined;
  return match[1];
}

/** A fresh traceparent (not sampled): lets logs of one request join across services while no SDK is running. */
export function newTraceparent(traceId: string = randomBytes(16).toString('hex')): string {
  return `00-${traceId}-${randomBytes(8).toString('hex')}-00`;
}

/** The trace id of the span active here, if a tracer is recording one. */
export function activeTraceId(): string | undefined {
  const span: Span | undefined = trace.getActiveSpan();
  const spanContext = span?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/**
 * The trace id a request is known by: the active span's when tracing,
 * otherwise the caller's traceparent's. The one id users quote, logs carry
 * and traces are found by.
 */
export function requestTraceId(headers: Readonly<Record<string, string | undefined>>): string | undefined {
  return activeTraceId() ?? traceIdFromTraceparent(headers.traceparent);
}

/** The active context's W3C headers (traceparent, tracestate), for a request this process sends. */
export function activeTraceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}
