import { Kind, parse, type DefinitionNode } from 'graphql';
import { subgraphNamed } from '@qsmo/service-kit/subgraphs';
import { subgraphSdl } from '@qsmo/subgraph-kit/subgraph/schema';
import { apiSchemaOf, composeSupergraph, CompositionError, localSubgraphSources } from '../gateway/src/compose';
import { SUBGRAPHS } from '../gateway/src/subgraphs';
import { DIRECTORY } from '@qsmo/service-kit/subgraphs';
import { directorySdl } from '@qsmo/directory/schema';

/**
 * The composition layer: the subgraphs compose, the supergraph carries
 * every name of the public contract, and every type and field is described.
 */
const endpoints = [...SUBGRAPHS, DIRECTORY].map((s) => ({ name: s.name, area: s.area, url: `http://localhost:${s.port}/graphql` }));

test('the subgraphs compose without errors or hints', () => {
  const { supergraphSdl, hints } = composeSupergraph(localSubgraphSources(endpoints));
  expect(supergraphSdl).toContain('join__graph');
  // The directory knows an offering by its key alone and hands out references the owning marketplace resolves:
  // its Offering interface has only `id`, by design, and composition notes that for each other field of Offering.
  const byDesign = /^\[INCONSISTENT_INTERFACE_VALUE_TYPE_FIELD\]: Field "Offering\.\w+" .* but not in subgraph "directory"\.$/;
  expect(hints.filter((h) => !byDesign.test(h))).toEqual([]);
});

test('composition errors are reported in full', () => {
  const sources = localSubgraphSources(endpoints);
  // Two subgraphs disagreeing on a shared field's type cannot compose.
  sources[0]!.sdl = sources[0]!.sdl.replace('cfoAct: Boolean!', 'cfoAct: String!');
  expect(() => composeSupergraph(sources)).toThrow(CompositionError);
  try {
    composeSupergraph(sources);
  } catch (error) {
    expect((error as CompositionError).message).toMatch(/Agency\.cfoAct/);
  }
});

const CONTRACT: Record<string, string[]> = {
  Query: [
    'agency',
    'agencies',
    'provider',
    'providers',
    'qsmos',
    'qsmo',
    'financialManagement',
    'humanResources',
    'grantsManagement',
    'cybersecurity',
    'acquisition',
    'offerings',
  ],
  Agency: [
    'code',
    'name',
    'abbreviation',
    'cfoAct',
    'financialManagement',
    'humanResources',
    'grantsManagement',
    'cybersecurity',
    'acquisition',
    'marketplaceCount',
  ],
  Provider: [
    'id',
    'name',
    'abbreviation',
    'sector',
    'parentAgency',
    'website',
    'financialManagement',
    'humanResources',
    'grantsManagement',
    'cybersecurity',
    'acquisition',
    'marketplaceCount',
  ],
  Qsmo: ['domain', 'shortName', 'name', 'leadAgency', 'leadOffice', 'designatedOn', 'marketplaceName', 'scope', 'contactEmail', 'website', 'designation'],
  Designation: ['phase', 'since', 'sources'],
  Offering: [
    'id',
    'name',
    'domain',
    'category',
    'shelf',
    'provider',
    'partners',
    'capabilities',
    'customers',
    'website',
    'launchedOn',
    'verification',
    'sources',
    'customerCount',
  ],
  Capability: ['code', 'name', 'description', 'level', 'domain', 'parent', 'children', 'offerings'],
  Source: ['title', 'url'],
  PageInfo: ['hasNextPage', 'endCursor'],
  OfferingFilter: ['search', 'shelf', 'providerId', 'customerCode', 'capabilityCode', 'verification'],
  AgencyFilter: ['search', 'cfoAct', 'minMarketplaces'],
  ProviderFilter: ['search', 'sector', 'domain', 'minMarketplaces'],
  // Cross-QSMO catalog.
  CatalogOfferingFilter: ['domains', 'search', 'shelf', 'providerId', 'customerCode', 'capabilityCode', 'verification', 'launchedSince', 'launchedUntil'],
  OfferingOrder: ['field', 'direction'],
  OfferingConnection: ['edges', 'pageInfo', 'totalCount'],
  OfferingEdge: ['cursor', 'node'],
  CapabilityCoverage: ['code', 'name', 'offeringCount', 'status', 'unmappedOfferingCount'],
};
const DOMAIN_TYPES = ['FinancialManagement', 'HumanResources', 'GrantsManagement', 'Cybersecurity', 'Acquisition'];

