import { headerClient, requestLogPlugin } from '@qsmo/service-kit/request-log';
import type { Logger } from '@qsmo/service-kit/logger';
import type { GatewayContext, GatewayPlugin } from '../plugin';

/**
 * One structured log line per client request (trace id, operation, client
 * name and version, duration, outcome, error codes) and the trace id back
 * to the client, in `x-trace-id` and in every error's `extensions.traceId`.
 * The client is named by Apollo's client awareness headers, else by the
 * token's subject; the token itself is never logged. Its place
 * (phases.ts) is after tracing, whose trace id it reports.
 */
export function useRequestLog(options: { logger: Logger }): GatewayPlugin {
  return {
    name: 'request-log',
    apolloPlugins: [
      requestLogPlugin<GatewayContext>({
        logger: options.logger,
        traceIdOf: (context) => context.traceId,
        clientOf: (request) => {
          const client = headerClient(request);
          return { ...client, name: client.name ?? request.contextValue.identity?.subject ?? undefined };
        },
      }),
    ],
  };
}
