import { openDatabase } from '@qsmo/service-kit/database';
import { readSubgraphCatalog } from '@qsmo/subgraph-kit/domain/catalog';
import { EditsPresent, seedSubgraph } from '@qsmo/subgraph-kit/domain/seed';
import { createLogger } from '@qsmo/service-kit/logger';
import { connectMongo, createMongoClient } from '@qsmo/service-kit/mongo';
import { exitOnStartupError } from '@qsmo/service-kit/shutdown';
import type { QsmoDomain, SubgraphEntry } from '@qsmo/service-kit/subgraphs';
import { readSeedConfig } from './command-config';

/**
 * `npm run seed`: reloads the real catalog into each given subgraph's
 * database. A marketplace its team has edited is refused (exit 1, naming
 * the edits) unless `--reset` or SEED_RESET=true asks to replace the edits.
 * Database names follow the same <SERVICE>_MONGODB_DATABASE / default rules
 * as the services. A bad setting stops it (exit 1) before anything is opened.
 */
export function runSeedCli(entries: readonly SubgraphEntry[], args: readonly string[] = process.argv.slice(2)): void {
  const logger = createLogger('seed');
  void (async () => {
    const { database: dbConfig, databaseNames: names, reset, warnings } = readSeedConfig(entries, args);
    for (const warning of warnings) logger.warn(warning);
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
