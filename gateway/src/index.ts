// First: the tracing instrumentations patch http, graphql and mongodb as they load (a no-op unless OTel is configured).
import '@qsmo/shared/telemetry-preload';
import fs from 'node:fs';
import path from 'node:path';
import { createLogger, createMetrics, exitOnStartupError, onShutdown, type Logger } from '@qsmo/shared';
import { openRegistry } from '@qsmo/shared/registry/config';
import { composeSupergraph, localSubgraphSources } from './compose';
import { readGatewayConfig, type GatewayConfig } from './config';
import { createIdeRoutes } from './ide';
import { RegistrySupergraphManager, RegistrySupergraphManagerStopped } from './registry-manager';
import { resiliencePlugins, standardPlugins, useRoutes, useSupergraphVersion } from './plugins';
import { useOperationLimits } from './plugins/operation-limits';
import { useDemandControl } from './plugins/demand-control';
import { useTrustedDocuments } from './plugins/trusted-documents';
import { useDedupe } from './plugins/dedupe';
import { useResponseCache } from './plugins/response-cache';
import { useInboundDedup } from './plugins/inbound-dedup';
import { useSubgraphChanges } from './plugins/subgraph-changes';
import { createGatewayServer, type GatewayDeps } from './server';
import { securityPlugins } from './plugins/security';
import { useCatalogWrites } from './plugins/catalog-writes';
import { ManifestFile, TRUSTED_DOCUMENTS_FILE } from './trusted-documents';
import { useMcp } from './plugins/mcp';
import { OperationTools } from './mcp/tools';
import { startTelemetry } from '@qsmo/shared/telemetry';
import { FieldUsageStore } from '@qsmo/shared/registry/usage';
import type { Db } from 'mongodb';
import { useTracing } from './plugins/tracing';
import { useRequestLog } from './plugins/request-log';
import { useSubgraphMetrics } from './plugins/subgraph-metrics';
import { FieldUsageRecorder, useFieldUsage } from './plugins/field-usage';
import { announceReady, clusterEviction, isWorker, joinClusterMetrics, runPrimary } from './cluster';
import { ClusterRateBuckets, serveRateLeases } from './cluster-rate-limit';

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
  cleanup = async () => { for (const step of source.close) await step(); };
  // The IDE's docs and completion need introspection, also where it is enabled in production.
  const ideRoutes = config.ide.enabled ? await createIdeRoutes(gatewayLogger) : undefined;
  const metrics = createMetrics('gateway');
  if (isWorker()) joinClusterMetrics(metrics.registry);
  const { supergraphStatus, ...supergraph } = source.deps;
  // With GATEWAY_WORKERS, a mutation through one worker evicts what it could have changed from every worker's response cache before its answer leaves.
  const evictPeers = isWorker() ? clusterEviction((subgraphs) => responseCache.invalidate(subgraphs)) : undefined;
  const responseCache = useResponseCache(config.responseCache, evictPeers, metrics.registry);
  // The library's manifest, followed on disk: `npm run codegen` changes what is trusted and what MCP offers without a restart.
  const library = config.trustedDocuments !== 'off' || config.mcp.enabled ? new ManifestFile(TRUSTED_DOCUMENTS_FILE, (problem) => gatewayLogger.warn(problem)) : undefined;
  const usage = source.registryDb && config.usage.enabled ? new FieldUsageRecorder(new FieldUsageStore(source.registryDb), config.usage, gatewayLogger).start() : undefined;
  const server = createGatewayServer({
    ...supergraph,
    // Each concern of the gateway is one plugin: later ones (auth, limits, caching) are added to this list.
    plugins: [
      // CORS, identity, rate limits and the signed identity for the subgraphs: first, so a refused request costs nothing more.
      ...securityPlugins(config.security, isWorker() ? new ClusterRateBuckets({ workers: config.workers, maxCallers: config.security.rateLimit.maxCallers, logger: gatewayLogger }) : undefined),
      // An anonymous mutation is 401 before planning; the subgraphs decide the role and the QSMO.
      useCatalogWrites(),
      ...standardPlugins({ metrics }),
      // Trace context to the subgraphs, the trace id back to clients, one log line per request, per-subgraph call metrics, field usage.
      useTracing(),
      useRequestLog({ logger: gatewayLogger }),
      useSubgraphMetrics(metrics),
      ...(usage ? [useFieldUsage(usage)] : []),
      // Deadlines, retries, circuit breakers and connection caps of calls to subgraphs.
      ...resiliencePlugins({ ...config.resilience, metrics }),
      // Identical subgraph queries in flight sent once; outermost, so the shared call has the resilience above.
      useDedupe(),
      ...(supergraphStatus ? [useSupergraphVersion(supergraphStatus)] : []),
      ...(ideRoutes ? [useRoutes(ideRoutes, 'ide')] : []),
      // Assistants' tools at /mcp: each call runs as a GraphQL request through every plugin here.
      ...(config.mcp.enabled && library ? [useMcp({ tools: new OperationTools([{ file: library }], gatewayLogger), logger: gatewayLogger })] : []),
      // Operation limits and trusted documents: a document is refused before it is planned.
      useOperationLimits(config.limits),
      useTrustedDocuments({ mode: config.trustedDocuments, documents: library ? () => library.current().documents : new Map() }),
      // Each operation's estimated cost, with its variables, against the caller's budget: refused before planning and before the response cache answers.
      useDemandControl(config.costBudgets),
      // Whole responses, keyed by document, variables and the caller's scope; mutations and new supergraphs evict.
      responseCache,
      // Identical queries in flight share one execution: after every check above, and after the cache, which answers first.
      useInboundDedup(config.inboundDedup, metrics.registry),
      // Changes made elsewhere (another replica, a seed): what was read from that subgraph is evicted within about two polls.
      ...(config.responseCache.enabled ? [useSubgraphChanges({ intervalMs: config.responseCache.changePollMs, onChange: (names) => responseCache.invalidate(names), logger: gatewayLogger })] : []),
    ],
    introspection: ideRoutes ? true : undefined,
    logger: gatewayLogger,
    metrics,
    drain: config.drain,
    metricsAccess: config.security.metricsAccess,
  });
  onShutdown(logger, [...source.stop, () => server.http.stop(), async () => { await usage?.stop(); await telemetry?.shutdown(); }, ...source.close]);
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
