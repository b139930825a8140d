import { EnvReader } from '../config';
import { openDatabase, readDatabaseConfig } from '../database';
import { readSubgraphCatalog } from '../domain/catalog';
import type { DomainDefinition } from '../domain/definition';
import { ensureSubgraphIndexes, SEED_POLICIES, seedSubgraph, type SeedPolicy } from '../domain/seed';
import { readGatewaySignatureConfig, type GatewaySignatureConfig } from '../auth/gateway-signature';
import { readDrainOptions, readMetricsAccess, type DrainOptions, type MetricsAccess } from '../http/service';
import { readOperationLimits, subgraphLimits, type OperationLimits } from '../limits';
import { createLogger } from '../logger';
import { createMetrics } from '../metrics';
import { connectMongo, createMongoClient, DEFAULT_OPERATION_TIMEOUT_MS, servingDb } from '../mongo';
import { exitOnStartupError, onShutdown } from '../shutdown';
import { ReadModel, readReadModelConfig, type ReadModelConfig } from '../read-model';
import { createSubgraphServer } from './server';

export interface SubgraphConfig {
  port: number;
  host: string;
  databaseName: string;
  seed: SeedPolicy;
  logLevel: ReturnType<EnvReader['logLevel']>;
  database: ReturnType<typeof readDatabaseConfig>;
  drain: DrainOptions;
  /** MONGODB_TIMEOUT_MS: how long one database operation of a request may take. */
  databaseTimeoutMs: number;
  /** The gateway's MAX_* limits with a subgraph's headroom (see limits.ts). */
  limits: OperationLimits;
  gatewaySignature: GatewaySignatureConfig;
  metricsAccess: MetricsAccess;
  /** The exact in-process read model (READ_MODEL, on by default); undefined when off. */
  readModel: ReadModelConfig;
}

export function readSubgraphConfig(definition: Pick<DomainDefinition, 'defaultPort' | 'defaultDatabase'>, env: NodeJS.ProcessEnv = process.env): SubgraphConfig {
  const reader = new EnvReader(env);
  const config: SubgraphConfig = {
    port: reader.port('PORT', definition.defaultPort),
    host: reader.string('HOST', '0.0.0.0'),
    databaseName: reader.databaseName('MONGODB_DATABASE', definition.defaultDatabase),
    seed: reader.oneOf('SEED_ON_START', SEED_POLICIES, 'auto'),
    logLevel: reader.logLevel(),
    database: readDatabaseConfig(reader),
    drain: readDrainOptions(reader),
    databaseTimeoutMs: reader.positiveInt('MONGODB_TIMEOUT_MS', DEFAULT_OPERATION_TIMEOUT_MS),
    limits: subgraphLimits(readOperationLimits(reader)),
    gatewaySignature: readGatewaySignatureConfig(reader),
    metricsAccess: readMetricsAccess(reader),
    readModel: readReadModelConfig(reader),
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
    const database = await openDatabase(config.database, logger);
    cleanup = () => database.stop();
    const metrics = createMetrics(definition.serviceName);
    const client = createMongoClient(database.uri, {
      appName: definition.serviceName,
      onCommand: ({ commandName, collection }) => metrics.mongoCommands.inc({ command: commandName, collection: collection ?? '' }),
    });
    await connectMongo(client, logger, definition.serviceName);
    const db = client.db(config.databaseName);
    await seedSubgraph(db, readSubgraphCatalog(definition.domain), config.seed, logger);
    await ensureSubgraphIndexes(db);
    const serving = servingDb(client, config.databaseName, config.databaseTimeoutMs);
    const readModel = config.readModel ? new ReadModel(serving, { ...config.readModel, logger, registry: metrics.registry }) : undefined;
    await readModel?.start();
    const server = createSubgraphServer({ definition, db: serving, logger: createLogger(definition.serviceName, config.logLevel), metrics, drain: config.drain, limits: config.limits,
      gatewaySignature: config.gatewaySignature, metricsAccess: config.metricsAccess, readModel });
    onShutdown(logger, [
      async () => { await server.http.stop(); logger.info('drained: in-flight requests finished'); },
      async () => { readModel?.stop(); await client.close(); logger.info('database client closed'); },
      () => database.stop(),
    ]);
    const url = await server.http.listen(config.port, config.host);
    logger.info(`${definition.area} subgraph ready at ${url}`);
  })().catch(exitOnStartupError(logger, () => cleanup()));
}
