import { readGatewaySignatureConfig, type GatewaySignatureConfig } from '@qsmo/service-kit/auth/gateway-signature';
import { EnvReader } from '@qsmo/service-kit/config';
import { DIRECTORY_PREFIXES, DIRECTORY_VARIABLES } from './config-schema';
import { SHARED_SERVICE_VARIABLE_NAMES } from '@qsmo/service-kit/config-names';
import { readCostBudgets, subgraphCostBudgets, type CostBudgets } from '@qsmo/service-kit/demand-control';
import { readDrainOptions, readMetricsAccess, type DrainOptions, type MetricsAccess } from '@qsmo/service-kit/http/service';
import { readOperationLimits, subgraphLimits, type OperationLimits } from '@qsmo/service-kit/limits';
import { createLogger } from '@qsmo/service-kit/logger';
import { createMetrics } from '@qsmo/service-kit/metrics';
import { readObservabilityConfig, type ObservabilityConfig } from '@qsmo/service-kit/observability';
import { exitOnStartupError, onShutdown } from '@qsmo/service-kit/shutdown';
import { DIRECTORY, envName, SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { startTelemetry } from '@qsmo/service-kit/telemetry';
import type { MarketplaceSource } from './projection';
import {
  createDirectoryServer,
  DEFAULT_DIRECTORY_FRESHEN_MS,
  DEFAULT_DIRECTORY_POLL_MS,
  DEFAULT_DIRECTORY_READ_TIMEOUT_MS,
  DIRECTORY_NAME,
  marketplaceSources,
} from './server';

/** The directory's default port: after the QSMO subgraphs' 4001-4005, leaving room for more. */
export const DIRECTORY_DEFAULT_PORT = DIRECTORY.port;

export interface DirectoryConfig {
  port: number;
  host: string;
  /** <NAME>_URL for each marketplace of the list, as the gateway reads them. */
  marketplaces: MarketplaceSource[];
  pollMs: number;
  readTimeoutMs: number;
  freshenMs: number;
  logLevel: ReturnType<EnvReader['logLevel']>;
  drain: DrainOptions;
  limits: OperationLimits;
  costBudgets: CostBudgets;
  gatewaySignature: GatewaySignatureConfig;
  metricsAccess: MetricsAccess;
  observability: ObservabilityConfig;
  /** Variables set but ignored (unknown with a directory prefix, or a misspelling), by name: logged at start-up. */
  warnings: string[];
}

/** `reader` is the reader over `env` (a test passes its own, to see which declared variables were read). */
export function readDirectoryConfig(env: NodeJS.ProcessEnv = process.env, reader = new EnvReader(env, DIRECTORY_VARIABLES)): DirectoryConfig {
  const urls = new Map<string, string>(SUBGRAPHS.map((s) => [s.name, reader.string(envName(s.name, 'URL'), `http://localhost:${s.port}/graphql`)]));
  const config: DirectoryConfig = {
    port: reader.port('PORT', DIRECTORY_DEFAULT_PORT),
    host: reader.string('HOST', '0.0.0.0'),
    marketplaces: marketplaceSources((name) => urls.get(name)!),
    pollMs: reader.positiveInt('DIRECTORY_POLL_MS', DEFAULT_DIRECTORY_POLL_MS),
    readTimeoutMs: reader.positiveInt('DIRECTORY_READ_TIMEOUT_MS', DEFAULT_DIRECTORY_READ_TIMEOUT_MS),
    freshenMs: reader.nonNegativeInt('DIRECTORY_FRESHEN_MS', DEFAULT_DIRECTORY_FRESHEN_MS),
    logLevel: reader.logLevel(),
    drain: readDrainOptions(reader),
    limits: subgraphLimits(readOperationLimits(reader)),
    costBudgets: subgraphCostBudgets(readCostBudgets(reader)),
    gatewaySignature: readGatewaySignatureConfig(reader),
    metricsAccess: readMetricsAccess(reader),
    observability: readObservabilityConfig(reader, env),
    warnings: reader.warnings({ service: 'the directory', prefixes: DIRECTORY_PREFIXES, knownElsewhere: SHARED_SERVICE_VARIABLE_NAMES }),
  };
  for (const m of config.marketplaces) {
    if (!/^https?:\/\/.+\/graphql$/.test(m.url))
      reader.problem(`${envName(m.name, 'URL')}="${m.url}" is not the marketplace's GraphQL endpoint: give its http(s) URL ending in /graphql.`);
  }
  reader.done();
  return config;
}

/** The directory's process: read config once, read every marketplace, listen, and drain on SIGTERM. */
export function runDirectory(): void {
  const logger = createLogger(DIRECTORY_NAME);
  void (async () => {
    const config = readDirectoryConfig();
    for (const warning of config.warnings) logger.warn(warning);
    const telemetry = startTelemetry(DIRECTORY_NAME);
    const server = createDirectoryServer({
      marketplaces: config.marketplaces,
      gatewaySignature: config.gatewaySignature,
      pollMs: config.pollMs,
      readTimeoutMs: config.readTimeoutMs,
      freshenMs: config.freshenMs,
      logger: createLogger(DIRECTORY_NAME, config.logLevel, config.observability.logFormat),
      metrics: createMetrics(DIRECTORY_NAME),
      limits: config.limits,
      costBudgets: config.costBudgets,
      metricsAccess: config.metricsAccess,
      drain: config.drain,
    });
    onShutdown(logger, [
      async () => {
        await server.http.stop();
        logger.info('drained: in-flight requests finished');
      },
      async () => {
        await telemetry?.shutdown();
      },
    ]);
    await server.start();
    const unread = server.projection.unread();
    if (unread.length) logger.warn(`not read yet, retried every ${config.pollMs} ms: ${unread.map((m) => m.name).join(', ')}`);
    const url = await server.http.listen(config.port, config.host);
    logger.info(`directory subgraph ready at ${url}`);
  })().catch(exitOnStartupError(logger));
}
