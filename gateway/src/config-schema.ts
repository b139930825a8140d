import { env } from '@qsmo/service-kit/config-schema';
import {
  DATABASE_VARIABLES,
  HTTP_VARIABLES,
  LIMIT_VARIABLES_SCHEMA,
  OBSERVABILITY_VARIABLES,
  PROCESS_VARIABLES,
  SIGNATURE_VARIABLES,
} from '@qsmo/service-kit/config-variables';
import { REGISTRY_VARIABLES, USAGE_VARIABLES } from '@qsmo/registry/config-variables';
import { DIRECTORY, envName, SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { DEFAULT_AUTH_FAILURES_PER_MINUTE, DEFAULT_RATE_LIMITS } from './plugins/rate-limit';
import { DEFAULT_RESPONSE_CACHE } from './plugins/response-cache';
import { DEFAULT_SUBSCRIPTIONS } from './subscriptions/config';
import { TRUSTED_DOCUMENTS_MODES } from './plugins/trusted-documents';
import { DEFAULT_REQUEST_DEADLINE_MS, DEFAULT_SUBGRAPH_TIMEOUT_MS } from './resilience-config';

export const SUPERGRAPH_SOURCES = ['registry', 'file', 'compose'] as const;
export const CLIENT_MANIFEST_SOURCES = ['registry', 'off'] as const;

/**
 * Every environment variable the gateway reads: readGatewayConfig reads
 * through this schema only, and docs/reference/configuration.md is written
 * from it (`npm run docs:config`).
 */
export const GATEWAY_VARIABLES = {
  PORT: env.port('The port the gateway listens on.', { default: 4000 }),
  ...PROCESS_VARIABLES,
  GATEWAY_WORKERS: env.positiveInt('Gateway processes sharing the one port; 1 runs no cluster.', { shown: 'one per core' }),
  SUPERGRAPH_SOURCE: env.oneOf(
    'Where the supergraph comes from: the schema registry (followed while running), a file, or the local schemas composed at start-up.',
    SUPERGRAPH_SOURCES,
    { shown: '`file` when SUPERGRAPH_PATH is set, else `compose`' },
  ),
  SUPERGRAPH_PATH: env.string('The supergraph file served with SUPERGRAPH_SOURCE=file.'),
  SUPERGRAPH_OUT: env.string('Where the composed supergraph is written with SUPERGRAPH_SOURCE=compose.', { shown: '.data/supergraph.graphql' }),
  REGISTRY_POLL_INTERVAL_MS: env.positiveInt('How often the registry is asked for a newer supergraph.', { default: 2_000 }),
  ...Object.fromEntries(
    [...SUBGRAPHS, DIRECTORY].map((s) => [
      envName(s.name, 'URL'),
      env.string(`Where the gateway reaches the ${s.area} subgraph (overrides the routing URL of a supergraph file).`, {
        shown: `http://localhost:${s.port}/graphql`,
      }),
    ]),
  ),
  IDE_ENABLED: env.boolean('The browser IDE at /.', { shown: 'true, false with NODE_ENV=production' }),
  MCP_ENABLED: env.boolean('The Model Context Protocol endpoint at /mcp.', { shown: 'true, false with NODE_ENV=production' }),
  TRUSTED_DOCUMENTS: env.oneOf(
    "`enforce` runs only the operation library's documents (signed-in analysts and editors excepted), `allow` resolves their hashes but runs anything, `off` is plain APQ.",
    TRUSTED_DOCUMENTS_MODES,
    { shown: '`enforce` with NODE_ENV=production, else `off`' },
  ),
  CLIENT_MANIFESTS: env.oneOf(
    'Whether the operations frontend teams publish to the schema registry (`npm run operations:publish`) are trusted beside the library, followed every registry poll. With a supergraph file or composed schemas, `registry` opens the registry for them alone (REGISTRY_MONGODB_URI, REGISTRY_DATABASE).',
    CLIENT_MANIFEST_SOURCES,
    { shown: '`registry` with SUPERGRAPH_SOURCE=registry, else `off`' },
  ),
  ...SIGNATURE_VARIABLES,
  AUTH_JWKS_URL: env.string("The identity provider's JWKS (https; http only for localhost)."),
  AUTH_JWKS_FILE: env.string('A JWKS file, instead of AUTH_JWKS_URL.'),
  AUTH_ISSUER: env.string('The `iss` tokens must carry; required with a JWKS.'),
  AUTH_AUDIENCE: env.string('The `aud` tokens must carry; required with a JWKS.'),
  AUTH_CLOCK_TOLERANCE_SECONDS: env.nonNegativeInt('Clock skew allowed on `exp` and `nbf`.', { default: 30 }),
  AUTH_ROLES_CLAIM: env.string('The token claim holding the roles.', { default: 'roles' }),
  AUTH_QSMOS_CLAIM: env.string('The token claim holding the QSMOs an editor may change.', { default: 'qsmos' }),
  ANONYMOUS_ACCESS: env.boolean('Whether callers without a token are served (as anonymous readers).', { default: true }),
  CORS_ORIGINS: env.string('Browser origins allowed to call the graph, comma-separated (scheme, host and port).'),
  RATE_LIMIT_ANONYMOUS: env.nonNegativeInt('Requests per minute per anonymous caller address (0: no limit).', {
    default: DEFAULT_RATE_LIMITS.perMinute.anonymous,
  }),
  RATE_LIMIT_ANALYST: env.nonNegativeInt('Requests per minute per analyst.', { default: DEFAULT_RATE_LIMITS.perMinute.analyst }),
  RATE_LIMIT_EDITOR: env.nonNegativeInt('Requests per minute per editor.', { default: DEFAULT_RATE_LIMITS.perMinute.editor }),
  RATE_LIMIT_AUTH_FAILURES: env.nonNegativeInt('Failed token checks per minute per address before 429.', { default: DEFAULT_AUTH_FAILURES_PER_MINUTE }),
  TRUST_PROXY_HOPS: env.nonNegativeInt("Proxies in front of the gateway whose X-Forwarded-For is trusted for the caller's address.", { default: 0 }),
  ...LIMIT_VARIABLES_SCHEMA,
  REQUEST_DEADLINE_MS: env.positiveInt("How long a client's whole request may take; later subgraph calls get only what is left.", {
    default: DEFAULT_REQUEST_DEADLINE_MS,
  }),
  SUBGRAPH_TIMEOUT_MS: env.positiveInt('How long one subgraph call may take.', { default: DEFAULT_SUBGRAPH_TIMEOUT_MS }),
  ...Object.fromEntries(
    SUBGRAPHS.map((s) => [
      envName(s.name, 'TIMEOUT_MS'),
      env.positiveInt(`How long one call to the ${s.area} subgraph may take.`, { shown: 'SUBGRAPH_TIMEOUT_MS' }),
    ]),
  ),
  SUBGRAPH_RETRIES: env.nonNegativeInt('Retries of a query whose connection was refused or reset (0: none).', { default: 2 }),
  CIRCUIT_FAILURE_THRESHOLD: env.positiveInt("Failures in a row that open a subgraph's circuit.", { default: 5 }),
  CIRCUIT_HALF_OPEN_AFTER_MS: env.positiveInt('How long an open circuit waits before trying one call.', { default: 2_000 }),
  SUBGRAPH_MAX_SOCKETS: env.positiveInt('Connections to each subgraph at most.', { default: 64 }),
  SUBGRAPH_HEALTH_INTERVAL_MS: env.positiveInt("How often each subgraph's readiness is checked.", { default: 2_000 }),
  SUBSCRIPTIONS_ENABLED: env.boolean(
    "Live updates: Subscription.catalogChanged over SSE and WebSocket at /graphql, and the follow of the marketplaces' change feeds.",
    { default: DEFAULT_SUBSCRIPTIONS.enabled },
  ),
  SUBSCRIPTIONS_MAX_PER_CLIENT: env.positiveInt(
    'Subscriptions one caller (signed-in subject, else client address) may hold open at once in one gateway process.',
    { default: DEFAULT_SUBSCRIPTIONS.maxPerClient },
  ),
  SUBSCRIPTIONS_MAX: env.positiveInt('Subscriptions one gateway process holds open at once, all callers together.', { default: DEFAULT_SUBSCRIPTIONS.max }),
  SUBSCRIPTIONS_FEED_WAIT_MS: env.positiveInt("How long one read of a marketplace's change feed may wait for a change (a long poll; at most 30000).", {
    default: DEFAULT_SUBSCRIPTIONS.feedWaitMs,
  }),
  SUBSCRIPTIONS_KEEP_ALIVE_MS: env.positiveInt(
    "How often an idle WebSocket gets a ping, so proxies keep it open (SSE streams get the library's own keep-alive comment every 12 s).",
    {
      default: DEFAULT_SUBSCRIPTIONS.keepAliveMs,
    },
  ),
  INBOUND_DEDUP: env.oneOf(
    "Identical queries in flight at once (same document, variables and caller's scope) share one execution and its answer.",
    ['on', 'off'] as const,
    { default: 'on' },
  ),
  RESPONSE_CACHE: env.oneOf('Whole-response caching.', ['on', 'off'] as const, { default: 'on' }),
  RESPONSE_CACHE_MAX_AGE_S: env.positiveInt('Longest a cached response is served, whatever its types allow.', {
    default: DEFAULT_RESPONSE_CACHE.maxAgeSeconds,
  }),
  RESPONSE_CACHE_MAX_MB: env.positiveInt("The response cache's size.", { default: DEFAULT_RESPONSE_CACHE.maxBytes / 2 ** 20 }),
  RESPONSE_CACHE_CHANGE_POLL_MS: env.positiveInt("How often each subgraph's data version is read, to evict what changed elsewhere.", {
    default: DEFAULT_RESPONSE_CACHE.changePollMs,
  }),
  ...HTTP_VARIABLES,
  ...OBSERVABILITY_VARIABLES,
  ...REGISTRY_VARIABLES,
  ...DATABASE_VARIABLES,
  ...USAGE_VARIABLES,
};

/** Names only the gateway's settings start with: anything else so named is a mistake worth a warning. */
export const GATEWAY_PREFIXES = [
  'GATEWAY_',
  'SUPERGRAPH_',
  'AUTH_',
  'CORS_',
  'RATE_LIMIT_',
  'SUBGRAPH_',
  'CIRCUIT_',
  'RESPONSE_CACHE',
  'FIELD_USAGE',
  'IDE_',
  'MCP_',
  'TRUSTED_',
  'COST_BUDGET_',
  'REQUEST_DEADLINE',
];
