import { codes, post } from './support/graphql';
import { createLogger } from '@qsmo/service-kit/logger';
import { testPort } from './support/ports';
import { composeSupergraph, localSubgraphSources } from '../gateway/src/compose';
import { createGatewayServer } from '../gateway/src/server';
import { SUBGRAPHS } from '../gateway/src/subgraphs';
import { mongoCommandCount, startGraph, type RunningGraph } from './support/graph';
import { readAgencies } from '@qsmo/catalog';
import { DIRECTORY } from '@qsmo/service-kit/subgraphs';

/** Agencies in the reference catalog, counted from its file. */
const AGENCY_COUNT = readAgencies().length;

/**
 * End to end over HTTP: the contract's examples through the gateway on the
 * real catalog, batching proven from the subgraphs' /metrics, and partial
 * answers when a subgraph goes down.
 */
let graph: RunningGraph;
// The batching tests below send deliberately wide pages (100 agencies, every offering's customers and capabilities: an
// estimated cost of about 72,000); demand control, tested on its own, would refuse them under the default budgets.
const WIDE_BUDGETS = { anonymous: 1_000_000, analyst: 1_000_000, editor: 1_000_000 };
beforeEach(async () => {
  graph = await startGraph({ costBudgets: WIDE_BUDGETS });
});
afterEach(async () => {
  await graph.stop();
});

const names = (list: { name: string }[]) => list.map((o) => o.name);

test('HHS (075) shows its grants offerings with their providers, read from the database', async () => {
  const r = await post(
    graph.gatewayUrl,
    `{ agency(code: "075") { name abbreviation cfoAct grantsManagement { offerings { id name provider { id name } } } } }`,
  );
  expect(r.status).toBe(200);
  expect(r.errors).toBeUndefined();
  expect(r.data.agency.name).toBe('Department of Health and Human Services');
  const offerings = r.data.agency.grantsManagement.offerings;
  expect(names(offerings)).toEqual(expect.arrayContaining(['GrantSolutions', 'eRA', 'Payment Management System (PMS)']));
  expect(offerings.find((o: any) => o.id === 'grm-era').provider.id).toBe('hhs-nih');
  expect(names(offerings)).toEqual(
    [...names(offerings)].sort((a: string, b: string) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0)),
  );
});

test('one query reads from all four subgraphs', async () => {
  const r = await post(
    graph.gatewayUrl,
    `{
    agency(code: "070") {
      code
      financialManagement { offerings { id } }
      humanResources { offerings { id } }
      grantsManagement { offerings { id } }
      cybersecurity { offerings { id name } }
    }
    financialManagement { qsmo { name } }
    humanResources { qsmo { leadAgency { abbreviation } } }
    grantsManagement { offerings(first: 1) { totalCount } }
    cybersecurity { offerings(first: 1) { totalCount } }
  }`,
  );
  expect(r.errors).toBeUndefined();
  expect(r.data.agency.cybersecurity.offerings.map((o: any) => o.id)).toContain('cyb-mobile-app-vetting');
  expect(r.data.agency.grantsManagement.offerings.map((o: any) => o.id)).toEqual(expect.arrayContaining(['grm-grantsolutions', 'grm-pms', 'grm-asap']));
  expect(r.data.financialManagement.qsmo.name).toBe('Financial Management Quality Service Management Office');
  expect(r.data.humanResources.qsmo.leadAgency.abbreviation).toBe('OPM');
  expect(r.data.grantsManagement.offerings.totalCount).toBe(15);
  expect(r.data.cybersecurity.offerings.totalCount).toBe(7);
});

