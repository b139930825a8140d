import type { ApolloServerPlugin } from '@apollo/server';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
  /** Driver-measured round trip of each command, by outcome (ok, error). */
  mongoCommandDuration: Histogram<'command' | 'collection' | 'outcome'>;
  /** Errors answered to clients, by `extensions.code` (a small set, see errors.ts). */
  graphqlErrors: Counter<'code'>;
  /** How long each operation took from request to response, by (bounded) name and outcome. */
  graphqlDuration: Histogram<'operation' | 'outcome'>;
  /** GraphQL requests being answered right now. */
  graphqlInFlight: Gauge;
  /**
   * Response cache lookups by outcome (hit, miss): incremented by whatever
   * caches whole responses, so hit rates sit next to the latencies they save.
   */
  responseCache: Counter<'outcome'>;
  /** The operation-name label, bounded (see BoundedLabel). */
  operationLabel: BoundedLabel;
  /** Client connections open now. */
  httpConnections: Gauge;
  /** Connections closed by admission, by cap (client, global) and action (evicted: an idle one made room; refused: the new one). */
  httpConnectionsShed: Counter<'cap' | 'action'>;
}

/** Latency buckets in seconds, from a cached read (1 ms) to a timed-out call (10 s). */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Keeps a label's values to a fixed set: names that are known up front (the
 * trusted documents' operations) and the first `cap` others seen; after
 * that "other". A label fed by clients (operation names) must never grow
 * without bound, or every new name is a new time series.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();
  constructor(
    private cap = 100,
    known: Iterable<string> = [],
  ) {
    for (const name of known) this.seen.add(name);
    this.cap += this.seen.size;
  }

  /** Adds names that are always labelled as themselves (e.g. the operations library). */
  allow(names: Iterable<string>): void {
    for (const name of names)
      if (!this.seen.has(name)) {
        this.seen.add(name);
        this.cap++;
      }
  }

  /** The label for `value`: itself if known or while there is room, else "other"; malformed or overlong names are "other" at once. */
  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (value.length > 64 || !/^[_A-Za-z][_0-9A-Za-z]*$/.test(value) || this.seen.size >= this.cap) return 'other';
    this.seen.add(value);
    return value;
  }
}

export function createMetrics(service: string, options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route and status code.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency in seconds.',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    graphqlOperations: new Counter({
      name: 'graphql_operations_total',
      help: 'GraphQL operations by name, type and outcome (success, error, invalid).',
      labelNames: ['operation', 'type', 'outcome'],
      registers: [registry],
    }),
    mongoCommands: new Counter({
      name: 'mongodb_commands_total',
      help: 'MongoDB commands sent by the driver, by command name and collection.',
      labelNames: ['command', 'collection'],
      registers: [registry],
    }),
    mongoCommandDuration: new Histogram({
      name: 'mongodb_command_duration_seconds',
      help: 'MongoDB command latency as the driver measured it, by command, collection and outcome.',
      labelNames: ['command', 'collection', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    graphqlErrors: new Counter({
      name: 'graphql_errors_total',
      help: 'Errors in GraphQL responses, by extensions.code.',
      labelNames: ['code'],
      registers: [registry],
    }),
    graphqlDuration: new Histogram({
      name: 'graphql_operation_duration_seconds',
      help: 'GraphQL operation latency in seconds, by operation name (bounded: the first 100 names, then "other") and outcome.',
      labelNames: ['operation', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    graphqlInFlight: new Gauge({ name: 'graphql_requests_in_flight', help: 'GraphQL requests being answered now.', registers: [registry] }),
    responseCache: new Counter({
      name: 'graphql_response_cache_total',
      help: 'Whole-response cache lookups by outcome (hit, miss).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    operationLabel: new BoundedLabel(),
    httpConnections: new Gauge({ name: 'http_connections_open', help: 'Client connections open now.', registers: [registry] }),
    httpConnectionsShed: new Counter({
      name: 'http_connections_shed_total',
      help: 'Connections closed at a connection cap, by cap (client, global) and action (evicted: an idle one closed to make room; refused: the new one closed).',
      labelNames: ['cap', 'action'],
      registers: [registry],
    }),
  };
}

// Error codes are few (errors.ts plus GraphQL's own); a label on anything else would be a client-chosen string.
const errorCodes = new BoundedLabel(40);

/**
 * Counts and times each GraphQL operation once, by (bounded) name and
 * outcome, counts its errors by code, and keeps the in-flight gauge.
 */
export function metricsPlugin(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      metrics.graphqlInFlight.inc();
      let done = false;
      const finish = () => {
        if (!done) {
          done = true;
          metrics.graphqlInFlight.dec();
        }
      };
      return {
        async willSendResponse(ctx) {
          finish();
          const op = ctx.operation;
          const body = ctx.response.body;
          const errors = body.kind === 'single' ? (body.singleResult.errors ?? []) : (ctx.errors ?? []);
          const outcome = !op ? 'invalid' : errors.length > 0 ? 'error' : 'success';
          const operation = ctx.operationName ? metrics.operationLabel.of(ctx.operationName) : op ? 'anonymous' : 'unknown';
          metrics.graphqlOperations.inc({ operation, type: op?.operation ?? 'unknown', outcome });
          metrics.graphqlDuration.observe({ operation, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
          for (const error of errors) {
            const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
            metrics.graphqlErrors.inc({ code: typeof code === 'string' ? errorCodes.of(code) : 'none' });
          }
        },
      };
    },
  };
}

/** The MongoClient hooks (see createMongoClient) that feed a service's command counter and latency histogram. */
export function mongoCommandHooks(metrics: Metrics) {
  return {
    onCommand: ({ commandName, collection }: { commandName: string; collection: string | null }) =>
      metrics.mongoCommands.inc({ command: commandName, collection: collection ?? '' }),
    onCommandDone: ({ commandName, collection, durationMs, ok }: { commandName: string; collection: string | null; durationMs: number; ok: boolean }) =>
      metrics.mongoCommandDuration.observe({ command: commandName, collection: collection ?? '', outcome: ok ? 'ok' : 'error' }, durationMs / 1000),
  };
}
