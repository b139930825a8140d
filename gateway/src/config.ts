import os from 'node:os';
import path from 'node:path';
import { EnvReader, REPO_ROOT } from '@qsmo/service-kit/config';
import { type LogLevel } from '@qsmo/service-kit/logger';
import { DEFAULT_MAX_CONNECTIONS_PER_CLIENT, readDrainOptions, type DrainOptions } from '@qsmo/service-kit/http/service';
import { readRegistryConfig, type RegistryConfig } from '@qsmo/registry/config';
import { readIdeConfig, type IdeConfig } from './ide-config';
import { readMcpConfig, type McpConfig } from './mcp-config';
import { readSecurityConfig, type SecurityConfig } from './security-config';
import { readOperationLimits, type OperationLimits } from '@qsmo/service-kit/limits';
import { readCostBudgets, type CostBudgets } from '@qsmo/service-kit/demand-control';
import { TRUSTED_DOCUMENTS_MODES, type TrustedDocumentsMode } from './plugins/trusted-documents';
import { readResilienceConfig, type ResilienceConfig } from './resilience-config';
import { DEFAULT_RESPONSE_CACHE, type ResponseCacheConfig } from './plugins/response-cache';
import { DEFAULT_INBOUND_DEDUP, type InboundDedupConfig } from './plugins/inbound-dedup';
import { SUBGRAPHS, urlEnvName, type SubgraphEndpoint } from './subgraphs';
import { readSubscriptionConfig, type SubscriptionConfig } from './subscriptions/config';
import { DIRECTORY } from '@qsmo/service-kit/subgraphs';
import { readObservabilityConfig, type ObservabilityConfig } from '@qsmo/service-kit/observability';
import { readUsageConfig, type UsageConfig } from '@qsmo/registry/usage';
import { SHARED_SERVICE_VARIABLE_NAMES } from '@qsmo/service-kit/config-names';
import { CLIENT_MANIFEST_SOURCES, GATEWAY_PREFIXES, GATEWAY_VARIABLES, SUPERGRAPH_SOURCES } from './config-schema';

/** Where the gateway's supergraph comes from (SUPERGRAPH_SOURCE). */
export type SupergraphSourceConfig =
  /** The schema registry: the newest published supergraph, followed while running. */
  | ({ kind: 'registry'; pollIntervalMs: number } & RegistryConfig)
  /** A supergraph file composed elsewhere (static deployments, docker). */
  | { kind: 'file'; path: string }
  /** Compose the local subgraph schemas at start-up and write the result to outputPath. */
  | { kind: 'compose'; outputPath: string };

export { SUPERGRAPH_SOURCES } from './config-schema';

/** Where the operations frontend teams publish (client manifests) are read from (CLIENT_MANIFESTS). */
export type ClientManifestsConfig =
  /** The schema registry's published manifests, followed every poll: the supergraph's registry, or one opened for them alone. */
  | ({ kind: 'registry'; pollIntervalMs: number } & RegistryConfig)
  /** Only the operation library is trusted. */
  | { kind: 'off' };