test('a provider across marketplaces: doi-ibc in every marketplace it serves', async () => {
  const r = await post(
    graph.gatewayUrl,
    `{ provider(id: "doi-ibc") { name sector domains parentAgency { code }
    financialManagement { offerings { id } } humanResources { offerings { id } }
    grantsManagement { offerings { id } } cybersecurity { offerings { id } } acquisition { offerings { id } } } }`,
  );
  expect(r.errors).toBeUndefined();
  const p = r.data.provider;
  expect(p).toMatchObject({ name: 'Interior Business Center', sector: 'FEDERAL', parentAgency: { code: '014' } });
  expect(p.financialManagement.offerings.map((o: any) => o.id)).toEqual(['fm-doi-ibc-core-fm']);
  expect(p.humanResources.offerings.map((o: any) => o.id)).toEqual(['hr-doi-ibc-payroll-personnel']);
  expect(p.grantsManagement.offerings.map((o: any) => o.id)).toEqual(['grm-ibc-indirect-cost-negotiation']);
  expect(p.cybersecurity.offerings).toEqual([]);
  expect(p.acquisition.offerings.map((o: any) => o.id)).toEqual(['acq-doi-ibc-acquisition-services']);
  expect(p.domains).toEqual(expect.arrayContaining(['FINANCIAL_MANAGEMENT', 'HUMAN_RESOURCES', 'GRANTS_MANAGEMENT', 'ACQUISITION']));
});

test('the Acquisition QSMO: GSA leads it, pre-designated, with its services, contact and FIBF ACQ standard; its thin catalog reads as such', async () => {
  const r = await post(
    graph.gatewayUrl,
    `{
    agency(code: "047") { abbreviation ledQsmos { domain shortName designation { phase } } acquisition { offerings { id } } }
    qsmo(domain: ACQUISITION) { shortName leadAgency { code } scope contactEmail website designatedOn marketplaceName
      designation { phase since note sources { title url } } }
    acquisition {
      capability(code: "ACQ.020") { name level children { code } }
      offerings(first: 10) { totalCount edges { node { id verification capabilities { code } provider { id } } } }
      stats { customerLinkCount }
    }
  }`,
  );
  expect(r.errors).toBeUndefined();
  expect(r.data.agency).toMatchObject({
    abbreviation: 'GSA',
    ledQsmos: [{ domain: 'ACQUISITION', shortName: 'Acquisition QSMO', designation: { phase: 'PRE_DESIGNATED' } }],
  });
  expect(r.data.agency.acquisition.offerings).toEqual([]);
  const q = r.data.qsmo;
  expect(q).toMatchObject({
    leadAgency: { code: '047' },
    scope: ['Acquisition Systems', 'Assisted Acquisition'],
    contactEmail: 'AcquisitionQSMO@gsa.gov',
    designatedOn: null,
    marketplaceName: null,
  });
  expect(q.designation).toMatchObject({ phase: 'PRE_DESIGNATED', since: '2026-04-29' });
  expect(q.designation.sources.map((s: any) => s.url)).toEqual(expect.arrayContaining([expect.stringMatching(/_qsmos\/3-acquisition\.md$/)]));
  const fn = r.data.acquisition.capability;
  expect(fn).toMatchObject({ name: 'Acquisition Planning', level: 'FUNCTION' });
  expect(fn.children.map((c: any) => c.code)).toEqual([
    'ACQ.020.010',
    'ACQ.020.020',
    'ACQ.020.030',
    'ACQ.020.040',
    'ACQ.020.050',
    'ACQ.020.060',
    'ACQ.020.070',
    'ACQ.020.080',
  ]);
  // No public source lists the QSMO's catalog: every offering is UNVERIFIED and none is mapped to FIBF.
  const offerings = r.data.acquisition.offerings;
  expect(offerings.totalCount).toBe(5);
  for (const { node } of offerings.edges) expect(node).toMatchObject({ verification: 'UNVERIFIED', capabilities: [] });
  expect(r.data.acquisition.stats.customerLinkCount).toBe(8);
});

test('FIBF: GRM.030 with its activities and the offerings serving them', async () => {
  const r = await post(graph.gatewayUrl, `{ grantsManagement { capability(code: "GRM.030") { code name level children { code name } offerings { name } } } }`);
  expect(r.errors).toBeUndefined();
  const c = r.data.grantsManagement.capability;
  expect(c).toMatchObject({ code: 'GRM.030', level: 'FUNCTION' });
  expect(c.children.map((x: any) => x.code)).toEqual(['GRM.030.010', 'GRM.030.020']);
  expect(names(c.offerings)).toEqual(expect.arrayContaining(['GrantSolutions', 'eRA', 'Automated Standard Application for Payments (ASAP)']));
});

