import { spawnSync } from 'node:child_process';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type GraphQLInterfaceType } from 'graphql';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { SUBGRAPHS, type SubgraphEntry } from '@qsmo/service-kit/subgraphs';
import { subgraphSdl } from '@qsmo/subgraph-kit/subgraph/schema';
import {
  agencyDomainOf,
  agencyDomainResolvers,
  capabilityResolvers,
  catalogMutationResolvers,
  customerLinkResolvers,
  marketplaceRoot,
  namespaceResolvers,
  offeringResolvers,
  providerDomainOf,
  providerDomainResolvers,
  referenceAgencyResolvers,
  referenceProviderResolvers,
  referenceQsmoResolvers,
  referenceQueryResolvers,
  statsResolvers,
} from '@qsmo/subgraph-kit/marketplace';
import { dockerCompose, dockerfile } from '@qsmo/dev-tools/deployment';
import { apiSchemaOf, composeSupergraph, localSubgraphSources } from '../gateway/src/compose';
import { DIRECTORY } from '@qsmo/service-kit/subgraphs';
import { directorySdl } from '@qsmo/directory/schema';

/**
 * The "Adding a QSMO" steps of docs/qsmo-teams.md, done for a throwaway fifth marketplace
 * that exists only in this test: one entry in the list of subgraphs and a
 * package (its own schema.graphql and resolvers built on the shared
 * mechanics). With nothing else edited, it composes with the four real
 * subgraphs, its resolver types generate, its server builds, and the
 * deployment files gain its service.
 */
const fifth: SubgraphEntry = {
  name: 'test-marketplace',
  domain: 'TEST_MARKETPLACE',
  area: 'Test Marketplace',
  description: 'A throwaway marketplace that exists only in the fifth-subgraph test.',
  typePrefix: 'TestMarketplace',
  fieldName: 'testMarketplace',
  fibfPrefix: 'TST',
  fibfFiles: [],
  standard: 'FIBF Test (TST) standard',
  codeExample: 'TST.010.010',
  offeringIdPrefix: 'tst-',
  port: 4099,
};
const entries = [...SUBGRAPHS, fifth];
const ownSdl = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable", "@cost", "@listSize"])

extend type TestMarketplaceOffering {
  "A field only this marketplace has."
  testOnly: String
}
`;

/** What the package's src/resolvers/*.ts would hold: the shared mechanics, named for this marketplace. */
const resolvers = {
  Qsmo: referenceQsmoResolvers,
  Query: { ...referenceQueryResolvers, testMarketplace: marketplaceRoot },
  Agency: { ...referenceAgencyResolvers, testMarketplace: agencyDomainOf },
  Provider: { ...referenceProviderResolvers, testMarketplace: providerDomainOf },
  TestMarketplace: namespaceResolvers(fifth),
  TestMarketplaceOffering: { ...offeringResolvers, testOnly: () => 'only here' },
  TestMarketplaceCapability: capabilityResolvers(fifth),
  TestMarketplaceCustomerLink: customerLinkResolvers,
  TestMarketplaceStats: statsResolvers,
  AgencyTestMarketplace: agencyDomainResolvers,
  ProviderTestMarketplace: providerDomainResolvers,
  Mutation: catalogMutationResolvers(fifth),
};

const sources = () => [
  ...localSubgraphSources(
    SUBGRAPHS.map((s) => ({ name: s.name, url: `http://localhost:${s.port}/graphql` })),
    entries,
  ),
  { name: fifth.name, url: `http://localhost:${fifth.port}/graphql`, sdl: subgraphSdl(fifth, ownSdl, entries) },
];

test('a fifth subgraph composes with the four, and the API gains its fields and domain', () => {
  const { supergraphSdl, hints } = composeSupergraph(sources());
  expect(hints).toEqual([]);
  const api = apiSchemaOf(supergraphSdl);
  expect(Object.keys(api.getQueryType()!.getFields())).toContain('testMarketplace');
  const agency = api.getType('Agency') as unknown as { getFields(): Record<string, unknown> };
  expect(Object.keys(agency.getFields())).toContain('testMarketplace');
  const domains = api.getType('QsmoDomain') as unknown as { getValues(): { name: string }[] };
  expect(domains.getValues().map((v) => v.name)).toEqual([...SUBGRAPHS.map((s) => s.domain), 'TEST_MARKETPLACE']);
  const offering = api.getType('TestMarketplaceOffering') as unknown as { getFields(): Record<string, unknown> };
  expect(Object.keys(offering.getFields())).toEqual(expect.arrayContaining(['id', 'customerLinks', 'testOnly']));
});

test('without its QsmoDomain value in the others, composition fails: the enum comes from the one list', () => {
  const stale = sources().map((s, i) => (i < SUBGRAPHS.length ? { ...s, sdl: subgraphSdl(SUBGRAPHS[i]!) } : s));
  expect(() => composeSupergraph(stale)).toThrow(/QsmoDomain/);
});

test('its resolver types generate and its server builds from the shared mechanics', async () => {
  const sdl = subgraphSdl(fifth, ownSdl, entries);
  // graphql-codegen's plugins load ESM-only packages, which jest cannot require: generate in a child process, as npm run codegen does.
  const script = `require('./shared/subgraph-kit/src/subgraph/codegen.ts').resolverTypes(JSON.parse(process.env.ENTRY), process.env.SDL, '@qsmo/subgraph-kit/marketplace/types').then((t) => process.stdout.write(t))`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, ENTRY: JSON.stringify(fifth), SDL: sdl },
  });
  expect(run.stderr).toBe('');
  const types = run.stdout;
  expect(types).toMatch(/export type TestMarketplaceOfferingResolvers</);
  expect(types).toMatch(/testOnly\?: Resolver</);
  const schema = buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers }]);
  const server = new ApolloServer({ schema, plugins: [ApolloServerPluginInlineTraceDisabled()] });
  const result = await server.executeOperation({ query: '{ _service { sdl } }' });
  expect(result.body.kind === 'single' && result.body.singleResult.errors).toBeFalsy();
  const served = result.body.kind === 'single' ? (result.body.singleResult.data as { _service: { sdl: string } })._service.sdl : '';
  expect(served).toMatch(/testOnly: String/);
  expect(served).toMatch(/createTestMarketplaceOffering\(/);
  await server.stop();
});

test('the deployment files gain its service and the gateway its URL', () => {
  const compose = dockerCompose(entries);
  expect(compose).toMatch(/\n {2}test-marketplace:\n {4}<<: \*subgraph\n/);
  expect(compose).toMatch(/TEST_MARKETPLACE_URL: http:\/\/test-marketplace:4099\/graphql/);
  expect(compose).toMatch(/test-marketplace: \{ condition: service_healthy \}/);
  expect(dockerfile(entries)).toMatch(/COPY subgraphs\/test-marketplace\/package.json subgraphs\/test-marketplace\//);
});

test('the directory lists a fifth marketplace with nothing else edited: its offering type and domain come from the list', () => {
  const { supergraphSdl } = composeSupergraph([
    ...sources(),
    { name: DIRECTORY.name, url: `http://localhost:${DIRECTORY.port}/graphql`, sdl: directorySdl(entries) },
  ]);
  const api = apiSchemaOf(supergraphSdl);
  expect(api.getPossibleTypes(api.getType('Offering') as GraphQLInterfaceType).map((t) => t.name)).toContain('TestMarketplaceOffering');
  expect(Object.keys(api.getQueryType()!.getFields())).toEqual(expect.arrayContaining(['offerings', 'agencies', 'providers', 'testMarketplace']));
});
