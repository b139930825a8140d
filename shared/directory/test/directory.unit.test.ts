import { ANONYMOUS } from '@qsmo/service-kit/auth/identity';
import { createLogger } from '@qsmo/service-kit/logger';
import { createDirectoryServer, marketplaceSources, type OfferingRow } from '@qsmo/directory';
import { SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { codes, execute } from '../../../test/support/graphql';

/**
 * The directory in process: its filters, orderings, cursors and counts over a
 * projection fed directly (no marketplace is read), and its entities as the
 * gateway asks for them. Over real processes: test/cross-qsmo-catalog.e2e.test.ts.
 */
const marketplaces = marketplaceSources((name) => `http://127.0.0.1:9/${name}/graphql`);
const [fm, hr, grm, cyb] = SUBGRAPHS;
const row = (domain: (typeof SUBGRAPHS)[number], id: string, name: string, extra: Partial<OfferingRow> = {}): OfferingRow => ({
  id,
  typename: `${domain.typePrefix}Offering`,
  domain: domain.domain,
  name,
  sortKey: name.toLowerCase(),
  category: null,
  shelf: 'FEDERAL',
  providerIds: ['p-shared'],
  customerCodes: [],
  capabilityCodes: [],
  launchedOn: null,
  verification: 'CONFIRMED',
  ...extra,
});
const reference = {
  agencies: [
    { code: '020', name: 'Treasury', abbreviation: 'TREAS', cfoAct: true },
    { code: '075', name: 'Health and Human Services', abbreviation: 'HHS', cfoAct: true },
    { code: '999', name: 'Other', abbreviation: null, cfoAct: false },
  ],
  providers: [
    { id: 'p-shared', name: 'Shared Provider', abbreviation: null, sector: 'FEDERAL' },
    { id: 'p-one', name: 'One', abbreviation: null, sector: 'COMMERCIAL' },
  ],
};
const server = createDirectoryServer({ marketplaces, reference, logger: createLogger('directory', 'silent') });
const context = { projection: server.projection, reference, identity: ANONYMOUS, fresh: () => Promise.resolve() };
const run = (query: string, variables?: Record<string, unknown>) => execute(server.apollo, { query, variables }, context);

beforeAll(() => {
  server.projection.replace(fm!.name, 'v1', [
    row(fm!, 'fm-a', 'Alpha', { customerCodes: ['020', '075'], launchedOn: '2021-03-01', capabilityCodes: ['FFM.030.070'] }),
    row(fm!, 'fm-b', 'beta', { customerCodes: ['020'], launchedOn: '2019', shelf: 'COMMERCIAL', providerIds: ['p-one'] }),
  ]);
  server.projection.replace(hr!.name, 'v1', [row(hr!, 'hr-c', 'Gamma', { customerCodes: ['020', '075', '999'], launchedOn: '2023-06' })]);
  server.projection.replace(grm!.name, 'v1', [row(grm!, 'grm-d', 'Delta', { category: 'Grants portal' })]);
  // Cybersecurity and every marketplace after it (Acquisition) read, with no offerings.
  for (const s of SUBGRAPHS.slice(SUBGRAPHS.indexOf(cyb!))) server.projection.replace(s.name, 'v1', []);
});

const NODES = `query($filter: CatalogOfferingFilter, $orderBy: OfferingOrder, $first: Int, $after: String) {
  offerings(filter: $filter, orderBy: $orderBy, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { __typename id } } } }`;
const ids = (r: any) => r.data.offerings.edges.map((e: any) => e.node.id);

test("every marketplace in one list, in name order (case ignored), as references of each marketplace's own type", async () => {
  const r = await run(NODES);
  expect(r.errors).toBeUndefined();
  expect(r.data.offerings.totalCount).toBe(4);
  expect(r.data.offerings.edges.map((e: any) => [e.node.__typename, e.node.id])).toEqual([
    ['FinancialManagementOffering', 'fm-a'],
    ['FinancialManagementOffering', 'fm-b'],
    ['GrantsManagementOffering', 'grm-d'],
    ['HumanResourcesOffering', 'hr-c'],
  ]);
});

test('ordered by customer count or launch date, paged by cursor without gaps or repeats; a cursor of another order is refused', async () => {
  const byCount = { field: 'CUSTOMER_COUNT', direction: 'DESC' };
  const first = await run(NODES, { orderBy: byCount, first: 2 });
  expect(ids(first)).toEqual(['hr-c', 'fm-a']);
  const second = await run(NODES, { orderBy: byCount, first: 2, after: first.data.offerings.pageInfo.endCursor });
  expect([ids(second), second.data.offerings.pageInfo.hasNextPage]).toEqual([['fm-b', 'grm-d'], false]);
  // Undated offerings come last in either direction.
  expect(ids(await run(NODES, { orderBy: { field: 'LAUNCHED_ON', direction: 'DESC' } }))).toEqual(['hr-c', 'fm-a', 'fm-b', 'grm-d']);
  expect(ids(await run(NODES, { orderBy: { field: 'LAUNCHED_ON' } }))).toEqual(['fm-b', 'fm-a', 'hr-c', 'grm-d']);
  const wrong = await run(NODES, { orderBy: { field: 'LAUNCHED_ON' }, after: first.data.offerings.pageInfo.endCursor });
  expect(codes(wrong)).toEqual(['BAD_USER_INPUT']);
  expect(wrong.errors![0]!.message).toMatch(/same orderBy/);
});

test.each([
  [{ domains: ['FINANCIAL_MANAGEMENT'], shelf: 'COMMERCIAL' }, ['fm-b']],
  [{ search: 'PORTAL' }, ['grm-d']],
  [{ capabilityCode: 'FFM.030' }, ['fm-a']],
  [{ customerCode: '999' }, ['hr-c']],
  [{ providerId: 'p-one' }, ['fm-b']],
  [{ launchedSince: '2021' }, ['fm-a', 'hr-c']],
  [{ launchedUntil: '2021-02' }, ['fm-b']],
  [{ launchedSince: '2020-01-01', launchedUntil: '2021-12-31' }, ['fm-a']],
])('filter %j', async (filter, expected) => {
  const r = await run(NODES, { filter });
  expect(r.errors).toBeUndefined();
  expect(ids(r)).toEqual(expected);
});

test.each([
  [{ domains: [] }, /filter\.domains is empty/],
  [{ launchedSince: '2021-13' }, /launchedSince "2021-13" is not a date: write YYYY, YYYY-MM or YYYY-MM-DD/],
  [{ launchedSince: '2022', launchedUntil: '2021' }, /launchedSince \(2022\) is after filter\.launchedUntil \(2021\): swap them/],
  [{ capabilityCode: 'payables' }, /not a FIBF code/],
  [{ customerCode: '75' }, /not a CGAC agency code/],
])('a mistake in %j is BAD_USER_INPUT saying what to change', async (filter, message) => {
  const r = await run(NODES, { filter });
  expect(codes(r)).toEqual(['BAD_USER_INPUT']);
  expect(r.errors![0]!.message).toMatch(message);
});

test('agencies and providers by the number of marketplaces they are in; the counts as entities', async () => {
  const r = await run(`{ agencies(filter: { minMarketplaces: 2 }) { totalCount edges { node { code marketplaceCount } } }
    providers(filter: { minMarketplaces: 2 }) { edges { node { id marketplaceCount } } }
    one: providers(filter: { domain: FINANCIAL_MANAGEMENT, sector: COMMERCIAL }) { edges { node { id } } } }`);
  expect(r.errors).toBeUndefined();
  expect(r.data.agencies.edges.map((e: any) => [e.node.code, e.node.marketplaceCount])).toEqual([
    ['075', 2],
    ['020', 2],
  ]);
  expect(r.data.providers.edges.map((e: any) => [e.node.id, e.node.marketplaceCount])).toEqual([['p-shared', 3]]);
  expect(r.data.one.edges.map((e: any) => e.node.id)).toEqual(['p-one']);
  const entities = await run(
    `query($r: [_Any!]!) { _entities(representations: $r) { ... on Agency { code marketplaceCount } ... on Provider { id marketplaceCount } } }`,
    {
      r: [
        { __typename: 'Agency', code: '999' },
        { __typename: 'Provider', id: 'p-one' },
      ],
    },
  );
  expect(entities.data!._entities).toEqual([
    { code: '999', marketplaceCount: 1 },
    { id: 'p-one', marketplaceCount: 1 },
  ]);
  const tooMany = await run('{ agencies(filter: { minMarketplaces: 9 }) { totalCount } }');
  expect(codes(tooMany)).toEqual(['BAD_USER_INPUT']);
  expect(tooMany.errors![0]!.message).toContain(`between 0 and ${SUBGRAPHS.length}`);
});

test('a marketplace never read is an error naming it, never a shorter list', async () => {
  const fresh = createDirectoryServer({ marketplaces, reference, logger: createLogger('directory', 'silent') });
  fresh.projection.replace(fm!.name, 'v1', []);
  const r = await execute(
    fresh.apollo,
    { query: '{ offerings { totalCount } }' },
    { projection: fresh.projection, reference, identity: ANONYMOUS, fresh: () => Promise.resolve() },
  );
  expect(codes(r)).toEqual(['SUBGRAPH_UNAVAILABLE']);
  expect(r.errors![0]!.message).toContain(
    `${SUBGRAPHS.slice(1)
      .map((m) => m.area)
      .join(', ')} marketplaces yet`,
  );
  const some = await execute(
    fresh.apollo,
    { query: '{ offerings(filter: { domains: [FINANCIAL_MANAGEMENT] }) { totalCount } }' },
    { projection: fresh.projection, reference, identity: ANONYMOUS, fresh: () => Promise.resolve() },
  );
  expect(some.data).toEqual({ offerings: { totalCount: 0 } });
});
