import { isIncomingOperation } from '../datasource';
import type { GatewayPlugin } from '../plugin';

declare module '../plugin' {
  interface GatewayContext {
    /** The client's headers that go on to every subgraph request (lower-cased names). */
    propagatedHeaders?: Readonly<Record<string, string>>;
  }
}

/**
 * Client identification and trace context the subgraphs log and correlate
 * by: Apollo's client awareness headers, W3C trace context and a request id.
 * Nothing that carries credentials: forwarding those is the auth plugin's
 * decision, made per subgraph.
 */
export const DEFAULT_PROPAGATED_HEADERS: readonly string[] = [
  'apollographql-client-name',
  'apollographql-client-version',
  'traceparent',
  'tracestate',
  'x-request-id',
];

/**
 * Forwards an allowlist of client request headers to the subgraph requests a
 * client operation causes, so a request can be followed across services.
 * Only the listed headers go on; the gateway's own requests (health checks)
 * carry none.
 */
export function usePropagateHeaders(options: { headers?: readonly string[] } = {}): GatewayPlugin {
  const allowed = [...new Set((options.headers ?? DEFAULT_PROPAGATED_HEADERS).map((h) => h.toLowerCase()))];
  return {
    name: 'propagate-headers',
    context(request) {
      const propagated: Record<string, string> = {};
      for (const name of allowed) {
        const value = request.headers[name];
        if (value !== undefined) propagated[name] = value;
      }
      return { propagatedHeaders: propagated };
    },
    willSendRequest({ options }) {
      if (!isIncomingOperation(options)) return;
      const headers = options.request.http?.headers;
      if (!headers) return;
      for (const [name, value] of Object.entries(options.context.propagatedHeaders ?? {})) headers.set(name, value);
    },
  };
}