export interface GatewayConfig {
  port: number;
  host: string;
  logLevel: LogLevel;
  subgraphs: SubgraphEndpoint[];
  supergraph: SupergraphSourceConfig;
  drain: DrainOptions;
  ide: IdeConfig;
  /** MCP_ENABLED: the Model Context Protocol endpoint at /mcp. */
  mcp: McpConfig;
  /** Identity, rate limits, CORS, the subgraph signing secret and /metrics access. */
  security: SecurityConfig;
  /** Timeouts, retries, circuit breakers and connection caps of calls to subgraphs. */
  resilience: ResilienceConfig;
  /** Whole-response caching (RESPONSE_CACHE, RESPONSE_CACHE_MAX_AGE_S, RESPONSE_CACHE_MAX_MB). */
  responseCache: ResponseCacheConfig;
  /** INBOUND_DEDUP: identical queries in flight at once run once. */
  inboundDedup: InboundDedupConfig;
  /** MAX_DEPTH, MAX_ALIASES, MAX_TOKENS, MAX_DIRECTIVES, MAX_RECURSION. */
  limits: OperationLimits;
  /** COST_BUDGET_ANONYMOUS, COST_BUDGET_ANALYST, COST_BUDGET_EDITOR: demand control's budgets. */
  costBudgets: CostBudgets;
  /** TRUSTED_DOCUMENTS. */
  trustedDocuments: TrustedDocumentsMode;
  /** CLIENT_MANIFESTS: the published client operations trusted beside the library. */
  clientManifests: ClientManifestsConfig;
  /** LOG_FORMAT and the OTel variables. */
  observability: ObservabilityConfig;
  /** FIELD_USAGE and its settings: recorded into the registry when the gateway follows one. */
  usage: UsageConfig;
  /** SUBSCRIPTIONS_*: live updates over SSE and WebSocket (see subscriptions/config.ts). */
  subscriptions: SubscriptionConfig;
  /** GATEWAY_WORKERS: gateway processes behind the one port (see cluster.ts); 1 runs no cluster. */
  workers: number;
  /** Variables set but ignored (unknown with a gateway prefix, or a misspelling), by name: logged at start-up. */
  warnings: string[];
}

export const DEFAULT_SUPERGRAPH_OUTPUT = path.join(REPO_ROOT, '.data', 'supergraph.graphql');
/** Short enough that a publish is served within seconds; one indexed query per poll. */
export const DEFAULT_REGISTRY_POLL_MS = 2_000;

// The plugins' settings are read here, at the entry point; the plugins get them as typed options.

/** Reads the response cache's settings once at the entry point; on by default. */
export function readResponseCacheConfig(env: EnvReader): ResponseCacheConfig {
  return {
    enabled: env.oneOf('RESPONSE_CACHE', ['on', 'off'] as const, 'on') === 'on',
    maxAgeSeconds: env.positiveInt('RESPONSE_CACHE_MAX_AGE_S', DEFAULT_RESPONSE_CACHE.maxAgeSeconds),
    maxBytes: env.positiveInt('RESPONSE_CACHE_MAX_MB', DEFAULT_RESPONSE_CACHE.maxBytes / 2 ** 20) * 2 ** 20,
    changePollMs: env.positiveInt('RESPONSE_CACHE_CHANGE_POLL_MS', DEFAULT_RESPONSE_CACHE.changePollMs),
  };
}

/** Reads TRUSTED_DOCUMENTS; default `enforce` with NODE_ENV=production, else `off`, so development and the IDE keep sending any query. */
export function readTrustedDocumentsMode(env: EnvReader): TrustedDocumentsMode {
  return env.oneOf('TRUSTED_DOCUMENTS', TRUSTED_DOCUMENTS_MODES, env.string('NODE_ENV') === 'production' ? 'enforce' : 'off');
}

export function subgraphEndpoints(env: EnvReader): SubgraphEndpoint[] {
  return [...SUBGRAPHS, DIRECTORY].map((s) => ({ name: s.name, area: s.area, url: env.string(urlEnvName(s.name), `http://localhost:${s.port}/graphql`) }));
}

function readSupergraphSource(env: EnvReader): SupergraphSourceConfig {
  const file = env.string('SUPERGRAPH_PATH');
  // Unset, the gateway behaves as before the registry existed (a given file,
  // else the local schemas), so existing deployments keep working; following
  // the registry is asked for explicitly, as `npm start` does.
  const kind = env.oneOf('SUPERGRAPH_SOURCE', SUPERGRAPH_SOURCES, file ? 'file' : 'compose');
  switch (kind) {
    case 'file':
      if (!file) {
        env.problem('SUPERGRAPH_SOURCE=file needs SUPERGRAPH_PATH, the supergraph file to serve (e.g. one written by `npm run compose`).');
        return { kind, path: '' };
      }
      return { kind, path: path.resolve(file) };
    case 'compose':
      return { kind, outputPath: path.resolve(env.string('SUPERGRAPH_OUT', DEFAULT_SUPERGRAPH_OUTPUT)) };
    case 'registry':
      if (file) env.problem(`SUPERGRAPH_PATH is set but SUPERGRAPH_SOURCE=registry: unset one of them (the file would be ignored).`);
      return { kind, pollIntervalMs: env.positiveInt('REGISTRY_POLL_INTERVAL_MS', DEFAULT_REGISTRY_POLL_MS), ...readRegistryConfig(env) };
  }
}

