import { createLogger } from '@qsmo/service-kit/logger';
import { readSubgraphCatalog } from '@qsmo/subgraph-kit/domain/catalog';
import { seedSubgraph } from '@qsmo/subgraph-kit/domain/seed';
import { ReadModel, type ReadModelOptions } from '@qsmo/subgraph-kit/read-model';
import { DOMAINS } from '../../../test/support/graph';
import { openSeededDatabase, type TestDatabase } from '../../../test/support/db';
import { execute } from '../../../test/support/graphql';

/**
 * The read model against the real embedded database: the same answers as
 * without it, no database command for a repeated read, and never a stale
 * answer after a write through the model, by another replica (within one
 * poll), by a reseed, or by a hand edit (within its max age).
 */
const grants = DOMAINS.find((d) => d.definition.serviceName === 'grants-management')!;
const logger = createLogger('read-model-test', 'silent');
let database: TestDatabase;
const models: ReadModel[] = [];

beforeEach(async () => {
  database = await openSeededDatabase(grants.definition);
});
afterEach(async () => {
  for (const m of models.splice(0)) m.stop();
  await database.drop();
});

async function serverWith(options: Partial<ReadModelOptions> = {}) {
  const model = new ReadModel(database.db, { pollIntervalMs: 100, maxEntries: 500, maxAgeMs: 60_000, logger, ...options });
  await model.start();
  models.push(model);
  return { model, server: grants.createServer({ db: database.db, readModel: model }) };
}

/** Commands that answer reads: the model's background poll of the data version (`_meta`) is not one. */
async function commands(): Promise<number> {
  return (await database.metrics.mongoCommands.get()).values.filter((v) => v.labels.collection !== '_meta').reduce((n, v) => n + v.value, 0);
}

const QUERIES = [
  `{ grantsManagement { offerings(first: 5, filter: { search: "grant" }) { totalCount edges { cursor node { id name provider { id name } customers { code } } } } } }`,
  `{ grantsManagement { capability(code: "GRM.030") { code children { code name } offerings { name } } } }`,
  `{ grantsManagement { stats { offeringCount customerCount customerLinkCount(since: "2021-01-01") byShelf { shelf count } capabilityCoverage { code offeringCount } } } }`,
  `{ agency(code: "075") { name grantsManagement { offeringCount offerings { id name } } } }`,
  `{ _entities(representations: [{ __typename: "GrantsManagementOffering", id: "grm-era" }, { __typename: "Agency", code: "070" }]) { ... on GrantsManagementOffering { name } ... on Agency { name } } }`,
];

test('answers exactly as the database does, and a repeated request costs no database command', async () => {
  const plain = grants.createServer({ db: database.db });
  const { server, model } = await serverWith();
  for (const query of QUERIES) {
    const expected = await execute(plain.apollo, { query }, plain.context());
    expect(expected.errors).toBeUndefined();
    expect(await execute(server.apollo, { query }, server.context())).toEqual(expected);
    const before = await commands();
    expect(await execute(server.apollo, { query }, server.context())).toEqual(expected);
    expect(await commands()).toBe(before);
  }
  expect(model.size).toBeGreaterThan(0);
});

const nameOfEra = async (server: Awaited<ReturnType<typeof serverWith>>['server']) =>
  (await execute(server.apollo, { query: `{ grantsManagement { offering(id: "grm-era") { name } } }` }, server.context())).data?.grantsManagement.offering.name;

test('a write through the model is seen by the next read; another replica sees it within one poll', async () => {
  const a = await serverWith();
  const b = await serverWith();
  expect(await nameOfEra(a.server)).toBe('eRA');
  expect(await nameOfEra(b.server)).toBe('eRA');
  const offerings = a.model.wrap(database.db.collection('offerings'));
  await offerings.updateOne({ _id: 'grm-era' } as never, { $set: { name: 'eRA Commons' } });
  expect(await nameOfEra(a.server)).toBe('eRA Commons');
  await new Promise((r) => setTimeout(r, 400));
  expect(await nameOfEra(b.server)).toBe('eRA Commons');
});

test('a write forgets only its own collection: the reference data and FIBF entries stay in memory', async () => {
  // Polls every few milliseconds, so some overlap the write: a poll must not take the write's own bump for a change made elsewhere.
  const { server, model } = await serverWith({ pollIntervalMs: 3 });
  const fibf = `{ grantsManagement { capability(code: "GRM.030") { code children { code name } } } agency(code: "075") { name } }`;
  const expected = await execute(server.apollo, { query: fibf }, server.context());
  expect(expected.errors).toBeUndefined();
  const offerings = model.wrap(database.db.collection('offerings'));
  await offerings.updateOne({ _id: 'grm-era' } as never, { $set: { name: 'eRA Commons' } });
  await new Promise((r) => setTimeout(r, 50));
  const before = await commands();
  expect(await execute(server.apollo, { query: fibf }, server.context())).toEqual(expected);
  expect(await commands()).toBe(before);
  expect(await nameOfEra(server)).toBe('eRA Commons');
});

test('a reseed is seen within one poll; a hand edit that bumps nothing within the max age', async () => {
  const { server } = await serverWith({ maxAgeMs: 500 });
  expect(await nameOfEra(server)).toBe('eRA');
  await database.db.collection('offerings').updateOne({ _id: 'grm-era' } as never, { $set: { name: 'edited by hand' } });
  expect(await nameOfEra(server)).toBe('eRA');
  await new Promise((r) => setTimeout(r, 700));
  expect(await nameOfEra(server)).toBe('edited by hand');
  await seedSubgraph(database.db, readSubgraphCatalog('GRANTS_MANAGEMENT'), 'always', logger);
  await new Promise((r) => setTimeout(r, 400));
  expect(await nameOfEra(server)).toBe('eRA');
});

test('stays within its size, and a read that straddles a write is not kept', async () => {
  const { server, model } = await serverWith({ maxEntries: 3 });
  for (const query of QUERIES) await execute(server.apollo, { query }, server.context());
  expect(model.size).toBeLessThanOrEqual(3);
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const slow = model.read('straddle', async () => {
    await gate;
    return ['old'];
  });
  model.invalidate();
  release();
  expect(await slow).toEqual(['old']);
  expect(await model.read('straddle', async () => ['new'])).toEqual(['new']);
});
