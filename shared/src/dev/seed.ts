import { EnvReader } from '../config';
import { openDatabase, readDatabaseConfig } from '../database';
import { readSubgraphCatalog } from '../domain/catalog';
import { seedSubgraph } from '../domain/seed';
import { createLogger } from '../logger';
import { connectMongo, createMongoClient } from '../mongo';
import { exitOnStartupError } from '../shutdown';
import { defaultDatabaseOf, envName, type QsmoDomain, type SubgraphEntry } from '../subgraphs';

/**
 * `npm run seed`: reloads the real catalog into each given subgraph's
 * database, whatever it holds now. Database names follow the same
 * <SERVICE>_MONGODB_DATABASE / default rules as the services.
 */
export function runSeedCli(entries: readonly SubgraphEntry[]): void {
  const logger = createLogger('seed');
  void (async () => {
    const env = new EnvReader();
    const dbConfig = readDatabaseConfig(env);
    const names = entries.map((e) => env.databaseName(envName(e.name, 'MONGODB_DATABASE'), defaultDatabaseOf(e)));
    env.done();
    const database = await openDatabase(dbConfig, logger);
    const client = createMongoClient(database.uri, { appName: 'seed' });
    try {
      await connectMongo(client, logger, 'seed');
      for (const [i, entry] of entries.entries()) {
        await seedSubgraph(client.db(names[i] as string), readSubgraphCatalog(entry.domain as QsmoDomain), 'always', logger);
      }
    } finally {
      await client.close();
      await database.stop();
    }
  })().catch(exitOnStartupError(logger));
}