/**
 * Published client manifests are followed wherever the supergraph comes from
 * the registry; a gateway serving a file or composed schemas follows them
 * only when asked, as it may have no registry to reach.
 */
function readClientManifests(env: EnvReader, supergraph: SupergraphSourceConfig, trustedDocuments: TrustedDocumentsMode): ClientManifestsConfig {
  const kind = env.oneOf('CLIENT_MANIFESTS', CLIENT_MANIFEST_SOURCES, supergraph.kind === 'registry' ? 'registry' : 'off');
  if (kind === 'off') return { kind };
  if (trustedDocuments === 'off' && env.isSet('CLIENT_MANIFESTS'))
    env.problem(
      'CLIENT_MANIFESTS=registry trusts published client operations, which needs TRUSTED_DOCUMENTS=enforce or allow: set one, or unset CLIENT_MANIFESTS.',
    );
  if (supergraph.kind === 'registry')
    return { kind, pollIntervalMs: supergraph.pollIntervalMs, databaseName: supergraph.databaseName, database: supergraph.database };
  return { kind, pollIntervalMs: env.positiveInt('REGISTRY_POLL_INTERVAL_MS', DEFAULT_REGISTRY_POLL_MS), ...readRegistryConfig(env) };
}

/** `env` is the reader over `environment` (a test passes its own, to see which declared variables were read). */
export function readGatewayConfig(environment: NodeJS.ProcessEnv = process.env, env = new EnvReader(environment, GATEWAY_VARIABLES)): GatewayConfig {
  const security = readSecurityConfig(env);
  const config: GatewayConfig = {
    port: env.port('PORT', 4000),
    host: env.string('HOST', '0.0.0.0'),
    logLevel: env.logLevel(),
    subgraphs: subgraphEndpoints(env),
    supergraph: readSupergraphSource(env),
    // Connections are admitted before anything is read, by socket address: behind a proxy that is the proxy's, which must not be capped as one client.
    drain: readDrainOptions(env, { maxConnectionsPerClient: security.rateLimit.trustProxyHops > 0 ? 0 : DEFAULT_MAX_CONNECTIONS_PER_CLIENT }),
    ide: readIdeConfig(env),
    mcp: readMcpConfig(env),
    security,
    resilience: readResilienceConfig(env),
    responseCache: readResponseCacheConfig(env),
    inboundDedup: { ...DEFAULT_INBOUND_DEDUP, enabled: env.oneOf('INBOUND_DEDUP', ['on', 'off'] as const, 'on') === 'on' },
    limits: readOperationLimits(env),
    costBudgets: readCostBudgets(env),
    trustedDocuments: readTrustedDocumentsMode(env),
    clientManifests: { kind: 'off' },
    observability: readObservabilityConfig(env, environment),
    usage: readUsageConfig(env),
    subscriptions: readSubscriptionConfig(env),
    // One per core by default: each worker uses one.
    workers: env.positiveInt('GATEWAY_WORKERS', os.availableParallelism()),
    warnings: [],
  };
  config.clientManifests = readClientManifests(env, config.supergraph, config.trustedDocuments);
  config.warnings = env.warnings({ service: 'the gateway', prefixes: GATEWAY_PREFIXES, knownElsewhere: SHARED_SERVICE_VARIABLE_NAMES });
  env.done();
  return config;
}
