import { EnvReader } from '@qsmo/service-kit/config';
import { openDatabase, readDatabaseConfig } from '@qsmo/service-kit/database';
import { readSubgraphCatalog } from '@qsmo/subgraph-kit/domain/catalog';
import { EditsPresent, seedSubgraph } from '@qsmo/subgraph-kit/domain/seed';
import { createLogger } from '@qsmo/service-kit/logger';
import { connectMongo, createMongoClient } from '@qsmo/service-kit/mongo';
import { exitOnStartupError } from '@qsmo/service-kit/shutdown';
import { defaultDatabaseOf, envName, type QsmoDomain, type SubgraphEntry } from '@qsmo/service-kit/subgraphs';

/**
 * `npm run seed`: reloads the real catalog into each given subgraph's
 * database. A marketplace its team has edited is refused (exit 1, naming
 * the edits) unless `--reset` or SEED_RESET=true asks to replace the edits.
 * Database names follow the same <SERVICE>_MONGODB_DATABASE / default rules
 * as the services.
 */
export function runSeedCli(entries: readonly SubgraphEntry[], args: readonly string[] = process.argv.slice(2)): void {
  const logger = createLogger('seed');
  void (async () => {
    const env = new EnvReader();
    const dbConfig = readDatabaseConfig(env);
    const names = entries.map((e) => env.databaseName(envName(e.name, 'MONGODB_DATABASE'), defaultDatabaseOf(e)));
    const reset = args.includes('--reset') || env.boolean('SEED_RESET', false);
    env.done();
    const database = await openDatabase(dbConfig, logger);
    const client = createMongoClient(database.uri, { appName: 'seed' });
    try {
      await connectMongo(client, logger, 'seed');
      for (const [i, entry] of entries.entries()) {
        try {
          await seedSubgraph(client.db(names[i] as string), readSubgraphCatalog(entry.domain as QsmoDomain), 'always', logger, {
            onEdits: reset ? 'reset' : 'refuse',
          });
        } catch (error) {
          if (!(error instanceof EditsPresent)) throw error;
          logger.error(error.message);
          process.exitCode = 1;
        }
      }
    } finally {
      await client.close();
      await database.stop();
    }
  })().catch(exitOnStartupError(logger));
}
