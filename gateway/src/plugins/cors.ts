import type { ServerResponse } from 'node:http';
import { ErrorCode } from '@qsmo/service-kit/errors';
import { seeErrorDoc } from '@qsmo/service-kit/error-guide';
import type { GatewayPlugin, IncomingRequest } from '../plugin';

/** The frontends allowed to call the graph from a browser: exact origins, e.g. "https://grants.example.gov". */
export interface CorsConfig {
  origins: readonly string[];
}

/** What a browser may send cross-origin: the credentials header, GraphQL's content type, and the headers the gateway propagates. */
export const CORS_ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollographql-client-name',
  'apollographql-client-version',
  'traceparent',
  'tracestate',
  'x-request-id',
];
/** Response headers a frontend may read: why it was refused or throttled, and which supergraph answered. */
export const CORS_EXPOSED_HEADERS = ['retry-after', 'www-authenticate', 'supergraph-version', 'ratelimit-limit', 'ratelimit-remaining'];

/** Whether `value` is an origin as browsers send it: scheme, host, optional port, nothing else. */
export function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

/**
 * CORS with an allowlist. A request whose Origin is listed gets
 * Access-Control-Allow-Origin for exactly that origin, and its preflight is
 * answered 204. A request from any other origin (the gateway's own pages
 * excepted: same host) is refused with 403 and no CORS headers, preflight or
 * not, so a page elsewhere can neither read nor cause anything. Tokens go in
 * the Authorization header, never cookies, so no credentials mode is needed.
 */
export function useCors(config: CorsConfig): GatewayPlugin {
  const allowed = new Set(config.origins);
  return {
    name: 'cors',
    beforeRequest(request, response) {
      const origin = request.headers.origin;
      const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
      if (origin === undefined) return false;
      response.setHeader('vary', 'Origin');
      if (!allowed.has(origin)) {
        if (!preflight && sameOrigin(origin, request)) return false;
        return refuse(response, origin);
      }
      response.setHeader('access-control-allow-origin', origin);
      if (!preflight) {
        response.setHeader('access-control-expose-headers', CORS_EXPOSED_HEADERS.join(', '));
        return false;
      }
      response.statusCode = 204;
      response.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      response.setHeader('access-control-allow-headers', CORS_ALLOWED_HEADERS.join(', '));
      response.setHeader('access-control-max-age', '600');
      response.end();
      return true;
    },
  };
}

/** The gateway's own pages (the IDE) send their Origin too; same host means same origin here. */
function sameOrigin(origin: string, request: IncomingRequest): boolean {
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

function refuse(response: ServerResponse, origin: string): true {
  response.statusCode = 403;
  response.setHeader('content-type', 'application/json; charset=utf-8');
  const message = `Origin ${origin.slice(0, 100)} may not call this graph from a browser: add it to CORS_ORIGINS on the gateway.${seeErrorDoc(ErrorCode.FORBIDDEN)}`;
  response.end(JSON.stringify({ errors: [{ message, extensions: { code: ErrorCode.FORBIDDEN, reason: 'origin' } }] }));
  return true;
}