test('bad arguments are BAD_USER_INPUT errors with a message that says what to change', async () => {
  const r = await post(graph.gatewayUrl, `{ agencies(first: 500) { totalCount } }`);
  expect(r.status).toBe(200);
  expect(codes(r)).toEqual(['BAD_USER_INPUT']);
  expect(r.errors![0]!.message).toMatch(/at most 100/);
  const bad = await post(graph.gatewayUrl, `{ agency(code: "HHS") { name } }`);
  expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
  const unknownOperation = await fetch(graph.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'query A { qsmos { domain } }', operationName: 'B' }),
  }).then((res) => res.json() as Promise<any>);
  expect(unknownOperation.errors.map((e: any) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
  const missing = await post(graph.gatewayUrl, `{ agency(code: "999") { name } provider(id: "nobody") { name } }`);
  expect(missing.errors).toBeUndefined();
  expect(missing.data).toEqual({ agency: null, provider: null });
});

test('no N+1: 100 agencies cost no more MongoDB commands per subgraph than 5, in all five marketplaces', async () => {
  const query = `query($n: Int) { agencies(first: $n) { edges { node { code
    financialManagement { offerings { provider { name } capabilities { code } } }
    humanResources { offerings { id } }
    grantsManagement { offerings { customers { code } provider { name } capabilities { code } } }
    cybersecurity { offerings { id } }
    acquisition { offerings { customers { code } provider { name } capabilities { code } } } ledQsmos { designation { phase } } } } } }`;
  const cost = async (n: number) => {
    const before = await Promise.all(Object.values(graph.subgraphs).map(mongoCommandCount));
    const r = await post(graph.gatewayUrl, query, { n });
    expect(r.errors).toBeUndefined();
    expect(r.data.agencies.edges).toHaveLength(Math.min(n, AGENCY_COUNT));
    const after = await Promise.all(Object.values(graph.subgraphs).map(mongoCommandCount));
    return after.map((a, i) => a - before[i]!);
  };
  const small = await cost(5);
  const large = await cost(100);
  // Never more for 100 than for 5 (the agency page comes from the directory; with 100 agencies as entities, the
  // agency loader already holds every customer an offering lists, so 100 can even cost one find fewer than 5).
  large.forEach((n, i) => expect(n).toBeLessThanOrEqual(small[i]!));
  // A fixed handful per subgraph (entities, offerings, providers...), not one per agency.
  for (const n of large) expect(n).toBeLessThanOrEqual(8);
});