test('the supergraph API keeps every name of the public contract', () => {
  const api = apiSchemaOf(composeSupergraph(localSubgraphSources(endpoints)).supergraphSdl);
  for (const [type, fields] of Object.entries(CONTRACT)) {
    const t = api.getType(type) as { getFields(): Record<string, unknown> } | undefined;
    expect(t).toBeDefined();
    expect(Object.keys(t!.getFields())).toEqual(expect.arrayContaining(fields));
  }
  for (const p of DOMAIN_TYPES) {
    const ns = api.getType(p) as { getFields(): Record<string, unknown> };
    expect(Object.keys(ns.getFields())).toEqual(expect.arrayContaining(['qsmo', 'offering', 'offerings', 'capability', 'capabilities']));
    for (const suffix of ['Offering', 'Capability', 'OfferingConnection', 'OfferingEdge', 'CapabilityConnection'])
      expect(api.getType(`${p}${suffix}`)).toBeDefined();
    expect(Object.keys((api.getType(`Agency${p}`) as any).getFields())).toContain('offerings');
    expect(Object.keys((api.getType(`Provider${p}`) as any).getFields())).toContain('offerings');
  }
  // Every `since` on listings has its `until` beside it.
  const args = (type: string, field: string) => (api.getType(type) as any).getFields()[field].args.map((a: { name: string }) => a.name);
  for (const p of DOMAIN_TYPES) {
    for (const [type, field] of [
      [`${p}Stats`, 'customerCount'],
      [`${p}Stats`, 'customerLinkCount'],
      [`${p}Offering`, 'customerLinks'],
      [`Agency${p}`, 'offerings'],
      [`Agency${p}`, 'offeringCount'],
    ] as const) {
      expect([type, field, args(type, field)]).toEqual([type, field, expect.arrayContaining(['since', 'until'])]);
    }
  }
  for (const [e, values] of Object.entries({
    QsmoDomain: ['FINANCIAL_MANAGEMENT', 'HUMAN_RESOURCES', 'GRANTS_MANAGEMENT', 'CYBERSECURITY', 'ACQUISITION'],
    DesignationPhase: ['PRE_DESIGNATED', 'DESIGNATED'],
    Sector: ['FEDERAL', 'COMMERCIAL'],
    Shelf: ['FEDERAL', 'COMMERCIAL', 'MANDATORY'],
    Verification: ['CONFIRMED', 'UNVERIFIED'],
    CapabilityLevel: ['FUNCTION', 'ACTIVITY', 'CAPABILITY'],
    OfferingOrderField: ['NAME', 'CUSTOMER_COUNT', 'LAUNCHED_ON'],
    OrderDirection: ['ASC', 'DESC'],
    CoverageStatus: ['SERVED', 'GAP', 'NOT_MAPPED'],
  })) {
    expect((api.getType(e) as any).getValues().map((v: any) => v.name)).toEqual(values);
  }
});

function undescribed(definitions: readonly DefinitionNode[]): string[] {
  const missing: string[] = [];
  for (const d of definitions) {
    if (!('name' in d) || !d.name || d.kind === Kind.DIRECTIVE_DEFINITION) continue;
    const isExtension = d.kind.endsWith('Extension');
    if (!isExtension && d.name.value !== 'Query' && !('description' in d && d.description)) missing.push(d.name.value);
    const members = ('fields' in d && d.fields) || ('values' in d && d.values) || [];
    for (const m of members as readonly { name: { value: string }; description?: unknown }[]) {
      if (!m.description) missing.push(`${d.name.value}.${m.name.value}`);
    }
  }
  return missing;
}

test.each(SUBGRAPHS.map((s) => s.name))('every type, field and enum value of %s has a description', (name) => {
  expect(undescribed(parse(subgraphSdl(subgraphNamed(name))).definitions)).toEqual([]);
});

test('every type, field and enum value of the directory has a description', () => {
  expect(undescribed(parse(directorySdl()).definitions)).toEqual([]);
});
