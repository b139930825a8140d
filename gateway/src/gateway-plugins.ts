import { MongoClient } from 'mongodb';
import { createMetrics, type Metrics } from '@qsmo/service-kit/metrics';
import { type Logger } from '@qsmo/service-kit/logger';
import { type Route } from '@qsmo/service-kit/http/service';
import { FieldUsageStore } from '@qsmo/registry/usage';
import type { GatewayConfig } from './config';
import { OperationTools } from './mcp/tools';
import type { GatewayPlugin } from './plugin';
import { describePluginOrder, inPhaseOrder } from './phases';
import { resiliencePlugins, standardPlugins, useRoutes, useSupergraphVersion, type SupergraphStatus } from './plugins';
import { useCatalogWrites } from './plugins/catalog-writes';
import { useDedupe } from './plugins/dedupe';
import { useDemandControl } from './plugins/demand-control';
import { useInboundDedup } from './plugins/inbound-dedup';
import { FieldUsageRecorder, useFieldUsage } from './plugins/field-usage';
import { useMcp } from './plugins/mcp';
import { useOperationLimits } from './plugins/operation-limits';
import { useRequestLog } from './plugins/request-log';
import { useResponseCache, type ResponseCachePlugin } from './plugins/response-cache';
import { securityPlugins, type RateBuckets } from './plugins/security';
import { useSubgraphChanges } from './plugins/subgraph-changes';
import { useSubgraphMetrics } from './plugins/subgraph-metrics';
import { useTracing } from './plugins/tracing';
import { useTrustedDocuments } from './plugins/trusted-documents';
import { ManifestFile, TRUSTED_DOCUMENTS_FILE } from './trusted-documents';
import { combinedDocuments } from './client-manifests';
import { createSubscriptions } from './subscriptions';

/** What the production plugins are built from besides the configuration: the process's shared parts. */
export interface GatewayPluginParts {
  metrics: Metrics;
  logger: Logger;
  responseCache: ResponseCachePlugin;
  /** The operation library's manifest, when trusted documents or MCP need it. */
  library?: ManifestFile;
  /** Records field usage into the registry, when the gateway follows one. */
  usage?: FieldUsageRecorder;
  /** Rate-limit buckets shared by the cluster's workers; default: this process's. */
  rateBuckets?: RateBuckets;
  supergraphStatus?: () => SupergraphStatus;
  ideRoutes?: Readonly<Record<string, Route>>;
  /** The operations frontend teams published to the registry (client manifests), trusted beside the library. */
  publishedDocuments?: () => ReadonlyMap<string, string>;
  /** Live updates: the subscriptions' routes and hooks, when they are served. */
  subscriptions?: GatewayPlugin;
}

/**
 * Every plugin the gateway runs with this configuration, in phase order
 * (phases.ts decides the order, not this list): one place, so the entry
 * point, `npm run gateway:plugins` and the tests assemble the same thing.
 */
export function gatewayPlugins(config: GatewayConfig, parts: GatewayPluginParts): GatewayPlugin[] {
  const { metrics, logger, responseCache, library, usage } = parts;
  return inPhaseOrder([
    ...securityPlugins(config.security, parts.rateBuckets),
    useCatalogWrites(),
    ...standardPlugins({ metrics }),
    useTracing(),
    useRequestLog({ logger }),
    useSubgraphMetrics(metrics),
    ...(usage ? [useFieldUsage(usage)] : []),
    ...resiliencePlugins({ ...config.resilience, metrics }),
    useDedupe(),
    ...(parts.supergraphStatus ? [useSupergraphVersion(parts.supergraphStatus)] : []),
    ...(parts.ideRoutes ? [useRoutes(parts.ideRoutes, 'ide')] : []),
    // Each MCP tool call runs as a GraphQL request through every plugin here.
    ...(config.mcp.enabled && library ? [useMcp({ tools: new OperationTools([{ file: library }], logger), logger })] : []),
    useOperationLimits(config.limits),
    useTrustedDocuments({
      mode: config.trustedDocuments,
      documents: combinedDocuments(library && (() => library.current().documents), parts.publishedDocuments),
    }),
    useDemandControl(config.costBudgets),
    responseCache,
    useInboundDedup(config.inboundDedup, metrics.registry),
    ...(parts.subscriptions ? [parts.subscriptions] : []),
    // Changes made elsewhere (another replica, a seed): what was read from that subgraph is evicted within about two polls.
    ...(config.responseCache.enabled
      ? [useSubgraphChanges({ intervalMs: config.responseCache.changePollMs, onChange: (names) => responseCache.invalidate(names), logger })]
      : []),
  ]);
}

/**
 * The plugin order this configuration assembles, as text, without starting
 * anything: the same plugins the gateway builds, over parts that do no I/O
 * until a request comes (the registry's database is never connected to).
 */
export function describeGatewayPlugins(config: GatewayConfig, logger: Logger): string {
  const metrics = createMetrics('gateway', { defaultMetrics: false });
  const library =
    config.trustedDocuments !== 'off' || config.mcp.enabled ? new ManifestFile(TRUSTED_DOCUMENTS_FILE, (problem) => logger.warn(problem)) : undefined;
  const usage =
    config.supergraph.kind === 'registry' && config.usage.enabled
      ? new FieldUsageRecorder(new FieldUsageStore(new MongoClient('mongodb://127.0.0.1:1').db(config.supergraph.databaseName)), config.usage, logger)
      : undefined;
  const plugins = gatewayPlugins(config, {
    metrics,
    logger,
    responseCache: useResponseCache(config.responseCache, undefined, metrics.registry),
    library,
    usage,
    supergraphStatus: () => ({ source: config.supergraph.kind }),
    // The IDE's routes are known only once its bundle is built; the plugin's place is what is described.
    ideRoutes: config.ide.enabled ? {} : undefined,
    // Built but never served: its change feeds start only when the server does.
    subscriptions: config.subscriptions.enabled
      ? createSubscriptions({
          config: config.subscriptions,
          trustProxyHops: config.security.rateLimit.trustProxyHops,
          metrics,
          logger,
          invalidate: () => undefined,
          trustedDocument: () => undefined,
        }).plugin
      : undefined,
  });
  return describePluginOrder(plugins);
}
