import { QSMO_DOMAINS, type QsmoDomain } from '@qsmo/catalog/types';
import { openDatabase } from '@qsmo/service-kit/database';
import { createLogger } from '@qsmo/service-kit/logger';
import { connectMongo, createMongoClient } from '@qsmo/service-kit/mongo';
import { exitOnStartupError } from '@qsmo/service-kit/shutdown';
import { SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { readSyntheticConfig } from './command-config';
import { seedSynthetic, syntheticDatabaseName } from './synthetic';

/**
 * `npm run seed:synthetic -- --offerings 20000 --customers 200000 [--domains grants_management,...] [--seed 1]`:
 * fills qsmo_synthetic_<domain> databases with generated catalogs for load
 * tests, on the same database server `npm start` uses (MONGODB_URI or the
 * embedded FerretDB). The real qsmo_<domain> databases are not touched.
 */
const USAGE = 'usage: npm run seed:synthetic -- --offerings <n> --customers <n> [--domains grants_management,cybersecurity] [--seed <n>]';

function parse(argv: string[]): { offerings: number; customers: number; seed: number; domains: QsmoDomain[] } {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!['--offerings', '--customers', '--seed', '--domains'].includes(flag)) throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    values.set(flag, value);
  }
  const int = (flag: string, fallback?: number): number => {
    const raw = values.get(flag);
    if (raw === undefined) {
      if (fallback === undefined) throw new Error(`${flag} is required\n${USAGE}`);
      return fallback;
    }
    const n = Number(raw.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} ${raw}: give a whole number of at least 0.`);
    return n;
  };
  // A subgraph's name (grants-management) or its domain (GRANTS_MANAGEMENT), as the list of subgraphs spells them.
  const domains = (values.get('--domains') ?? QSMO_DOMAINS.join(',')).split(',').map((d) => {
    const entry = SUBGRAPHS.find((s) => s.name === d.trim().toLowerCase() || s.domain === d.trim().toUpperCase());
    if (!entry) throw new Error(`--domains: ${d} is not one of ${SUBGRAPHS.map((s) => s.name).join(', ')}.`);
    return entry.domain;
  });
  return { offerings: int('--offerings'), customers: int('--customers'), seed: int('--seed', 1), domains: domains as QsmoDomain[] };
}

const logger = createLogger('seed-synthetic');
void (async () => {
  const options = parse(process.argv.slice(2));
  const { database: dbConfig, warnings } = readSyntheticConfig();
  for (const warning of warnings) logger.warn(warning);
  const database = await openDatabase(dbConfig, logger);
  const client = createMongoClient(database.uri, { appName: 'seed-synthetic' });
  try {
    await connectMongo(client, logger, 'seed-synthetic');
    for (const domain of options.domains) {
      const started = Date.now();
      await seedSynthetic(client.db(syntheticDatabaseName(domain)), domain, options, logger);
      logger.info(`${syntheticDatabaseName(domain)} filled in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    }
    process.stdout.write(
      `\nSynthetic data is in ${options.domains.map(syntheticDatabaseName).join(', ')} at ${database.uri}.\n` +
        'Point a subgraph at it with MONGODB_DATABASE=<that name> and SEED_ON_START=never (auto would reload the real catalog over it);\n' +
        '`npm run bench:cli` starts a whole graph on these databases by itself.\n',
    );
  } finally {
    await client.close();
    await database.stop();
  }
})().catch(exitOnStartupError(logger));
