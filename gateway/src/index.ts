// First: the tracing instrumentations patch http, graphql and mongodb as they load (a no-op unless OTel is configured).
import '@qsmo/service-kit/telemetry-preload';
import fs from 'node:fs';
import path from 'node:path';
import { createLogger, type Logger } from '@qsmo/service-kit/logger';
import { createMetrics } from '@qsmo/service-kit/metrics';
import { exitOnStartupError, onShutdown } from '@qsmo/service-kit/shutdown';
import { openRegistry, type OpenRegistry } from '@qsmo/registry/config';
import { composeSupergraph, localSubgraphSources } from './compose';
import { readGatewayConfig, type GatewayConfig } from './config';
import { createIdeRoutes } from './ide';
import { RegistrySupergraphManager, RegistrySupergraphManagerStopped } from './registry-manager';
import { useResponseCache } from './plugins/response-cache';
import { createGatewayServer, type GatewayDeps } from './server';
import { ManifestFile, TRUSTED_DOCUMENTS_FILE } from './trusted-documents';
import { PublishedClientDocuments } from './client-manifests';
import { startTelemetry } from '@qsmo/service-kit/telemetry';
import { FieldUsageStore } from '@qsmo/registry/usage';
import type { Db } from 'mongodb';
import { FieldUsageRecorder } from './plugins/field-usage';
import { gatewayPlugins } from './gateway-plugins';
import { describePluginOrder } from './phases';
import { announceReady, clusterEviction, isWorker, joinClusterMetrics, runPrimary } from './cluster';
import { ClusterRateBuckets, serveRateLeases } from './cluster-rate-limit';
import { createSubscriptions } from './subscriptions';

// No usage data leaves the machine: the graph runs on closed networks.
process.env.APOLLO_TELEMETRY_DISABLED ??= '1';

interface SupergraphSource {
  deps: Pick<GatewayDeps, 'supergraph' | 'subgraphs' | 'supergraphStatus'>;
  /** Shutdown steps after the HTTP server has drained. */
  close: (() => Promise<void>)[];
  /** Shutdown steps before draining (stop following the registry). */
  stop: (() => Promise<void>)[];
  /** The registry's database, when the gateway follows one: field usage is recorded there. */
  registryDb?: Db;
}

/** The gateway process: read config once, obtain its supergraph source, listen, drain on SIGTERM. */
async function supergraphSource(config: GatewayConfig, logger: Logger): Promise<SupergraphSource> {
  const source = config.supergraph;
  switch (source.kind) {
    case 'registry': {
      const open = await openRegistry(source, logger, 'gateway-registry');
      const manager = new RegistrySupergraphManager({ registry: open.registry, logger, pollIntervalMs: source.pollIntervalMs });
      logger.info(`following the schema registry ${source.databaseName}, polling every ${source.pollIntervalMs} ms`);
      return {
        // The registry's routing URLs are the truth here: no environment overrides.
        deps: { supergraph: manager, supergraphStatus: () => manager.status() },
        stop: [() => manager.stop()],
        close: [() => open.close()],
        registryDb: open.registry.db,
      };
    }
    case 'file': {
      const sdl = fs.readFileSync(source.path, 'utf8');
      // URLs set in the environment win over those written in the file.
      const overrides = Object.fromEntries(config.subgraphs.map((s) => [s.name, { url: s.url }]));
      return { deps: { supergraph: sdl, subgraphs: overrides, supergraphStatus: () => ({ source: 'file', path: source.path }) }, stop: [], close: [] };
    }
    case 'compose': {
      const { supergraphSdl } = composeSupergraph(localSubgraphSources(config.subgraphs));
      fs.mkdirSync(path.dirname(source.outputPath), { recursive: true });
      fs.writeFileSync(source.outputPath, supergraphSdl);
      return { deps: { supergraph: supergraphSdl, supergraphStatus: () => ({ source: 'compose' }) }, stop: [], close: [] };
    }
  }
}

