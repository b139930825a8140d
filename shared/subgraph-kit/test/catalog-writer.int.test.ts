import { createLogger } from '@qsmo/service-kit/logger';
import { CatalogStore, type ChangeDoc, type ChangeRequest } from '@qsmo/subgraph-kit/domain/changes';
import { DOMAIN_COLLECTIONS } from '@qsmo/subgraph-kit/domain/data';
import { DOMAINS } from '../../../test/support/graph';
import { openSeededDatabase, type TestDatabase } from '../../../test/support/db';

/**
 * The catalog writer's concurrency rules on the real database: a change
 * recorded by another writer and not yet committed (either the one that
 * brought the offering to its version, or the next one) stops a writer
 * (IN_PROGRESS, or STALE_VERSION naming the version on the way) while its
 * lease runs and is rolled forward after it; a write
 * from an old version is refused with the current one; each committed write
 * leaves exactly one record.
 */
const grants = DOMAINS.find((d) => d.definition.serviceName === 'grants-management')!;
const logger = createLogger('catalog-writer-test', 'silent');
let database: TestDatabase;

beforeEach(async () => {
  database = await openSeededDatabase(grants.definition);
});
afterEach(async () => {
  await database.drop();
});

const ID = 'grm-era';
const rename = (expectedVersion: number, name: string): ChangeRequest => ({
  offeringId: ID,
  expectedVersion,
  mutation: 'updateGrantsManagementOffering',
  actor: { subject: 'writer-test', issuer: null },
  sources: [{ key: 'test', title: 'test', url: 'https://example.gov/test' }],
  verification: 'UNVERIFIED',
  compute: (before, nextVersion) => (before ? { offering: { ...before.offering, name, version: nextVersion }, listings: before.listings } : null),
});
const changes = () => database.db.collection<ChangeDoc>(DOMAIN_COLLECTIONS.changes);
const stored = async () => database.db.collection(DOMAIN_COLLECTIONS.offerings).findOne({ _id: ID } as never);

test('a committed write moves the version by one and leaves one committed record; an old version is refused with the current one', async () => {
  const store = new CatalogStore({ db: database.db, logger });
  const first = await store.write(rename(1, 'eRA one'));
  expect(first).toMatchObject({ change: { _id: `${ID}@2`, state: 'committed', version: 2 } });
  expect(await stored()).toMatchObject({ name: 'eRA one', version: 2 });
  expect(await store.write(rename(1, 'late'))).toMatchObject({ error: { code: 'STALE_VERSION', currentVersion: 2 } });
  expect(await changes().countDocuments({ offeringId: ID })).toBe(1);
});

test('a pending record of the next version makes a change from the version before it stale, and is rolled forward once its lease has passed', async () => {
  const store = new CatalogStore({ db: database.db, logger, leaseMs: 60_000 });
  const done = await store.write(rename(1, 'eRA two'));
  expect('change' in done).toBe(true);
  // Another writer recorded version 3 and has not stored it yet.
  const theirs = {
    ...(await changes().findOne({ _id: `${ID}@2` }))!,
    _id: `${ID}@3`,
    version: 3,
    fromVersion: 2,
    state: 'pending' as const,
    recordedAt: new Date().toISOString(),
  };
  theirs.before = theirs.after;
  theirs.after = { offering: { ...theirs.after!.offering, name: 'theirs', version: 3 }, listings: theirs.after!.listings };
  delete theirs.at;
  await changes().insertOne(theirs);
  // Its version 3 is on the way: a change from version 2 is stale, and nothing is written.
  expect(await store.write(rename(2, 'mine'))).toMatchObject({ error: { code: 'STALE_VERSION', currentVersion: 3 } });
  expect(await stored()).toMatchObject({ name: 'eRA two', version: 2 });
  // Once its lease has passed (a crashed writer), the next writer finishes it first, then refuses its own stale change.
  const later = new CatalogStore({ db: database.db, logger, leaseMs: 0 });
  expect(await later.write(rename(2, 'mine'))).toMatchObject({ error: { code: 'STALE_VERSION', currentVersion: 3 } });
  expect(await stored()).toMatchObject({ name: 'theirs', version: 3 });
  expect(await changes().findOne({ _id: `${ID}@3` })).toMatchObject({ state: 'committed' });
  expect(await later.write(rename(3, 'mine'))).toMatchObject({ change: { version: 4 } });
});

test('a change stored but not yet marked committed blocks too: no later change is made on top of it', async () => {
  const store = new CatalogStore({ db: database.db, logger, leaseMs: 60_000 });
  await store.write(rename(1, 'eRA two'));
  // The writer of version 2 stored the offering and stopped before marking its record committed.
  await changes().updateOne({ _id: `${ID}@2` }, { $set: { state: 'pending', recordedAt: new Date().toISOString() }, $unset: { at: '' } });
  expect(await store.write(rename(2, 'mine'))).toMatchObject({ error: { code: 'IN_PROGRESS' } });
  expect(await changes().countDocuments({ offeringId: ID })).toBe(1);
});
