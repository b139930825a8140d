/** The graph's shared library: mechanics every service uses, once. */
export * from './catalog/types';
export { ConfigError, ErrorCode, badUserInput, subgraphUnavailable } from './errors';
export { EnvReader, REPO_ROOT } from './config';
export { createLogger, type Logger, type LogLevel } from './logger';
export { createMongoClient, connectMongo, pingDb } from './mongo';
export { openDatabase, readDatabaseConfig, type DatabaseConfig, type DatabaseHandle } from './database';
export { createMetrics, metricsPlugin, type Metrics } from './metrics';
export { createHttpService, readDrainOptions, type DrainOptions, type HttpService, type Route, type ConditionalRoute, type RouteHandler } from './http/service';
export { paginate, validateFirst, encodeCursor, decodeCursor, escapeRegex, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from './pagination';
export { onShutdown, exitOnStartupError } from './shutdown';
export type { DomainDefinition } from './domain/definition';
export { readSubgraphCatalog, validateCatalog, type SubgraphCatalog } from './domain/catalog';
export { seedSubgraph, ensureSubgraphIndexes, type SeedPolicy } from './domain/seed';
export { createSubgraphServer, type SubgraphServer, type SubgraphServerDeps } from './subgraph/server';
export { runSubgraph, readSubgraphConfig } from './subgraph/run';
export { subgraphSdl, subgraphTypeDefs } from './subgraph/schema';
export { runSeedCli } from './dev/seed';
export { createContext, graphCollections, type GraphContext } from './context';
