import { EnvReader } from '../config';
import { openDatabase, readDatabaseConfig } from '../database';
import { readSubgraphCatalog } from '../domain/catalog';
import type { DomainDefinition } from '../domain/definition';
import { seedSubgraph } from '../domain/seed';
import { createLogger } from '../logger';
import { connectMongo, createMongoClient } from '../mongo';
import { exitOnStartupError } from '../shutdown';

/**
 * `npm run seed`: reloads the real catalog into each given subgraph's
 * database, whatever it holds now. Database names follow the same
 * <SERVICE>_MONGODB_DATABASE / default rules as the services.
 */
export function runSeedCli(definitions: DomainDefinition[]): void {
  const logger = createLogger('seed');
  void (async () => {
    const env = new EnvReader();
    const dbConfig = readDatabaseConfig(env);
    const names = definitions.map((d) => env.databaseName(`${d.serviceName.toUpperCase().replace(/-/g, '_')}_MONGODB_DATABASE`, d.defaultDatabase));
    env.done();
    const database = await openDatabase(dbConfig, logger);
    const client = createMongoClient(database.uri, { appName: 'seed' });
    try {
      await connectMongo(client, logger, 'seed');
      for (const [i, def] of definitions.entries()) {
        await seedSubgraph(client.db(names[i]), readSubgraphCatalog(def.domain), 'always', logger);
      }
    } finally {
      await client.close();
      await database.stop();
    }
  })().catch(exitOnStartupError(logger));
}
