/**
 * Dated customer listings in the graph, checked against the catalog's CSV
 * text. The files are read here with plain regular expressions, not the
 * catalog reader, so the counts the graph reports are compared with what the
 * files say rather than with the same code that loaded them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_CATALOG_PATHS } from '@qsmo/catalog';
import type { DomainDefinition } from '@qsmo/subgraph-kit/domain/definition';
import type { SubgraphServer, SubgraphServerDeps } from '@qsmo/subgraph-kit/subgraph/server';
import { codes, execute } from './support/graphql';
import { openSeededDatabase, type TestDatabase } from './support/db';
import { DOMAINS } from './support/graph';

const text = (file: string): string => fs.readFileSync(path.join(DEFAULT_CATALOG_PATHS.catalogDir, file), 'utf8');

// offering_id, agency_code and as_of are never quoted in the file; the header does not match.
const csvListings = [...text('offering_customers.csv').matchAll(/^([a-z0-9-]+),(\d{3}),([^,"\n]*),/gm)].map((m) => ({
  offeringId: m[1]!,
  agencyCode: m[2]!,
  asOf: m[3]!,
}));
const domainOf = new Map(
  [...text('offerings.csv').matchAll(/^([a-z0-9-]+),(FINANCIAL_MANAGEMENT|HUMAN_RESOURCES|GRANTS_MANAGEMENT|CYBERSECURITY|ACQUISITION),/gm)].map((m) => [
    m[1]!,
    m[2]!,
  ]),
);

/** First day an as_of value covers, from its text alone: a federal fiscal year starts 1 October of the year before. */
function firstDay(asOf: string): string | null {
  if (asOf === '') return null;
  const fy = /^FY(\d{4})$/.exec(asOf);
  if (fy) return `${Number(fy[1]) - 1}-10-01`;
  if (/^\d{4}$/.test(asOf)) return `${asOf}-01-01`;
  if (/^\d{4}-\d{2}$/.test(asOf)) return `${asOf}-01`;
  if (/^\d{4}-\d{2}-\d{2}$/.test(asOf)) return asOf;
  throw new Error(`unexpected as_of ${asOf}`);
}

const SINCE = [undefined, '2001-01-01', '2005-04-09', '2008-03-11', '2014-01-01', '2015-10-21', '2021-01-01', '2022-10-01', '2023-01-01', '2030-01-01'];

const SUBGRAPHS: [DomainDefinition, (deps: Omit<SubgraphServerDeps, 'definition'>) => SubgraphServer][] = DOMAINS.map((d) => [d.definition, d.createServer]);

test('the CSV text itself has the listings the issue describes', () => {
  expect(csvListings).toHaveLength(146);
  expect(csvListings.filter((l) => domainOf.get(l.offeringId) === 'FINANCIAL_MANAGEMENT')).toHaveLength(30);
  expect(csvListings.filter((l) => domainOf.get(l.offeringId) === 'ACQUISITION')).toHaveLength(8);
  // Undated: the Grants marketplace pages and NFC's own customer list (NOTES.md, update of 2026-12-04).
  expect(
    csvListings
      .filter((l) => l.asOf === '')
      .every((l) => domainOf.get(l.offeringId) === 'GRANTS_MANAGEMENT' || l.offeringId === 'hr-usda-nfc-payroll-personnel'),
  ).toBe(true);
});

