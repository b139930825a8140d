import { activeTraceHeaders, newTraceparent, requestTraceId, traceIdFromTraceparent, tracingActive } from '@qsmo/service-kit/telemetry';
import { isIncomingOperation } from '../datasource';
import type { GatewayPlugin } from '../plugin';

declare module '../plugin' {
  interface GatewayContext {
    /** The request's trace id: the active span's, else the client's traceparent's, else a fresh one. */
    traceId?: string;
    /** The traceparent sent to subgraphs when no SDK is tracing (the client's, or a fresh unsampled one). */
    traceparent?: string;
  }
}

/**
 * One trace id per client request, known to every service it reaches. With
 * the OpenTelemetry SDK running (telemetry.ts), each subgraph request
 * carries the W3C context of the gateway's fetch span, so the subgraphs'
 * spans join the gateway's trace, whose parent is the client's traceparent.
 * Without it, the client's traceparent goes on (or a fresh one is made), so
 * the services' log lines still share the id. Its place
 * (phases.ts) is after propagate-headers, whose forwarded client traceparent it replaces.
 */
export function useTracing(): GatewayPlugin {
  return {
    name: 'tracing',
    context(request) {
      const traced = requestTraceId(request.headers);
      if (traced && tracingActive()) return { traceId: traced };
      const sent = request.headers.traceparent;
      const traceId = traceIdFromTraceparent(sent);
      if (traceId) return { traceId, traceparent: sent };
      const traceparent = newTraceparent();
      return { traceId: traceIdFromTraceparent(traceparent), traceparent };
    },
    willSendRequest({ options }) {
      if (!isIncomingOperation(options)) return;
      const headers = options.request.http?.headers;
      if (!headers) return;
      if (tracingActive()) {
        // The active span here is @apollo/gateway's fetch span: the subgraph's server span becomes its child.
        for (const [name, value] of Object.entries(activeTraceHeaders())) headers.set(name, value);
      } else if (options.context.traceparent) {
        headers.set('traceparent', options.context.traceparent);
      }
    },
  };
}
