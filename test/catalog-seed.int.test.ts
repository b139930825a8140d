import { createLogger } from '@qsmo/service-kit/logger';
import { readSubgraphCatalog } from '@qsmo/subgraph-kit/domain/catalog';
import { seedSubgraph } from '@qsmo/subgraph-kit/domain/seed';
import { CatalogStore } from '@qsmo/subgraph-kit/domain/changes';
import { EditsPresent, RESET_MUTATION } from '@qsmo/subgraph-kit/domain/seed';
import { openSeededDatabase, type TestDatabase } from './support/db';
import { DOMAINS } from './support/graph';
import { renameInCatalog } from './support/catalog-writes';

/** The reference CSVs are the initial load: once a team has edited its marketplace, reseeding keeps the edits unless a reset is explicit. */
const grants = DOMAINS.find((d) => d.definition.serviceName === 'grants-management')!.definition;
const logger = createLogger('seed', 'silent');
const ID = 'grm-era';

let database: TestDatabase;
beforeAll(async () => {
  database = await openSeededDatabase(grants);
}, 60_000);
afterAll(async () => {
  await database?.drop();
});

const offering = () => database.db.collection<{ _id: string; name: string; version?: number }>('offerings').findOne({ _id: ID });

async function rename(name: string): Promise<void> {
  await renameInCatalog(new CatalogStore({ db: database.db }), ID, name, { subject: 'grm-editor' });
}

test('an edited marketplace: npm run seed refuses naming the edit, a start keeps it, a reset replaces it and is recorded; versions go on', async () => {
  await rename('eRA (edited)');
  const catalog = readSubgraphCatalog(grants.domain);
  await expect(seedSubgraph(database.db, catalog, 'always', logger, { onEdits: 'refuse' })).rejects.toThrow(EditsPresent);
  await expect(seedSubgraph(database.db, catalog, 'always', logger, { onEdits: 'refuse' })).rejects.toThrow(
    /1 edit\(s\) by its QSMO team.*updateGrantsManagementOffering of grm-era by grm-editor.*--reset/s,
  );
  expect((await offering())?.name).toBe('eRA (edited)');

  await seedSubgraph(database.db, catalog, 'always', logger, { onEdits: 'keep' });
  expect(await offering()).toMatchObject({ name: 'eRA (edited)', version: 2 });

  await seedSubgraph(database.db, catalog, 'always', logger, { onEdits: 'reset' });
  expect(await offering()).toMatchObject({ name: 'eRA', version: 3 });
  const reset = await database.db.collection<{ _id: string }>('changes').findOne({ _id: `${ID}@3` });
  expect(reset).toMatchObject({ mutation: RESET_MUTATION, state: 'committed', changedFields: ['name'] });
  // After a reset the marketplace is the reference catalog again: a plain reseed goes ahead, and the next edit is version 4.
  await expect(seedSubgraph(database.db, catalog, 'always', logger, { onEdits: 'refuse' })).resolves.toBe(true);
  await rename('eRA (edited again)');
  expect(await offering()).toMatchObject({ name: 'eRA (edited again)', version: 4 });
});
