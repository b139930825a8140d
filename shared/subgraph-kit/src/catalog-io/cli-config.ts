import { readCommandConfig } from '@qsmo/service-kit/config';
import { env } from '@qsmo/service-kit/config-schema';
import { DATABASE_VARIABLES } from '@qsmo/service-kit/config-variables';
import { readDatabaseConfig, type DatabaseConfig } from '@qsmo/service-kit/database';
import { defaultDatabaseOf, envName, SUBGRAPHS, type SubgraphEntry } from '@qsmo/service-kit/subgraphs';

type Marketplace = Pick<SubgraphEntry, 'name' | 'area'>;

/**
 * <SUBGRAPH>_MONGODB_DATABASE of each given marketplace: the one-off
 * commands name a subgraph's database as `npm start` hands it to the
 * subgraph, so one setting points both at the same data.
 */
export function subgraphDatabaseVariables(entries: readonly Marketplace[]) {
  return Object.fromEntries(
    entries.map((e) => [envName(e.name, 'MONGODB_DATABASE'), env.databaseName(`The ${e.area} subgraph's database.`, { default: defaultDatabaseOf(e) })]),
  );
}

/**
 * Every variable `npm run catalog:export` / `catalog:import` of a subgraph
 * reads. Without entries: as the reference describes it, for every subgraph.
 */
export function catalogCliVariables(entries: readonly Marketplace[] = SUBGRAPHS) {
  return { ...subgraphDatabaseVariables(entries), ...DATABASE_VARIABLES };
}

export interface CatalogCliConfig {
  database: DatabaseConfig;
  /** The subgraph's database on that server. */
  databaseName: string;
  warnings: string[];
}

/** The catalog command's settings, read once; a bad value throws a ConfigError naming it. */
export function readCatalogCliConfig(entry: SubgraphEntry, command: 'export' | 'import', environment: NodeJS.ProcessEnv = process.env): CatalogCliConfig {
  return readCommandConfig(environment, catalogCliVariables([entry]), { service: `npm run catalog:${command}`, prefixes: [] }, (env) => ({
    database: readDatabaseConfig(env),
    databaseName: env.databaseName(envName(entry.name, 'MONGODB_DATABASE'), defaultDatabaseOf(entry)),
  }));
}
