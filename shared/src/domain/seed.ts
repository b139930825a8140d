import type { Db } from 'mongodb';
import type { Logger } from '../logger';
import { REFERENCE_COLLECTIONS } from '../reference/documents';
import { ensureIndexes, fingerprint, lastSeed, recordSeed, replaceCollection, type CollectionIndexes } from '../seeding';
import { validateCatalog, type SubgraphCatalog } from './catalog';
import { DOMAIN_COLLECTIONS, DOMAIN_INDEXES } from './data';

export const REFERENCE_INDEXES: CollectionIndexes[] = [
  { collection: REFERENCE_COLLECTIONS.agencies, indexes: [{ key: { sortKey: 1, _id: 1 }, name: 'sortKey_id' }, { key: { cfoAct: 1, sortKey: 1 }, name: 'cfoAct_sortKey' }] },
  { collection: REFERENCE_COLLECTIONS.providers, indexes: [{ key: { sortKey: 1, _id: 1 }, name: 'sortKey_id' }, { key: { domains: 1 }, name: 'domains' }, { key: { sector: 1, sortKey: 1 }, name: 'sector_sortKey' }] },
];

/** When a subgraph seeds at start-up: `auto` loads an empty or outdated database and leaves a current one alone. */
export type SeedPolicy = 'auto' | 'always' | 'never';
export const SEED_POLICIES: readonly SeedPolicy[] = ['auto', 'always', 'never'];

export async function ensureSubgraphIndexes(db: Db): Promise<void> {
  await ensureIndexes(db, [...REFERENCE_INDEXES, ...DOMAIN_INDEXES]);
}

/**
 * Loads a subgraph's catalog into its database. Idempotent: each collection
 * ends up holding exactly the catalog's documents. Returns whether it wrote.
 */
export async function seedSubgraph(db: Db, catalog: SubgraphCatalog, policy: SeedPolicy, logger: Logger): Promise<boolean> {
  if (policy === 'never') return false;
  const { description, ...collections } = catalog;
  const print = fingerprint(collections);
  if (policy === 'auto') {
    const last = await lastSeed(db);
    if (last?.fingerprint === print) return false;
    // A load-test database must not be silently replaced by the real catalog at a service start.
    if (last && /synthetic/i.test(last.description)) {
      logger.warn(`${db.databaseName} holds synthetic data (${last.description}); not reseeding it. Use SEED_ON_START=always or npm run seed to replace it.`);
      return false;
    }
  }
  validateCatalog(catalog);
  await replaceCollection(db, REFERENCE_COLLECTIONS.agencies, catalog.agencies);
  await replaceCollection(db, REFERENCE_COLLECTIONS.providers, catalog.providers);
  await replaceCollection(db, REFERENCE_COLLECTIONS.qsmos, catalog.qsmos);
  await replaceCollection(db, DOMAIN_COLLECTIONS.capabilities, catalog.capabilities);
  await replaceCollection(db, DOMAIN_COLLECTIONS.offerings, catalog.offerings);
  await replaceCollection(db, DOMAIN_COLLECTIONS.customerLinks, catalog.customerLinks);
  await ensureSubgraphIndexes(db);
  await recordSeed(db, print, description);
  logger.info(`seeded ${db.databaseName}: ${catalog.offerings.length} offerings, ${catalog.capabilities.length} FIBF entries, ` +
    `${catalog.customerLinks.length} customer links, ${catalog.agencies.length} agencies, ${catalog.providers.length} providers`);
  return true;
}
