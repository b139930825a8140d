import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '@qsmo/service-kit/logger';
import { readSubgraphCatalog } from '@qsmo/subgraph-kit/domain/catalog';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { seedSubgraph } from '@qsmo/subgraph-kit/domain/seed';
import { parseCsv } from '@qsmo/catalog';
import { DEFAULT_COST_BUDGETS } from '@qsmo/service-kit/demand-control';
import { SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { loadOperationsLibrary } from '../gateway/src/operations';
import { startEditingGraph, type EditingGraph } from './support/editing-graph';

/**
 * The cross-QSMO catalog as analysts use it: each question of the issue is
 * one operation of gateway/operations, run with an analyst token through the
 * gateway over real processes, and checked against counts computed here,
 * independently, from the reference CSV files. Then the directory's
 * projection is shown exact within 5 s of a write through the gateway and of
 * a seed, across a restart of the directory.
 */
const CATALOG = path.join(REPO_ROOT, 'shared', 'catalog');
const csv = (file: string) => parseCsv(fs.readFileSync(path.join(CATALOG, file), 'utf8'), file);
const offerings = csv('offerings.csv');
const listings = csv('offering_customers.csv');
const agencyCodes = new Set(csv('agencies.csv').map((r) => r.code!));
const domainOf = new Map(offerings.map((o) => [o.id!, o.domain!]));
const list = (cell: string | undefined) =>
  (cell ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);

/** The first day a date written YYYY, YYYY-MM, YYYY-MM-DD or FYYYYY covers. */
function firstDay(value: string): string {
  const fy = /^FY(\d{4})$/.exec(value);
  if (fy) return `${Number(fy[1]) - 1}-10-01`;
  const [y, m = '01', d = '01'] = value.split('-');
  return `${y}-${m}-${d}`;
}

function marketplacesBy(pairs: [string, string][]): Map<string, Set<string>> {
  const by = new Map<string, Set<string>>();
  for (const [key, domain] of pairs) by.set(key, (by.get(key) ?? new Set()).add(domain));
  return by;
}
const agencyMarketplaces = marketplacesBy(listings.filter((l) => agencyCodes.has(l.agency_code!)).map((l) => [l.agency_code!, domainOf.get(l.offering_id!)!]));
const providerMarketplaces = marketplacesBy(offerings.flatMap((o) => [o.provider_id!, ...list(o.partner_ids)].map((p) => [p, o.domain!] as [string, string])));
const customerCounts = new Map<string, number>();
for (const l of listings) if (agencyCodes.has(l.agency_code!)) customerCounts.set(l.offering_id!, (customerCounts.get(l.offering_id!) ?? 0) + 1);

const library = loadOperationsLibrary();
const source = (file: string) => library.find((o) => o.file === file)!;

let editing: EditingGraph;
let analyst: string;
let editor: string;

beforeAll(async () => {
  editing = await startEditingGraph({ followSubgraphChanges: true });
  analyst = await editing.token('analyst@gsa.gov', ['analyst']);
  editor = await editing.token('cyb-editor@cisa.gov', ['editor'], ['CYBERSECURITY']);
}, 120_000);

afterAll(async () => {
  await editing?.stop();
});

/** Runs a library operation as the analyst, with its sample variables unless given: answered, no error, within the analyst's budget. */
async function ask(file: string, variables?: Record<string, unknown>) {
  const op = source(file);
  const answer = await editing.gql(op.source, variables ?? op.variables, analyst);
  expect([answer.status, answer.body.errors]).toEqual([200, undefined]);
  const cost = (answer.body as { extensions?: { cost?: { estimated: number; budget: number } } }).extensions?.cost;
  if (cost) expect(cost.estimated).toBeLessThanOrEqual(DEFAULT_COST_BUDGETS.analyst);
  return answer.body.data;
}

describe('each question is one operation, answered as the reference CSVs count it', () => {
  test('which agencies use more than one QSMO marketplace', async () => {
    const data = await ask('agencies-in-several-marketplaces.graphql');
    const expected = [...agencyMarketplaces]
      .filter(([, d]) => d.size >= 2)
      .map(([code, d]) => [code, d.size])
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(data.agencies.totalCount).toBe(expected.length);
    expect(data.agencies.edges.map((e: { node: { code: string; marketplaceCount: number } }) => [e.node.code, e.node.marketplaceCount]).sort()).toEqual(
      expected,
    );
    expect(data.agencies.edges.every((e: { node: { name: string } }) => e.node.name.length > 0)).toBe(true);
  });

  test('which providers serve in several marketplaces', async () => {
    const data = await ask('providers-in-several-marketplaces.graphql');
    const expected = [...providerMarketplaces]
      .filter(([, d]) => d.size >= 2)
      .map(([id, d]) => [id, d.size])
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(data.providers.totalCount).toBe(expected.length);
    expect(data.providers.edges.map((e: { node: { id: string; marketplaceCount: number } }) => [e.node.id, e.node.marketplaceCount]).sort()).toEqual(expected);
  });

  test('which offerings have the most customers', async () => {
    const data = await ask('offerings-by-customer-count.graphql');
    const top = offerings
      .map((o) => customerCounts.get(o.id!) ?? 0)
      .sort((a, b) => b - a)
      .slice(0, 10);
    const nodes = data.offerings.edges.map((e: { node: { id: string; customerCount: number } }) => e.node);
    expect(data.offerings.totalCount).toBe(offerings.length);
    expect(nodes.map((n: { customerCount: number }) => n.customerCount)).toEqual(top);
    for (const n of nodes) expect(n.customerCount).toBe(customerCounts.get(n.id) ?? 0);
  });

  test('one list of every offering across the marketplaces, filtered, paged without duplicates', async () => {
    const data = await ask('catalog-offerings.graphql');
    const commercial = offerings
      .filter((o) => o.shelf === 'COMMERCIAL')
      .map((o) => o.id)
      .sort();
    expect(data.offerings.edges.map((e: { node: { id: string } }) => e.node.id).sort()).toEqual(commercial);
    // Every offering of every marketplace, in pages of 25, each once.
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: any = (await ask('catalog-offerings.graphql', { first: 25, after })).offerings;
      expect(page.totalCount).toBe(offerings.length);
      seen.push(...page.edges.map((e: { node: { id: string } }) => e.node.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(seen.sort()).toEqual(offerings.map((o) => o.id).sort());
    const searched = await ask('catalog-offerings.graphql', { filter: { search: 'grant', domains: ['GRANTS_MANAGEMENT', 'FINANCIAL_MANAGEMENT'] } });
    const expectedSearch = offerings
      .filter((o) => ['GRANTS_MANAGEMENT', 'FINANCIAL_MANAGEMENT'].includes(o.domain!) && `${o.name}\n${o.category ?? ''}`.toLowerCase().includes('grant'))
      .map((o) => o.id)
      .sort();
    expect(searched.offerings.edges.map((e: { node: { id: string } }) => e.node.id).sort()).toEqual(expectedSearch);
    // Cached as the catalogs are: 30 s (private: the caller signed in; the gateway evicts it sooner when a marketplace's data moves).
    expect((await editing.gql(source('catalog-offerings.graphql').source, { first: 5 }, analyst)).cacheControl).toBe('max-age=30, private');
  });

  test('offerings launched after 2020; listings stated before 2015', async () => {
    const data = await ask('launched-and-stated-dates.graphql');
    const launched = offerings
      .filter((o) => o.launched_on && firstDay(o.launched_on) >= '2021-01-01')
      .map((o) => o.id)
      .sort();
    expect(data.launched.edges.map((e: { node: { id: string } }) => e.node.id).sort()).toEqual(launched);
    for (const s of SUBGRAPHS) {
      const stated = listings.filter(
        (l) => domainOf.get(l.offering_id!) === s.domain && agencyCodes.has(l.agency_code!) && l.as_of && firstDay(l.as_of) <= '2014-12-31',
      );
      expect([s.name, data[s.fieldName].stats.customerLinkCount]).toEqual([s.name, stated.length]);
      const returned = data.statedListings.edges.flatMap((e: any) => e.node[s.fieldName].offerings.map((o: { id: string }) => `${o.id}/${e.node.code}`)).sort();
      expect(returned).toEqual(stated.map((l) => `${l.offering_id}/${l.agency_code}`).sort());
    }
  });

  test('FIBF coverage of each marketplace tells a gap from offerings not mapped to FIBF', async () => {
    const data = await ask('fibf-coverage-by-marketplace.graphql');
    const statuses = new Set<string>();
    for (const s of SUBGRAPHS) {
      const own = offerings.filter((o) => o.domain === s.domain);
      const unmapped = own.filter((o) => list(o.fibf_activities).length === 0).length;
      const stats = data[s.fieldName].stats;
      expect([s.name, stats.offeringCount, stats.unmappedOfferingCount]).toEqual([s.name, own.length, unmapped]);
      for (const c of stats.capabilityCoverage) {
        const serving = own.filter((o) => list(o.fibf_activities).some((a) => a === c.code || a.startsWith(`${c.code}.`))).length;
        expect([c.code, c.offeringCount]).toEqual([c.code, serving]);
        expect([c.code, c.status]).toEqual([c.code, serving > 0 ? 'SERVED' : unmapped > 0 ? 'NOT_MAPPED' : 'GAP']);
        statuses.add(c.status);
      }
    }
    // The catalog as it stands: the marketplaces whose offerings no source maps say so instead of reporting gaps.
    expect(statuses.has('NOT_MAPPED')).toBe(true);
  });
});

describe('Query.offerings follows the marketplaces', () => {
  const id = 'cyb-directory-freshness-probe';
  const FIND = `query($search: String) { offerings(filter: { search: $search }) { totalCount edges { node { id name customerCount } } } }`;
  const CREATE = `mutation($input: CreateCybersecurityOfferingInput!) { createCybersecurityOffering(input: $input) { offering { id } userErrors { message } } }`;

  /** Polls the cross-QSMO list until it shows `expected`, and returns how long that took. */
  async function within5s(expected: string[]): Promise<number> {
    const started = Date.now();
    for (;;) {
      const r = await editing.gql(FIND, { search: 'Directory freshness probe' }, analyst);
      expect([r.status, r.body.errors, r.body.data === null ? JSON.stringify(r.body) : 'data']).toEqual([200, undefined, 'data']);
      const ids = r.body.data.offerings.edges.map((e: { node: { id: string } }) => e.node.id);
      if (JSON.stringify(ids) === JSON.stringify(expected)) return Date.now() - started;
      if (Date.now() - started > 5_000) throw new Error(`after 5 s the directory still lists ${JSON.stringify(ids)}, expected ${JSON.stringify(expected)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  test('exact within 5 s of a write through the gateway and of a seed, with the directory restarted in between', async () => {
    expect(await within5s([])).toBeLessThan(5_000);
    const created = await editing.gql(
      CREATE,
      {
        input: {
          id,
          name: 'Directory freshness probe',
          shelf: 'COMMERCIAL',
          providerId: 'dhs-cisa',
          provenance: { sources: [{ title: 'CISA', url: 'https://www.cisa.gov/' }], verification: 'UNVERIFIED' },
        },
      },
      editor,
    );
    expect(created.body.data.createCybersecurityOffering.userErrors).toEqual([]);
    const afterWrite = await within5s([id]);

    // A restart rebuilds the projection from the marketplaces: the write is still there at once.
    await editing.graph.directory.restart();
    const afterRestart = await within5s([id]);

    // A seed that resets the team's edits takes the offering away; the directory follows it.
    const cyber = editing.graph.subgraphs.cybersecurity!;
    await seedSubgraph(cyber.database.db, readSubgraphCatalog('CYBERSECURITY'), 'always', createLogger('seed', 'silent'), { onEdits: 'reset' });
    const afterSeed = await within5s([]);
    process.stdout.write(`directory freshness: ${afterWrite} ms after the write, ${afterRestart} ms after the restart, ${afterSeed} ms after the seed\n`);
  }, 60_000);
});
