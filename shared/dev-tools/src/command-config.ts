import path from 'node:path';
import { readCommandConfig, REPO_ROOT } from '@qsmo/service-kit/config';
import { env } from '@qsmo/service-kit/config-schema';
import { DATABASE_VARIABLES } from '@qsmo/service-kit/config-variables';
import { readDatabaseConfig, type DatabaseConfig } from '@qsmo/service-kit/database';
import { defaultDatabaseOf, envName, SUBGRAPHS, type SubgraphEntry } from '@qsmo/service-kit/subgraphs';
import { catalogCliVariables } from '@qsmo/subgraph-kit/catalog-io/cli-config';

/**
 * The declared environment of the development tools' one-off commands:
 * seeding, synthetic data and the embedded database build. Each reads it
 * once, at its entry, through these schemas; the configuration reference is
 * written from them.
 */

/**
 * Every variable `npm run seed` reads: the catalog commands' set (the same
 * databases) and SEED_RESET. Without entries: as the reference describes
 * it, for every subgraph.
 */
export function seedVariables(entries: readonly Pick<SubgraphEntry, 'name' | 'area'>[] = SUBGRAPHS) {
  return {
    ...catalogCliVariables(entries),
    SEED_RESET: env.boolean('Whether a marketplace its team has edited is reloaded anyway, the edits replaced (as `--reset` asks); else it is refused.', {
      default: false,
    }),
  };
}

/** Names only the seed's settings start with (a subgraph's SEED_ON_START is known as the subgraph's). */
export const SEED_PREFIXES = ['SEED_'];

/** `npm run seed:synthetic` writes its own qsmo_synthetic_<domain> databases, on the server `npm start` uses. */
export const SYNTHETIC_VARIABLES = { ...DATABASE_VARIABLES };

/** `npm run db:provision` only builds the embedded database's binary. */
export const PROVISION_VARIABLES = { TOOLS_DIR: DATABASE_VARIABLES.TOOLS_DIR };

export interface SeedConfig {
  database: DatabaseConfig;
  /** Each given subgraph's database, in the order given. */
  databaseNames: string[];
  reset: boolean;
  warnings: string[];
}

/** What `npm run seed` reads of the command line and environment; a bad value throws a ConfigError naming it. */
export function readSeedConfig(entries: readonly SubgraphEntry[], args: readonly string[], environment: NodeJS.ProcessEnv = process.env): SeedConfig {
  return readCommandConfig(environment, seedVariables(entries), { service: 'npm run seed', prefixes: SEED_PREFIXES }, (env) => ({
    database: readDatabaseConfig(env),
    databaseNames: entries.map((e) => env.databaseName(envName(e.name, 'MONGODB_DATABASE'), defaultDatabaseOf(e))),
    // Read even with --reset, so a bad value is told rather than passed over.
    reset: env.boolean('SEED_RESET', false) || args.includes('--reset'),
  }));
}

export function readSyntheticConfig(environment: NodeJS.ProcessEnv = process.env): { database: DatabaseConfig; warnings: string[] } {
  return readCommandConfig(environment, SYNTHETIC_VARIABLES, { service: 'npm run seed:synthetic', prefixes: [] }, (env) => ({
    database: readDatabaseConfig(env),
  }));
}

export function readProvisionConfig(environment: NodeJS.ProcessEnv = process.env): { toolsDir: string; warnings: string[] } {
  return readCommandConfig(environment, PROVISION_VARIABLES, { service: 'npm run db:provision', prefixes: [] }, (env) => ({
    toolsDir: path.resolve(env.string('TOOLS_DIR', path.join(REPO_ROOT, '.tools'))),
  }));
}