test('dated portfolios: OPM (024) at DOT ESC as stated in 2021, and `since` filters cost no more commands for 100 agencies than for 5', async () => {
  const opm = await post(
    graph.gatewayUrl,
    `{ agency(code: "024") { abbreviation financialManagement {
    offerings(since: "2021-01-01") { id customerLink(agencyCode: "024") { statedOn { value precision } sources { url } } } } } }`,
  );
  expect(opm.errors).toBeUndefined();
  expect(opm.data.agency.financialManagement.offerings).toEqual([
    {
      id: 'fm-dot-esc-core-fm',
      customerLink: {
        statedOn: { value: '2021-05-12', precision: 'DAY' },
        sources: expect.arrayContaining([{ url: expect.stringMatching(/^https:\/\/www\.transportation\.gov\//) }]),
      },
    },
  ]);

  const query = `query($n: Int) { agencies(first: $n) { edges { node { code
    financialManagement { offeringCount(since: "2010-01-01") offerings(since: "2005-01-01") { customerLinks(since: "2005-01-01") { statedOn { from } agency { code } } } }
    humanResources { offerings { id } }
    grantsManagement { offerings(since: "2022-10-01") { id } }
    cybersecurity { offeringCount(since: "2021-01-01") }
    acquisition { offeringCount(since: "2000-01-01") offerings(since: "1998-01-01") { customerLinks(since: "1998-01-01") { statedOn { from } agency { code } } } } } } } }`;
  const cost = async (n: number) => {
    const before = await Promise.all(Object.values(graph.subgraphs).map(mongoCommandCount));
    const r = await post(graph.gatewayUrl, query, { n });
    expect(r.errors).toBeUndefined();
    const after = await Promise.all(Object.values(graph.subgraphs).map(mongoCommandCount));
    return after.map((a, i) => a - before[i]!);
  };
  const small = await cost(5);
  const large = await cost(100);
  large.forEach((n, i) => expect(n).toBeLessThanOrEqual(small[i]!));
  for (const n of large) expect(n).toBeLessThanOrEqual(8);
});

test('a subgraph going down: partial data and an error naming its area, the others unaffected', async () => {
  await graph.subgraphs['human-resources']!.server.http.stop();
  const r = await post(graph.gatewayUrl, `{ agency(code: "014") { name humanResources { offerings { id } } grantsManagement { offerings { id } } } }`);
  expect(r.status).toBe(200);
  expect(r.data.agency.name).toBe('Department of the Interior');
  expect(r.data.agency.grantsManagement.offerings.length).toBeGreaterThan(0);
  expect(r.data.agency.humanResources).toBeNull();
  expect(codes(r)).toEqual(['SUBGRAPH_UNAVAILABLE']);
  expect(r.errors![0]!.message).toMatch(/Human Resources/);
  expect(r.errors![0]!.extensions).toMatchObject({ serviceName: 'human-resources' });
  expect(JSON.stringify(r.errors)).not.toMatch(/localhost|127\.0\.0\.1|ECONNREFUSED|http:/);
  const other = await post(graph.gatewayUrl, `{ grantsManagement { offerings(first: 3) { totalCount } } agency(code: "075") { name } }`);
  expect(other.errors).toBeUndefined();
  expect(other.data.grantsManagement.offerings.totalCount).toBe(15);
});

test('the subgraph the planner picked for a shared root field goes down: another answers the shared part', async () => {
  await graph.subgraphs['grants-management']!.server.http.stop();
  const r = await post(
    graph.gatewayUrl,
    `{
    agency(code: "014") { name humanResources { offerings { id } } grantsManagement { offerings { id } } }
    agencies(first: 3) { totalCount edges { node { code grantsManagement { offerings { id } } humanResources { offerings { id } } } } }
  }`,
  );
  expect(r.status).toBe(200);
  expect(r.data.agency).toMatchObject({ name: 'Department of the Interior', grantsManagement: null });
  expect(r.data.agency.humanResources.offerings.map((o: any) => o.id)).toContain('hr-opm-usa-staffing');
  expect(r.data.agencies.totalCount).toBe(AGENCY_COUNT);
  expect(r.data.agencies.edges).toHaveLength(3);
  for (const e of r.data.agencies.edges) expect(e.node.grantsManagement).toBeNull();
  expect(new Set(codes(r))).toEqual(new Set(['SUBGRAPH_UNAVAILABLE']));
  for (const e of r.errors!) expect(e.message).toMatch(/Grants Management/);
});

test('the gateway starts while a subgraph is down (no introspection at start-up) and answers what the others can', async () => {
  const deadPort = await testPort();
  const urls: Record<string, string> = Object.fromEntries(Object.values(graph.subgraphs).map((s) => [s.name, s.url]));
  urls['cybersecurity'] = `http://127.0.0.1:${deadPort}/graphql`;
  const { supergraphSdl } = composeSupergraph(
    localSubgraphSources([...SUBGRAPHS.map((s) => ({ name: s.name, area: s.area, url: urls[s.name]! })), { name: DIRECTORY.name, url: graph.directory.url }]),
  );
  const gateway = createGatewayServer({ supergraph: supergraphSdl, logger: createLogger('gateway', 'silent') });
  try {
    const url = await gateway.http.listen(0, '127.0.0.1');
    expect((await fetch(url.replace('/graphql', '/health/ready'))).status).toBe(200);
    const r = await post(url, '{ grantsManagement { offerings(first: 1) { totalCount } } cybersecurity { offerings(first: 1) { totalCount } } }');
    expect(r.data).toEqual({ grantsManagement: { offerings: { totalCount: 15 } }, cybersecurity: null });
    expect(codes(r)).toEqual(['SUBGRAPH_UNAVAILABLE']);
  } finally {
    await gateway.http.stop();
  }
});
