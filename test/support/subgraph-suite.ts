import { readSubgraphCatalog } from '@qsmo/subgraph-kit/domain/catalog';
import { SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { type DomainDefinition } from '@qsmo/subgraph-kit/domain/definition';
import { type SubgraphServer, type SubgraphServerDeps } from '@qsmo/subgraph-kit/subgraph/server';
import { codes, execute } from './graphql';
import { openSeededDatabase, type TestDatabase } from './db';

/** Facts of one domain's real catalog that its subgraph tests check. */
export interface DomainExamples {
  offeringId: string;
  offeringName: string;
  providerId: string;
  /** An agency listed as a customer of offeringId, when the domain's catalog lists customers. */
  customerCode?: string;
  /** A function some offering is mapped to, when the domain's catalog maps offerings to FIBF. */
  mappedFunctionCode?: string;
  functionCode: string;
  activityCode: string;
  capabilityCode: string;
}

/**
 * The in-process test layer every subgraph runs against its own seeded
 * database: root fields, pagination and filters, validation errors, and
 * `_entities` resolution of every entity the subgraph serves.
 */
export function describeSubgraph(
  definition: DomainDefinition,
  createServer: (deps: Omit<SubgraphServerDeps, 'definition'>) => SubgraphServer,
  ex: DomainExamples,
): void {
  /** The offerings of this marketplace the catalog files list `code` as a customer of, by id. */
  const offeringsOfCustomer = (code: string) =>
    [
      ...new Set(
        readSubgraphCatalog(definition.domain)
          .customerLinks.filter((l) => l.agencyCode === code)
          .map((l) => l.offeringId),
      ),
    ].sort();
  const f = definition.fieldName;
  const P = definition.typePrefix;
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

  test('the namespace answers with its QSMO and lead agency', async () => {
    const r = await run(`{ ${f} { qsmo { domain shortName leadAgency { code name } } } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data[f].qsmo.domain).toBe(definition.domain);
    expect(r.data[f].qsmo.leadAgency.code).toMatch(/^\d{3}$/);
  });

  test('offerings page in name order with a stable cursor and a total', async () => {
    const all = await run(`{ ${f} { offerings(first: 100) { totalCount edges { node { id name } } } } }`);
    expect(all.errors).toBeUndefined();
    const names: string[] = all.data[f].offerings.edges.map((e: any) => e.node.name);
    expect(names.length).toBe(all.data[f].offerings.totalCount);
    // Name order ignores case: "eRA" sits among the E's.
    expect(names).toEqual([...names].sort((a: string, b: string) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0)));
    const first = await run(`{ ${f} { offerings(first: 2) { pageInfo { hasNextPage endCursor } edges { node { id } } } } }`);
    const page = first.data[f].offerings;
    expect(page.edges).toHaveLength(2);
    expect(page.pageInfo.hasNextPage).toBe(names.length > 2);
    const next = await run(`query($after: String) { ${f} { offerings(first: 100, after: $after) { edges { node { id } } } } }`, {
      after: page.pageInfo.endCursor,
    });
    const ids = [...page.edges, ...next.data[f].offerings.edges].map((e: any) => e.node.id);
    expect(ids).toEqual(all.data[f].offerings.edges.map((e: any) => e.node.id));
  });

  test('first above 100 and a foreign cursor are BAD_USER_INPUT errors that say what to change', async () => {
    const r = await run(`{ ${f} { offerings(first: 101) { totalCount } } }`);
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors?.[0]?.message).toMatch(/at most 100/);
    const c = await run(`{ ${f} { offerings(after: "not-a-cursor") { totalCount } } }`);
    expect(codes(c)).toEqual(['BAD_USER_INPUT']);
  });

  test('filters: provider, customer, capability prefix, search (matched literally)', async () => {
    const q = `query($filter: OfferingFilter) { ${f} { offerings(filter: $filter, first: 100) { totalCount edges { node { id provider { id } partners { id } customers { code } capabilities { code } } } } } }`;
    const byProvider = await run(q, { filter: { providerId: ex.providerId } });
    expect(byProvider.data[f].offerings.edges.length).toBeGreaterThan(0);
    for (const e of byProvider.data[f].offerings.edges) {
      expect([e.node.provider.id, ...e.node.partners.map((p: any) => p.id)]).toContain(ex.providerId);
    }
    const customerCode = ex.customerCode ?? '020';
    const byCustomer = await run(q, { filter: { customerCode } });
    const customerIds = byCustomer.data[f].offerings.edges.map((e: any) => e.node.id);
    // Exactly the offerings the catalog files list the agency as a customer of.
    expect([...customerIds].sort()).toEqual(offeringsOfCustomer(customerCode));
    if (ex.customerCode) expect(customerIds).toContain(ex.offeringId);
    for (const e of byCustomer.data[f].offerings.edges) expect(e.node.customers.map((c: any) => c.code)).toContain(customerCode);
    const fn = ex.mappedFunctionCode ?? ex.functionCode;
    const byFunction = await run(q, { filter: { capabilityCode: fn } });
    expect(byFunction.data[f].offerings.edges.length > 0).toBe(ex.mappedFunctionCode !== undefined);
    for (const e of byFunction.data[f].offerings.edges) {
      expect(e.node.capabilities.some((c: any) => c.code.startsWith(`${fn}.`) || c.code === fn)).toBe(true);
    }
    const search = await run(q, { filter: { search: ex.offeringName.slice(0, 6).toUpperCase() } });
    expect(search.data[f].offerings.edges.map((e: any) => e.node.id)).toContain(ex.offeringId);
    const regex = await run(q, { filter: { search: '.*' } });
    expect(regex.data[f].offerings.totalCount).toBe(0);
    const bad = await run(q, { filter: { customerCode: '75' } });
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
  });

  test('lookups: known ids resolve, unknown ids are null, malformed ids are BAD_USER_INPUT', async () => {
    const r = await run(
      `{ ${f} { offering(id: "${ex.offeringId}") { id name domain verification sources { title url } } missing: offering(id: "no-such-offering") { id } capability(code: "${ex.activityCode}") { code level parent { code level } } } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data[f].offering).toMatchObject({ id: ex.offeringId, name: ex.offeringName, domain: definition.domain });
    expect(r.data[f].offering.sources.length).toBeGreaterThan(0);
    expect(r.data[f].missing).toBeNull();
    expect(r.data[f].capability).toMatchObject({ code: ex.activityCode, level: 'ACTIVITY', parent: { code: ex.functionCode, level: 'FUNCTION' } });
    const bad = await run(`{ ${f} { offering(id: "Not An Id") { id } } }`);
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
  });

  test('the FIBF tree: function -> activities -> business capabilities', async () => {
    const r = await run(
      `{ ${f} { capability(code: "${ex.functionCode}") { level children { code level parent { code } } } cap: capability(code: "${ex.capabilityCode}") { level parent { code } } capabilities(level: FUNCTION, first: 100) { totalCount edges { node { code } } } } }`,
    );
    expect(r.errors).toBeUndefined();
    const fn = r.data[f].capability;
    expect(fn.level).toBe('FUNCTION');
    expect(fn.children.map((c: any) => c.code)).toContain(ex.activityCode);
    for (const c of fn.children) expect(c).toMatchObject({ level: 'ACTIVITY', parent: { code: ex.functionCode } });
    expect(r.data[f].cap).toMatchObject({ level: 'CAPABILITY', parent: { code: ex.activityCode } });
    expect(r.data[f].capabilities.edges.map((e: any) => e.node.code)).toContain(ex.functionCode);
  });

  test('_entities resolves every entity the subgraph serves, null for unknown keys', async () => {
    const r = await run(
      `query($reps: [_Any!]!) { _entities(representations: $reps) {
        __typename
        ... on Agency { code name ${f} { offerings { id } } }
        ... on Provider { id name ${f} { offerings { id } } }
        ... on Qsmo { domain shortName }
        ... on ${P}Offering { id name }
        ... on ${P}Capability { code level }
      } }`,
      {
        reps: [
          { __typename: 'Agency', code: ex.customerCode ?? '020' },
          { __typename: 'Provider', id: ex.providerId },
          { __typename: 'Qsmo', domain: definition.domain },
          { __typename: `${P}Offering`, id: ex.offeringId },
          { __typename: `${P}Capability`, code: ex.activityCode },
          { __typename: 'Agency', code: '999' },
        ],
      },
    );
    expect(r.errors).toBeUndefined();
    const [agency, provider, qsmo, offering, capability, missing] = r.data._entities;
    expect(agency.code).toBe(ex.customerCode ?? '020');
    expect(agency[f].offerings.map((o: any) => o.id).sort()).toEqual(offeringsOfCustomer(ex.customerCode ?? '020'));
    if (ex.customerCode) expect(agency[f].offerings.map((o: any) => o.id)).toContain(ex.offeringId);
    expect(provider.id).toBe(ex.providerId);
    expect(provider[f].offerings.length).toBeGreaterThan(0);
    expect(qsmo.domain).toBe(definition.domain);
    expect(offering).toMatchObject({ __typename: `${P}Offering`, id: ex.offeringId, name: ex.offeringName });
    expect(capability).toMatchObject({ code: ex.activityCode, level: 'ACTIVITY' });
    expect(missing).toBeNull();
  });

  test("reference roots: agencies and providers by key, the QSMOs (the agency and provider lists are the directory's)", async () => {
    const r = await run(`{ agency(code: "${ex.customerCode ?? '020'}") { code cfoAct } provider(id: "${ex.providerId}") { id domains } qsmos { domain } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data.agency.code).toBe(ex.customerCode ?? '020');
    expect(r.data.provider.domains).toContain(definition.domain);
    expect(r.data.qsmos).toHaveLength(SUBGRAPHS.length);
  });

  test('stats agree with counts computed independently from the catalog files', async () => {
    const catalog = readSubgraphCatalog(definition.domain);
    const count = <T>(items: T[], key: (t: T) => string) => items.reduce<Record<string, number>>((m, t) => ({ ...m, [key(t)]: (m[key(t)] ?? 0) + 1 }), {});
    const r = await run(
      `{ ${f} { stats { offeringCount customerCount customerLinkCount providerCount byShelf { shelf count } byVerification { verification count } capabilityCoverage { code name offeringCount } } } agency(code: "${ex.customerCode ?? '020'}") { ${f} { offeringCount offerings { id } } } provider(id: "${ex.providerId}") { ${f} { offeringCount offerings { id } } } }`,
    );
    expect(r.errors).toBeUndefined();
    const stats = r.data[f].stats;
    expect(stats.offeringCount).toBe(catalog.offerings.length);
    expect(stats.customerLinkCount).toBe(catalog.customerLinks.length);
    expect(stats.customerCount).toBe(new Set(catalog.customerLinks.map((l) => l.agencyCode)).size);
    expect(stats.providerCount).toBe(new Set(catalog.offerings.flatMap((o) => [o.providerId, ...o.partnerIds])).size);
    expect(Object.fromEntries(stats.byShelf.map((s: any) => [s.shelf, s.count]))).toEqual(count(catalog.offerings, (o) => o.shelf));
    expect(Object.fromEntries(stats.byVerification.map((s: any) => [s.verification, s.count]))).toEqual(count(catalog.offerings, (o) => o.verification));
    const functions = catalog.capabilities
      .filter((c) => c.level === 'FUNCTION')
      .map((c) => c._id)
      .sort();
    expect(stats.capabilityCoverage.map((c: any) => c.code)).toEqual(functions);
    for (const c of stats.capabilityCoverage) {
      const expected = catalog.offerings.filter((o) => o.capabilityCodes.some((code) => code === c.code || code.startsWith(`${c.code}.`))).length;
      expect(c.offeringCount).toBe(expected);
    }
    expect(r.data.agency[f].offeringCount).toBe(r.data.agency[f].offerings.length);
    expect(r.data.provider[f].offeringCount).toBe(r.data.provider[f].offerings.length);
  });
}
