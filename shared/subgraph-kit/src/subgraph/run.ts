import { EnvReader } from '@qsmo/service-kit/config';
import { openDatabase, readDatabaseConfig } from '@qsmo/service-kit/database';
import { readSubgraphCatalog } from '../domain/catalog';
import type { DomainDefinition } from '../domain/definition';
import { ensureSubgraphIndexes, SEED_POLICIES, seedSubgraph, type SeedPolicy } from '../domain/seed';
import { readGatewaySignatureConfig, type GatewaySignatureConfig } from '@qsmo/service-kit/auth/gateway-signature';
import { readDrainOptions, readMetricsAccess, type DrainOptions, type MetricsAccess } from '@qsmo/service-kit/http/service';
import { readOperationLimits, subgraphLimits, type OperationLimits } from '@qsmo/service-kit/limits';
import { readCostBudgets, subgraphCostBudgets, type CostBudgets } from '@qsmo/service-kit/demand-control';
import { createLogger } from '@qsmo/service-kit/logger';
import { createMetrics, mongoCommandHooks } from '@qsmo/service-kit/metrics';
import { readObservabilityConfig, type ObservabilityConfig } from '@qsmo/service-kit/observability';
import { startTelemetry } from '@qsmo/service-kit/telemetry';
import { connectMongo, createMongoClient, DEFAULT_OPERATION_TIMEOUT_MS, servingDb } from '@qsmo/service-kit/mongo';
import { exitOnStartupError, onShutdown } from '@qsmo/service-kit/shutdown';
import { ReadModel, readReadModelConfig, type ReadModelConfig } from '../read-model';
import { createSubgraphServer } from './server';
import { assertSubgraphPortFree, localSigningSecret } from './local';
import { SUBGRAPH_PREFIXES, subgraphVariables } from './config-schema';
import { SHARED_SERVICE_VARIABLE_NAMES } from '@qsmo/service-kit/config-names';

export interface SubgraphConfig {
  port: number;
  host: string;
  databaseName: string;
  seed: SeedPolicy;
  /** SEED_RESET: replace the team's edits with the reference catalog at start-up (recorded in the audit trail); otherwise edits are kept. */
  seedReset: boolean;
  logLevel: ReturnType<EnvReader['logLevel']>;
  database: ReturnType<typeof readDatabaseConfig>;
  drain: DrainOptions;
  /** MONGODB_TIMEOUT_MS: how long one database operation of a request may take. */
  databaseTimeoutMs: number;
  /** The gateway's MAX_* limits with a subgraph's headroom (see limits.ts). */
  limits: OperationLimits;
  /** The gateway's COST_BUDGET_* with a subgraph's headroom (see demand-control.ts). */
  costBudgets: CostBudgets;
  gatewaySignature: GatewaySignatureConfig;
  metricsAccess: MetricsAccess;
  /** The exact in-process read model (READ_MODEL, on by default); undefined when off. */
  readModel: ReadModelConfig;
  /** LOG_FORMAT and the OTel variables. */
  observability: ObservabilityConfig;
  /** Variables set but ignored (unknown with a subgraph prefix, or a misspelling), by name: logged at start-up. */
  warnings: string[];
}

/** `reader` is the reader over `env` (a test passes its own, to see which declared variables were read). */
export function readSubgraphConfig(
  definition: Pick<DomainDefinition, 'defaultPort' | 'defaultDatabase'>,
  env: NodeJS.ProcessEnv = process.env,
  reader = new EnvReader(env, subgraphVariables(definition)),
): SubgraphConfig {
  const config: SubgraphConfig = {
    port: reader.port('PORT', definition.defaultPort),
    host: reader.string('HOST', '0.0.0.0'),
    databaseName: reader.databaseName('MONGODB_DATABASE', definition.defaultDatabase),
    seed: reader.oneOf('SEED_ON_START', SEED_POLICIES, 'auto'),
    seedReset: reader.boolean('SEED_RESET', false),
    logLevel: reader.logLevel(),
    database: readDatabaseConfig(reader),
    drain: readDrainOptions(reader),
    databaseTimeoutMs: reader.positiveInt('MONGODB_TIMEOUT_MS', DEFAULT_OPERATION_TIMEOUT_MS),
    limits: subgraphLimits(readOperationLimits(reader)),
    costBudgets: subgraphCostBudgets(readCostBudgets(reader)),
    gatewaySignature: readGatewaySignatureConfig(reader),
    metricsAccess: readMetricsAccess(reader),
    readModel: readReadModelConfig(reader),
    observability: readObservabilityConfig(reader, env),
    warnings: reader.warnings({ service: 'a marketplace subgraph', prefixes: SUBGRAPH_PREFIXES, knownElsewhere: SHARED_SERVICE_VARIABLE_NAMES }),
  };
  reader.done();
  return config;
}

/**
 * The entry point of a subgraph process: read config once, open the
 * database (embedded if MONGODB_URI is unset), seed, listen, and drain on
 * SIGTERM before closing the client.
 */
export function runSubgraph(definition: DomainDefinition): void {
  const logger = createLogger(definition.serviceName);
  let cleanup = async () => undefined as void;
  void (async () => {
    const config = readSubgraphConfig(definition);
    for (const warning of config.warnings) logger.warn(warning);
    config.gatewaySignature = localSigningSecret(config.gatewaySignature, process.env, logger);
    await assertSubgraphPortFree(definition.serviceName, config.port, config.host);
    // Spans recorded by the instrumentations the entry point preloaded are exported from here on (nothing runs when OTel is not configured).
    const telemetry = startTelemetry(definition.serviceName);
    const database = await openDatabase(config.database, logger);
    cleanup = () => database.stop();
    const metrics = createMetrics(definition.serviceName);
    const client = createMongoClient(database.uri, {
      appName: definition.serviceName,
      ...mongoCommandHooks(metrics),
    });
    await connectMongo(client, logger, definition.serviceName);
    const db = client.db(config.databaseName);
    await seedSubgraph(db, readSubgraphCatalog(definition.domain), config.seed, logger, { onEdits: config.seedReset ? 'reset' : 'keep' });
    await ensureSubgraphIndexes(db);
    const serving = servingDb(client, config.databaseName, config.databaseTimeoutMs);
    const readModel = config.readModel ? new ReadModel(serving, { ...config.readModel, logger, registry: metrics.registry }) : undefined;
    await readModel?.start();
    const server = createSubgraphServer({
      definition,
      db: serving,
      logger: createLogger(definition.serviceName, config.logLevel, config.observability.logFormat),
      metrics,
      drain: config.drain,
      limits: config.limits,
      costBudgets: config.costBudgets,
      gatewaySignature: config.gatewaySignature,
      metricsAccess: config.metricsAccess,
      readModel,
    });
    onShutdown(logger, [
      async () => {
        await server.http.stop();
        logger.info('drained: in-flight requests finished');
      },
      async () => {
        readModel?.stop();
        await client.close();
        logger.info('database client closed');
      },
      async () => {
        await telemetry?.shutdown();
      },
      () => database.stop(),
    ]);
    // A change a crashed process left half-written is finished before anything is served.
    await server.catalog.recover();
    const url = await server.http.listen(config.port, config.host);
    logger.info(`${definition.area} subgraph ready at ${url}`);
  })().catch(exitOnStartupError(logger, () => cleanup()));
}
