import { createLogger } from '@qsmo/service-kit/logger';
import { readSubgraphCatalog, validateCatalog } from '@qsmo/subgraph-kit/domain/catalog';
import { seedSubgraph } from '@qsmo/subgraph-kit/domain/seed';
import { syntheticCatalog } from '@qsmo/dev-tools/synthetic';
import { ensureSubgraphIndexes } from '@qsmo/subgraph-kit/domain/seed';
import { openTestDatabase, type TestDatabase } from '../../../test/support/db';

/** Seeding against the real database: idempotent, validated before any write. */
let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase('seeding');
});
afterAll(async () => {
  await t.drop();
});
const logger = createLogger('seed', 'silent');

async function counts() {
  const names = ['agencies', 'providers', 'qsmos', 'offerings', 'capabilities', 'offering_customers'];
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await t.db.collection(n).countDocuments()])));
}

test('seeding twice leaves exactly the same data, and auto skips a current database', async () => {
  const catalog = readSubgraphCatalog('GRANTS_MANAGEMENT');
  expect(await seedSubgraph(t.db, catalog, 'auto', logger)).toBe(true);
  const first = await counts();
  expect(first).toEqual({
    agencies: catalog.agencies.length,
    providers: 48,
    qsmos: 5,
    offerings: 15,
    capabilities: catalog.capabilities.length,
    offering_customers: catalog.customerLinks.length,
  });
  expect(await seedSubgraph(t.db, catalog, 'always', logger)).toBe(true);
  expect(await counts()).toEqual(first);
  expect(await seedSubgraph(t.db, catalog, 'auto', logger)).toBe(false);
  // Index creation is repeatable (FerretDB v1 panicked on re-creating several at once).
  await ensureSubgraphIndexes(t.db);
  await ensureSubgraphIndexes(t.db);
  const names = (await t.db.collection('offerings').listIndexes().toArray()).map((i) => i.name);
  expect(names).toEqual(expect.arrayContaining(['sortKey_id', 'customerCodes', 'capabilityPaths']));
});

test('a reload removes records that left the catalog', async () => {
  const catalog = readSubgraphCatalog('GRANTS_MANAGEMENT');
  const smaller = { ...catalog, offerings: catalog.offerings.filter((o) => o._id !== 'grm-fac') };
  await seedSubgraph(t.db, smaller, 'always', logger);
  expect(await t.db.collection('offerings').countDocuments()).toBe(14);
  await seedSubgraph(t.db, catalog, 'always', logger);
  expect(await t.db.collection('offerings').countDocuments()).toBe(15);
});

test('an inconsistent catalog is refused by row, before anything is written', async () => {
  const catalog = readSubgraphCatalog('GRANTS_MANAGEMENT');
  const broken = { ...catalog, offerings: catalog.offerings.map((o) => (o._id === 'grm-era' ? { ...o, providerId: 'no-such-provider' } : o)) };
  expect(() => validateCatalog(broken)).toThrow(/offering grm-era: provider "no-such-provider" is not in providers/);
  await expect(seedSubgraph(t.db, broken, 'always', logger)).rejects.toThrow(/nothing was written/);
  const era = await t.db.collection<{ _id: string; providerId: string }>('offerings').findOne({ _id: 'grm-era' });
  expect(era?.providerId).toBe('hhs-nih');
});

test('a start-up seed (auto) never replaces synthetic load-test data with the real catalog', async () => {
  const synthetic = syntheticCatalog('GRANTS_MANAGEMENT', { offerings: 30, customers: 40 });
  await seedSubgraph(t.db, synthetic, 'always', logger);
  expect(await seedSubgraph(t.db, readSubgraphCatalog('GRANTS_MANAGEMENT'), 'auto', logger)).toBe(false);
  expect(await t.db.collection('offerings').countDocuments()).toBe(30);
  expect(await seedSubgraph(t.db, readSubgraphCatalog('GRANTS_MANAGEMENT'), 'always', logger)).toBe(true);
  expect(await t.db.collection('offerings').countDocuments()).toBe(15);
});

test('a database seeded before the catalog update is reseeded at start: the fingerprint moves with the files', async () => {
  const catalog = readSubgraphCatalog('GRANTS_MANAGEMENT');
  // The catalog as it was before 2026-12-04: no Acquisition QSMO, no gsa-fas.
  const before = { ...catalog, qsmos: catalog.qsmos.filter((q) => q._id !== 'ACQUISITION'), providers: catalog.providers.filter((p) => p._id !== 'gsa-fas') };
  expect(await seedSubgraph(t.db, before, 'always', logger)).toBe(true);
  expect(await seedSubgraph(t.db, before, 'auto', logger)).toBe(false);
  expect(await seedSubgraph(t.db, catalog, 'auto', logger)).toBe(true);
  expect(await t.db.collection('qsmos').countDocuments()).toBe(5);
});