describe.each(SUBGRAPHS.map(([d, create]) => [d.domain, d, create] as const))('%s', (_domain, definition, createServer) => {
  const f = definition.fieldName;
  const listings = csvListings.filter((l) => domainOf.get(l.offeringId) === definition.domain);
  let t: TestDatabase;
  let server: SubgraphServer;
  const run = (query: string, variables?: Record<string, unknown>) => execute(server.apollo, { query, variables }, server.context());

  beforeAll(async () => {
    t = await openSeededDatabase(definition);
    server = createServer({ db: t.db });
    await server.apollo.start();
  });
  afterAll(async () => {
    await server.apollo.stop();
    await t.drop();
  });

  test.each(SINCE)('stats since %s count what the CSV lists since then', async (since) => {
    const r = await run(`query($since: String) { ${f} { stats { customerLinkCount(since: $since) customerCount(since: $since) } } }`, { since });
    expect(r.errors).toBeUndefined();
    const expected = since === undefined ? listings : listings.filter((l) => (firstDay(l.asOf) ?? '') >= since && firstDay(l.asOf) !== null);
    expect(r.data[f].stats).toEqual({ customerLinkCount: expected.length, customerCount: new Set(expected.map((l) => l.agencyCode)).size });
  });

  test('every stated date of the CSV is in the graph as often as in the file, typed and newest first', async () => {
    // One page of 40 holds every marketplace's offerings and stays within the subgraph's cost limit.
    const r = await run(
      `{ ${f} { offerings(first: 40) { totalCount edges { node { id customerLinks { agency { code } asOf statedOn { value precision from to } } } } } } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data[f].offerings.edges).toHaveLength(r.data[f].offerings.totalCount);
    const graphCounts = new Map<string, number>();
    for (const { node } of r.data[f].offerings.edges) {
      const froms = node.customerLinks.map((l: any) => l.statedOn?.from ?? '');
      // Newest first, undated last.
      expect(froms).toEqual([...froms].sort().reverse());
      for (const l of node.customerLinks) {
        expect(l.statedOn?.value ?? '').toBe(l.asOf ?? '');
        if (l.statedOn) expect(l.statedOn.from).toBe(firstDay(l.statedOn.value));
        const key = `${node.id}|${l.statedOn?.value ?? ''}`;
        graphCounts.set(key, (graphCounts.get(key) ?? 0) + 1);
      }
    }
    const fileCounts = new Map<string, number>();
    for (const l of listings) fileCounts.set(`${l.offeringId}|${l.asOf}`, (fileCounts.get(`${l.offeringId}|${l.asOf}`) ?? 0) + 1);
    expect(Object.fromEntries(graphCounts)).toEqual(Object.fromEntries(fileCounts));
  });

  test("customerLinks(since:) keeps only the offering's listings stated since the day", async () => {
    const offeringId = listings.find((l) => l.asOf !== '')?.offeringId;
    if (!offeringId) return;
    const since = '2005-01-01';
    const r = await run(
      `query($id: ID!, $since: String) { ${f} { offering(id: $id) { customerLinks(since: $since) { agency { code } statedOn { from } } } } }`,
      { id: offeringId, since },
    );
    expect(r.errors).toBeUndefined();
    const expected = listings.filter((l) => l.offeringId === offeringId && (firstDay(l.asOf) ?? '') >= since && l.asOf !== '').map((l) => l.agencyCode);
    expect(r.data[f].offering.customerLinks.map((l: any) => l.agency.code).sort()).toEqual(expected.sort());
  });

  test.each(['2021', '2021-13-01', '2021-02-30', 'yesterday', ''])('since "%s" is BAD_USER_INPUT naming the expected form', async (since) => {
    for (const query of [
      `query($since: String) { ${f} { stats { customerLinkCount(since: $since) } } }`,
      `query($since: String) { ${f} { stats { customerCount(since: $since) } } }`,
      `query($since: String) { agency(code: "024") { ${f} { offerings(since: $since) { id } } } }`,
      `query($since: String) { agency(code: "024") { ${f} { offeringCount(since: $since) } } }`,
      `query($since: String) { ${f} { offerings(first: 1) { edges { node { customerLinks(since: $since) { asOf } } } } } }`,
    ]) {
      const r = await run(query, { since });
      expect(codes(r)).toEqual(['BAD_USER_INPUT']);
      expect(r.errors?.[0]?.message).toMatch(/YYYY-MM-DD/);
    }
  });

  test("an agency's portfolio since a day counts and lists the offerings whose listing of it is that recent", async () => {
    for (const code of [...new Set(listings.map((l) => l.agencyCode))]) {
      for (const since of ['2005-01-01', '2021-01-01']) {
        const r = await run(
          `query($code: ID!, $since: String) { agency(code: $code) { ${f} { offerings(since: $since) { id } offeringCount(since: $since) all: offeringCount } } }`,
          { code, since },
        );
        expect(r.errors).toBeUndefined();
        const expected = listings.filter((l) => l.agencyCode === code && l.asOf !== '' && firstDay(l.asOf)! >= since).map((l) => l.offeringId);
        const got = r.data.agency[f];
        expect(got.offerings.map((o: any) => o.id).sort()).toEqual(expected.sort());
        expect(got.offeringCount).toBe(expected.length);
        expect(got.all).toBe(listings.filter((l) => l.agencyCode === code).length);
      }
    }
  });
});

describe('Financial Management listings', () => {
  const [fm, fmServer] = SUBGRAPHS.find(([d]) => d.domain === 'FINANCIAL_MANAGEMENT')!;
  let t: TestDatabase;
  let server: SubgraphServer;
  const run = (query: string) => execute(server.apollo, { query }, server.context());
  beforeAll(async () => {
    t = await openSeededDatabase(fm);
    server = fmServer({ db: t.db });
    await server.apollo.start();
  });
  afterAll(async () => {
    await server.apollo.stop();
    await t.drop();
  });

  test("OPM (024) shows its listing at DOT's Enterprise Services Center, stated in 2021, with its source", async () => {
    const r = await run(`{ agency(code: "024") { financialManagement {
      offerings { id provider { id } customerLink(agencyCode: "024") { customerAsStated asOf statedOn { value precision from to } verification caveat sources { title url } } }
      recent: offeringCount(since: "2021-01-01")
    } } }`);
    expect(r.errors).toBeUndefined();
    const fmPart = r.data.agency.financialManagement;
    expect(fmPart.offerings.map((o: any) => o.id)).toEqual(['fm-dot-esc-core-fm']);
    expect(fmPart.recent).toBe(1);
    const link = fmPart.offerings[0].customerLink;
    expect(link.statedOn).toEqual({ value: '2021-05-12', precision: 'DAY', from: '2021-05-12', to: '2021-05-12' });
    expect(link.asOf).toBe('2021-05-12');
    expect(link.customerAsStated).toBe('Office of Personnel Management (OPM)');
    expect(link.sources.map((s: any) => s.url)).toContain(
      'https://www.transportation.gov/briefing-room/us-department-transportation-modernizes-office-personnel-managements-financial',
    );
    expect(link.sources[0].title).toMatch(/Department of Transportation modernizes the Office of Personnel Management/);
    // The DOT press release is graded H (primary official source naming the relation).
    expect(link.verification).toBe('CONFIRMED');
    expect(link.caveat).toBeNull();
  });

  test('the caveats the notes give are on the listings: ARC/HUD, the planned ARC start, the reading steps, IBC/NRC now historical', async () => {
    const r = await run(`{ financialManagement {
      arc: offering(id: "fm-treasury-arc-core-fm") { customerLinks { agency { code } statedOn { value } caveat verification } }
      ibc: offering(id: "fm-doi-ibc-core-fm") { nrc: customerLink(agencyCode: "031") { caveat verification } none: customerLink(agencyCode: "075") { caveat }
        dnfsb: customerLink(agencyCode: "347") { asOf caveat sources { url } } }
    } }`);
    expect(r.errors).toBeUndefined();
    const arc = new Map(r.data.financialManagement.arc.customerLinks.map((l: any) => [l.agency.code, l]));
    // Newest stated first: NRC-32 (2024-07-19), the FY2024 and FY2023 payment-accuracy answers, then HUD (2015) and EOP (2005).
    expect(r.data.financialManagement.arc.customerLinks.map((l: any) => l.agency.code)).toEqual([
      '031',
      '020',
      '061',
      '088',
      '434',
      '471',
      '535',
      '065',
      '525',
      '432',
      '086',
      '011',
    ]);
    // Re-dated by the 2026-12-04 update: NARA's 2005 listing now shows FY2024, with the reading step it rests on.
    expect(arc.get('088')).toMatchObject({
      statedOn: { value: 'FY2024' },
      caveat: expect.stringMatching(/^Reading step \(medium confidence\): NARA names the Bureau of the Fiscal Service/),
    });
    // Corrected: DNFSB at IBC is FY2025 (an inference the caveat states), citing the OMB payment-accuracy data.
    expect(r.data.financialManagement.ibc.dnfsb).toMatchObject({ asOf: 'FY2025', caveat: expect.stringMatching(/FY2025 is an inference/) });
    expect(r.data.financialManagement.ibc.dnfsb.sources.map((s: any) => s.url)).toEqual(
      expect.arrayContaining([expect.stringMatching(/EOP-OMB\/payment-accuracy/)]),
    );
    expect(r.data.financialManagement.ibc.nrc.caveat).toMatch(/Historical: NRC has used Treasury ARC .* since March 2018/);
    expect((arc.get('086') as any).caveat).toMatch(/HUD cancelled a further move to ARC in April 2016/);
    expect((arc.get('086') as any).verification).toBe('CONFIRMED');
    expect((arc.get('011') as any).caveat).toMatch(/planned for 1 Oct 2005/);
    // FCW is graded M: neither CONFIRMED nor UNVERIFIED follows from it.
    expect((arc.get('011') as any).verification).toBeNull();
    expect(r.data.financialManagement.ibc.nrc.caveat).toMatch(/read here as IBC/);
    expect(r.data.financialManagement.ibc.none).toBeNull();
  });

  test('customerLink names a malformed agency code as BAD_USER_INPUT', async () => {
    const r = await run('{ financialManagement { offering(id: "fm-dot-esc-core-fm") { customerLink(agencyCode: "24") { asOf } } } }');
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
  });
});
