import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { createLogger } from '@qsmo/service-kit/logger';
import { createMetrics, type Metrics } from '@qsmo/service-kit/metrics';
import { readSubgraphCatalog } from '@qsmo/subgraph-kit/domain/catalog';
import { seedSubgraph } from '@qsmo/subgraph-kit/domain/seed';
import { type DomainDefinition } from '@qsmo/subgraph-kit/domain/definition';
import { createMongoClient } from '@qsmo/service-kit/mongo';
import { seedSynthetic, type SyntheticOptions } from '@qsmo/dev-tools/synthetic';

/** The URI of the test run's database server (see global-setup). */
export function testMongoUri(): string {
  const uri = process.env.QSMO_TEST_MONGODB_URI;
  if (!uri) throw new Error('QSMO_TEST_MONGODB_URI is not set: run tests through jest so global-setup starts the database.');
  return uri;
}

/** A unique database name, so test files never see each other's data. */
export function uniqueDbName(label: string): string {
  return `test_${label.replace(/[^a-z0-9]/gi, '_')}_${randomBytes(4).toString('hex')}`.slice(0, 60);
}

export interface TestDatabase {
  client: MongoClient;
  db: Db;
  metrics: Metrics;
  drop(): Promise<void>;
}

/** A fresh database for one test file, with command metrics wired as in production. */
export async function openTestDatabase(label: string, metricsService = label): Promise<TestDatabase> {
  const metrics = createMetrics(metricsService, { defaultMetrics: false });
  const client = createMongoClient(testMongoUri(), {
    appName: `test-${label}`,
    onCommand: ({ commandName, collection }) => metrics.mongoCommands.inc({ command: commandName, collection: collection ?? '' }),
  });
  await client.connect();
  const db = client.db(uniqueDbName(label));
  return {
    client,
    db,
    metrics,
    async drop() {
      await db.dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
}

/** A test database seeded with the real catalog of the domain. */
export async function openSeededDatabase(definition: DomainDefinition): Promise<TestDatabase> {
  const t = await openTestDatabase(definition.serviceName);
  await seedSubgraph(t.db, readSubgraphCatalog(definition.domain), 'always', createLogger('seed', 'warn'));
  return t;
}

/** A test database holding a synthetic catalog of the domain (generated offerings, real reference data). */
export async function openSyntheticDatabase(definition: DomainDefinition, options: SyntheticOptions): Promise<TestDatabase> {
  const t = await openTestDatabase(`${definition.serviceName}_synthetic`, definition.serviceName);
  await seedSynthetic(t.db, definition.domain, options, createLogger('seed', 'warn'));
  return t;
}
