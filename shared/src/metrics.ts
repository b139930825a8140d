import type { ApolloServerPlugin } from '@apollo/server';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of one service. Each service builds its own Registry so
 * in-process tests can run several services without their counters mixing.
 */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  graphqlOperations: Counter<'operation' | 'type' | 'outcome'>;
  mongoCommands: Counter<'command' | 'collection'>;
}

export function createMetrics(service: string, options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total', help: 'HTTP requests by method, route and status code.',
      labelNames: ['method', 'route', 'status'], registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds', help: 'HTTP request latency in seconds.',
      labelNames: ['method', 'route'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    graphqlOperations: new Counter({
      name: 'graphql_operations_total', help: 'GraphQL operations by name, type and outcome (success, error, invalid).',
      labelNames: ['operation', 'type', 'outcome'], registers: [registry],
    }),
    mongoCommands: new Counter({
      name: 'mongodb_commands_total', help: 'MongoDB commands sent by the driver, by command name and collection.',
      labelNames: ['command', 'collection'], registers: [registry],
    }),
  };
}

/** Counts each GraphQL operation once, by name and outcome. */
export function metricsPlugin(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse(ctx) {
          const op = ctx.operation;
          const hasErrors = (ctx.errors?.length ?? 0) > 0;
          const outcome = !op ? 'invalid' : hasErrors ? 'error' : 'success';
          metrics.graphqlOperations.inc({
            operation: ctx.operationName ?? (op ? 'anonymous' : 'unknown'),
            type: op?.operation ?? 'unknown',
            outcome,
          });
        },
      };
    },
  };
}