const logger = createLogger('gateway');
let cleanup = async () => undefined as void;
void (async () => {
  const config = readGatewayConfig();
  if (!isWorker()) for (const warning of config.warnings) logger.warn(warning);
  if (config.workers > 1 && !isWorker()) {
    // The primary composes once (workers writing one file at once would race) and hands the file on.
    const env: Record<string, string> = {};
    if (config.supergraph.kind === 'compose') {
      const { supergraphSdl } = composeSupergraph(localSubgraphSources(config.subgraphs));
      fs.mkdirSync(path.dirname(config.supergraph.outputPath), { recursive: true });
      fs.writeFileSync(config.supergraph.outputPath, supergraphSdl);
      Object.assign(env, { SUPERGRAPH_SOURCE: 'file', SUPERGRAPH_PATH: config.supergraph.outputPath });
    }
    // Rate-limit buckets live here, so a caller gets its limit whichever worker serves it.
    serveRateLeases(config.security.rateLimit.maxCallers);
    runPrimary({ workers: config.workers, logger, env, stopTimeoutMs: (config.drain.drainDelayMs ?? 0) + (config.drain.drainTimeoutMs ?? 10_000) + 15_000 });
    return;
  }
  const telemetry = startTelemetry('gateway');
  const gatewayLogger = createLogger('gateway', config.logLevel, config.observability.logFormat);
  const source = await supergraphSource(config, gatewayLogger);
  cleanup = async () => {
    for (const step of source.close) await step();
  };
  // The IDE's docs and completion need introspection, also where it is enabled in production.
  const ideRoutes = config.ide.enabled ? await createIdeRoutes(gatewayLogger) : undefined;
  const metrics = createMetrics('gateway');
  if (isWorker()) joinClusterMetrics(metrics.registry);
  const { supergraphStatus, ...supergraph } = source.deps;
  // With GATEWAY_WORKERS, a mutation through one worker evicts what it could have changed from every worker's response cache before its answer leaves.
  const evictPeers = isWorker() ? clusterEviction((subgraphs) => responseCache.invalidate(subgraphs)) : undefined;
  const responseCache = useResponseCache(config.responseCache, evictPeers, metrics.registry);
  // The library's manifest, followed on disk: `npm run codegen` changes what is trusted and what MCP offers without a restart.
  const library =
    config.trustedDocuments !== 'off' || config.mcp.enabled ? new ManifestFile(TRUSTED_DOCUMENTS_FILE, (problem) => gatewayLogger.warn(problem)) : undefined;
  // The operations frontend teams published to the registry are trusted too, within a poll: read from the registry the
  // supergraph comes from, or from one opened for them alone (CLIENT_MANIFESTS=registry with a file or composed schemas).
  const manifests = config.clientManifests;
  let manifestRegistry: OpenRegistry | undefined;
  if (manifests.kind === 'registry' && config.trustedDocuments !== 'off' && !source.registryDb)
    manifestRegistry = await openRegistry(manifests, gatewayLogger, 'gateway-client-manifests');
  const manifestDb = source.registryDb ?? manifestRegistry?.registry.db;
  const published =
    manifests.kind === 'registry' && manifestDb && config.trustedDocuments !== 'off'
      ? await new PublishedClientDocuments(manifestDb, gatewayLogger, manifests.pollIntervalMs).start()
      : undefined;
  const usage =
    source.registryDb && config.usage.enabled ? new FieldUsageRecorder(new FieldUsageStore(source.registryDb), config.usage, gatewayLogger).start() : undefined;
  // Live updates (Subscription.catalogChanged over SSE and WebSocket): each worker follows the marketplaces' change feeds itself.
  const subscriptions = config.subscriptions.enabled
    ? createSubscriptions({
        config: config.subscriptions,
        trustProxyHops: config.security.rateLimit.trustProxyHops,
        metrics,
        logger: gatewayLogger,
        invalidate: (names) => responseCache.invalidate(names),
        trustedDocument: (hash) => library?.current().documents.get(hash) ?? published?.current().get(hash),
      })
    : undefined;
  const plugins = gatewayPlugins(config, {
    metrics,
    logger: gatewayLogger,
    responseCache,
    library,
    usage,
    supergraphStatus,
    ideRoutes,
    publishedDocuments: published && (() => published.current()),
    subscriptions: subscriptions?.plugin,
    rateBuckets: isWorker()
      ? new ClusterRateBuckets({ workers: config.workers, maxCallers: config.security.rateLimit.maxCallers, logger: gatewayLogger })
      : undefined,
  });
  gatewayLogger.debug(describePluginOrder(plugins));
  const server = createGatewayServer({
    ...supergraph,
    plugins,
    introspection: ideRoutes ? true : undefined,
    logger: gatewayLogger,
    metrics,
    drain: config.drain,
    metricsAccess: config.security.metricsAccess,
  });
  subscriptions?.serve(server.http.server);
  // Subscriptions end before the HTTP drain, which would otherwise wait on their streams.
  onShutdown(logger, [
    ...source.stop,
    async () => {
      await subscriptions?.close();
    },
    async () => {
      await published?.stop();
      await manifestRegistry?.close();
    },
    () => server.http.stop(),
    async () => {
      await usage?.stop();
      await telemetry?.shutdown();
    },
    ...source.close,
  ]);
  try {
    const url = await server.http.listen(config.port, config.host);
    logger.info(`gateway ready at ${url}`);
    if (isWorker()) announceReady(url);
    if (config.ide.enabled) logger.info(`browser IDE at ${url.replace(/graphql$/, '')}`);
    if (config.mcp.enabled) logger.info(`MCP endpoint for assistants at ${url.replace(/graphql$/, 'mcp')}`);
  } catch (error) {
    // A SIGTERM while waiting for a first supergraph: the shutdown steps are already running.
    if (error instanceof RegistrySupergraphManagerStopped) return;
    throw error;
  }
})().catch(exitOnStartupError(logger, () => cleanup()));
