import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '@qsmo/service-kit/database';
import { createLogger } from '@qsmo/service-kit/logger';
import { connectMongo, createMongoClient } from '@qsmo/service-kit/mongo';
import { exitOnStartupError } from '@qsmo/service-kit/shutdown';
import type { SubgraphEntry } from '@qsmo/service-kit/subgraphs';
import { applyImport, describePlan, exportCatalog, planImport } from './';
import { readCatalogCliConfig } from './cli-config';

const USAGE = (e: SubgraphEntry) => `Usage:
  npm run catalog:export -w subgraphs/${e.name} -- <folder>            writes offerings.csv and offering_customers.csv there
  npm run catalog:import -w subgraphs/${e.name} -- <folder|offerings.csv> [--apply] [--as <editor>]
      prints the difference (added, changed, retired); --apply makes it, as audited changes by <editor> (default: the OS user)`;

/**
 * `catalog:export` and `catalog:import` of one subgraph package. The
 * database is the subgraph's (MONGODB_URI, <SERVICE>_MONGODB_DATABASE), as
 * for `npm run seed`. An import with a bad row prints every problem by line
 * and column and exits 1 with nothing written; so does a bad setting,
 * before anything is opened.
 */
export function runCatalogCli(entry: SubgraphEntry, args: readonly string[] = process.argv.slice(2)): void {
  const logger = createLogger('catalog', 'warn');
  const [command, target, ...rest] = args;
  if ((command !== 'export' && command !== 'import') || !target || target.startsWith('--')) {
    process.stderr.write(`${USAGE(entry)}\n`);
    process.exit(2);
  }
  const apply = rest.includes('--apply');
  const asIndex = rest.indexOf('--as');
  const editor = asIndex >= 0 ? rest[asIndex + 1] : os.userInfo().username;
  void (async () => {
    const { database: dbConfig, databaseName, warnings } = readCatalogCliConfig(entry, command);
    for (const warning of warnings) logger.warn(warning);
    const database = await openDatabase(dbConfig, logger);
    const client = createMongoClient(database.uri, { appName: `catalog-${command}` });
    try {
      await connectMongo(client, logger, 'catalog');
      const db = client.db(databaseName);
      const file = path.resolve(process.env.INIT_CWD ?? process.cwd(), target);
      if (command === 'export') {
        const out = await exportCatalog(db, entry, file);
        process.stdout.write(`wrote ${out.count} offerings of ${databaseName} to ${out.offerings} and their listings to ${out.customers}\n`);
        return;
      }
      const plan = await planImport(db, entry, file);
      if (plan.problems.length > 0) {
        process.stderr.write(
          `${plan.problems.length} problem(s); nothing was applied. Fix these rows and run again:\n${plan.problems.map((p) => `  - ${p}`).join('\n')}\n`,
        );
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`${describePlan(plan)}\n`);
      if (!apply) {
        process.stdout.write(plan.steps.length ? 'Dry run: nothing was written. Run again with --apply to make these changes.\n' : 'Nothing to change.\n');
        return;
      }
      const result = await applyImport(
        db,
        plan,
        { subject: editor ?? 'catalog:import', issuer: 'catalog:import' },
        { key: path.basename(file), title: `catalog:import of ${path.basename(file)}`, url: null },
      );
      process.stdout.write(`applied ${result.applied} change(s) to ${databaseName}, each recorded in its audit trail\n`);
      if (result.refused.length) {
        process.stderr.write(`refused (changed since the dry run; run the import again):\n${result.refused.map((r) => `  - ${r}`).join('\n')}\n`);
        process.exitCode = 1;
      }
    } finally {
      await client.close();
      await database.stop();
    }
  })().catch(exitOnStartupError(logger));
}
