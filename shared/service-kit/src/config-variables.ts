import { env } from './config-schema';
import { DEFAULT_COST_BUDGETS } from './demand-control';
import { DEFAULT_MAX_IN_FLIGHT, DEFAULT_KEEP_ALIVE_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_HEADERS_TIMEOUT_MS } from './http/service';
import { DEFAULT_OPERATION_LIMITS } from './limits';
import { LOG_FORMATS } from './logger';

/**
 * The variables several services read, declared once (see config-schema.ts);
 * each service's configuration module spreads the groups it reads into its
 * own schema.
 */

export const PROCESS_VARIABLES = {
  NODE_ENV: env.string('`production` turns on the production defaults: signed subgraph calls, closed /metrics, JSON logs, no IDE, trusted documents enforced.'),
  HOST: env.string('The address to listen on.', { default: '0.0.0.0' }),
  LOG_LEVEL: env.logLevel(),
};

export const OBSERVABILITY_VARIABLES = {
  LOG_FORMAT: env.oneOf('How log lines are written.', LOG_FORMATS, { shown: '`json` with NODE_ENV=production, else `pretty`' }),
  OTEL_EXPORTER_OTLP_ENDPOINT: env.string('The OpenTelemetry collector (OTLP over HTTP) traces go to; unset, no traces leave the process.'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: env.string("The collector's traces endpoint, when it differs from OTEL_EXPORTER_OTLP_ENDPOINT."),
  OTEL_EXPORTER_OTLP_PROTOCOL: env.string('OTLP protocol: http/protobuf, http/json or grpc.'),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: env.string('OTLP protocol of traces, when it differs from OTEL_EXPORTER_OTLP_PROTOCOL.'),
  OTEL_TRACES_EXPORTER: env.string('otlp, console or none (none switches tracing off).'),
  OTEL_SDK_DISABLED: env.string('`true` switches OpenTelemetry off whatever else is set.'),
};

export const HTTP_VARIABLES = {
  HTTP_REQUEST_TIMEOUT_MS: env.positiveInt('How long a client may take to send a whole request.', { default: DEFAULT_REQUEST_TIMEOUT_MS }),
  HTTP_HEADERS_TIMEOUT_MS: env.positiveInt('How long a client may take to send the request headers; at most HTTP_REQUEST_TIMEOUT_MS.', {
    shown: `${DEFAULT_HEADERS_TIMEOUT_MS}, or HTTP_REQUEST_TIMEOUT_MS if lower`,
  }),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: env.positiveInt('How long an idle keep-alive connection is kept open.', { default: DEFAULT_KEEP_ALIVE_TIMEOUT_MS }),
  DRAIN_DELAY_MS: env.nonNegativeInt('On SIGTERM, how long to keep serving while /health/ready already says no (for a load balancer to notice).', {
    default: 0,
  }),
  DRAIN_TIMEOUT_MS: env.positiveInt('On SIGTERM, how long in-flight requests may take to finish.', { default: 10_000 }),
  MAX_IN_FLIGHT: env.positiveInt('Requests served at once; more are refused with 503.', { default: DEFAULT_MAX_IN_FLIGHT }),
  MAX_CONNECTIONS: env.nonNegativeInt('Open connections at most (0: no cap); must stay below the file-descriptor limit.', {
    shown: 'the file-descriptor limit less a reserve',
  }),
  MAX_CONNECTIONS_PER_CLIENT: env.nonNegativeInt('Open connections per client address (0: no cap).', {
    shown: 'gateway: 256 (0 behind a proxy, TRUST_PROXY_HOPS > 0); subgraphs: 0',
  }),
  METRICS_TOKEN: env.string('A Bearer token that opens /metrics (at least 16 characters).'),
  METRICS_PUBLIC: env.boolean('Whether /metrics is open without METRICS_TOKEN.', { shown: 'true, false with NODE_ENV=production' }),
};

export const LIMIT_VARIABLES_SCHEMA = {
  MAX_DEPTH: env.positiveInt('Deepest selection nesting an operation may have.', { default: DEFAULT_OPERATION_LIMITS.maxDepth }),
  MAX_ALIASES: env.positiveInt('Aliases an operation may use.', { default: DEFAULT_OPERATION_LIMITS.maxAliases }),
  MAX_TOKENS: env.positiveInt('Tokens a document may have (checked while parsing).', { default: DEFAULT_OPERATION_LIMITS.maxTokens }),
  MAX_DIRECTIVES: env.positiveInt('Directives an operation may use.', { default: DEFAULT_OPERATION_LIMITS.maxDirectives }),
  MAX_RECURSION: env.positiveInt('How often one field may appear on one path (recursive fields such as provider ↔ offerings fan out).', {
    default: DEFAULT_OPERATION_LIMITS.maxRecursion,
  }),
  COST_BUDGET_ANONYMOUS: env.positiveInt("Estimated cost an anonymous caller's operation may have, variables counted.", {
    default: DEFAULT_COST_BUDGETS.anonymous,
  }),
  COST_BUDGET_ANALYST: env.positiveInt("Estimated cost an analyst's operation may have.", { default: DEFAULT_COST_BUDGETS.analyst }),
  COST_BUDGET_EDITOR: env.positiveInt("Estimated cost an editor's operation may have.", { default: DEFAULT_COST_BUDGETS.editor }),
  MAX_COST: env.string('No longer read: setting it stops start-up with a message naming the COST_BUDGET_* variables that replace it.'),
};

export const SIGNATURE_VARIABLES = {
  GATEWAY_SIGNING_SECRET: env.string(
    "The secret the gateway signs each subgraph call's identity with; the same on the gateway and every subgraph (at least 32 characters).",
  ),
};

/** Read only where the gateway's signature is verified (the subgraphs, the directory): the gateway signs with GATEWAY_SIGNING_SECRET alone. */
export const SIGNATURE_VERIFICATION_VARIABLES = {
  GATEWAY_SIGNING_SECRETS_ACCEPTED: env.string(
    'Other secrets, comma-separated, whose signatures are accepted besides GATEWAY_SIGNING_SECRET while it is rotated (verification only, never used to sign; each at least 32 characters, no commas).',
  ),
};

export const DATABASE_VARIABLES = {
  MONGODB_URI: env.mongoUri('The MongoDB to use; unset, the embedded FerretDB is built and started.'),
  EMBEDDED_DB_DIR: env.string('Where the embedded database keeps its data.', { shown: '.data/ferretdb' }),
  TOOLS_DIR: env.string("Where the embedded database's binary is built.", { shown: '.tools' }),
  EMBEDDED_DB_PORT: env.port("The embedded database's port.", { default: 27217 }),
};
