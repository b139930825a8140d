import { Supergraph } from '@apollo/federation-internals';
import { buildSchema, parse, printSchema, validate, type GraphQLSchema, type FieldNode } from 'graphql';
import { DIRECTORY } from '@qsmo/service-kit/subgraphs';
import { composeSupergraph, localSubgraphSources } from '../src/compose';
import { SUBGRAPHS } from '../src/subgraphs';
import { offeringQuery, operationOf, prepareSubscription, Refused, runOnEvent, type RunQuery } from '../src/subscriptions/operation';
import type { CatalogChange } from '../src/subscriptions/feed';
import type { GraphQLCallResult } from '../src/plugin';

/**
 * The subscription's selection run on one event: the event's own fields from
 * the event, `offering` by one query through the gateway (here a recorded
 * stand-in for the executor), aliases and fragments kept.
 */
let schema: GraphQLSchema;
beforeAll(() => {
  const { supergraphSdl } = composeSupergraph(
    localSubgraphSources([
      ...SUBGRAPHS.map((s) => ({ name: s.name, area: s.area, url: 'http://marketplace/graphql' })),
      { name: DIRECTORY.name, url: 'http://directory/graphql' },
    ]),
  );
  schema = buildSchema(printSchema(Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema()));
});

const event: CatalogChange = {
  subgraph: 'grants-management',
  domain: 'GRANTS_MANAGEMENT',
  offeringId: 'grm-era',
  version: 7,
  mutation: 'updateGrantsManagementOffering',
  at: '2026-12-04T12:00:00.000Z',
  retired: false,
  id: 'grm-era@7',
};

/** A stand-in executor answering each query with the next of `answers`, recording the queries. */
function recorded(answers: GraphQLCallResult['body'][]): RunQuery & { queries: { query: string; variables: Record<string, unknown> }[] } {
  const queries: { query: string; variables: Record<string, unknown> }[] = [];
  const run: RunQuery = async (query, variables) => {
    queries.push({ query, variables });
    return { status: 200, body: answers[Math.min(queries.length - 1, answers.length - 1)]! };
  };
  return Object.assign(run, { queries });
}

const prepare = (query: string, variables: Record<string, unknown> = {}) => prepareSubscription(schema, parse(query), undefined, variables, []);

test("event fields from the event, the offering fetched through its marketplace's namespace with aliases, fragments and the variables it uses", async () => {
  const prepared = prepare(
    `subscription S($withCustomers: Boolean!, $domains: [QsmoDomain!]) {
    changed: catalogChanged(domains: $domains) {
      v: version domain at
      o: offering { ...Named ... on GrantsManagementOffering { customers @include(if: $withCustomers) { name } } }
    }
  }
  fragment Named on Offering { label: name provider { name marketplaceCount } }`,
    { withCustomers: true, domains: ['GRANTS_MANAGEMENT'] },
  );
  expect(prepared.domains).toEqual(new Set(['GRANTS_MANAGEMENT']));
  const run = recorded([
    {
      data: {
        grantsManagement: {
          offering: {
            __typename: 'GrantsManagementOffering',
            catalogChangedVersion__: 7,
            label: 'eRA',
            provider: { __typename: 'Provider', name: 'HHS', marketplaceCount: 2 },
            customers: [{ __typename: 'Agency', name: 'Department of Health and Human Services' }],
          },
        },
      },
    },
  ]);
  const result = await runOnEvent(prepared, event, run);
  expect(result).toEqual({
    data: {
      changed: {
        v: 7,
        domain: 'GRANTS_MANAGEMENT',
        at: event.at,
        o: { label: 'eRA', provider: { name: 'HHS', marketplaceCount: 2 }, customers: [{ name: 'Department of Health and Human Services' }] },
      },
    },
  });
  expect(run.queries).toHaveLength(1);
  const { query, variables } = run.queries[0]!;
  expect(query).toMatch(/^query CatalogChangedOffering\(\$catalogChangedOfferingId__: ID!, \$withCustomers: Boolean!\) \{/);
  expect(query).toContain('grantsManagement { offering(id: $catalogChangedOfferingId__)');
  expect(query).toContain('fragment Named on Offering');
  expect(query).not.toContain('$domains');
  expect(variables).toMatchObject({ catalogChangedOfferingId__: 'grm-era', withCustomers: true });
  // The query is a valid document of the graph.
  expect(validate(schema, parse(query))).toEqual([]);
});

test('no offering selected: nothing is fetched', async () => {
  const run = recorded([]);
  const result = await runOnEvent(prepare('subscription { catalogChanged { offeringId mutation } }'), event, run);
  expect(result).toEqual({ data: { catalogChanged: { offeringId: 'grm-era', mutation: 'updateGrantsManagementOffering' } } });
  expect(run.queries).toHaveLength(0);
});

test('a read behind the change (an older version) is tried again; a retired offering is null at once', async () => {
  const prepared = prepare('subscription { catalogChanged { offering { name } } }');
  const stale = { data: { grantsManagement: { offering: { __typename: 'GrantsManagementOffering', catalogChangedVersion__: 6, name: 'old' } } } };
  const fresh = { data: { grantsManagement: { offering: { __typename: 'GrantsManagementOffering', catalogChangedVersion__: 7, name: 'new' } } } };
  const run = recorded([stale, stale, fresh]);
  expect(await runOnEvent(prepared, event, run, { staleRetryMs: 1 })).toEqual({ data: { catalogChanged: { offering: { name: 'new' } } } });
  expect(run.queries).toHaveLength(3);
  const gone = recorded([{ data: { grantsManagement: { offering: null } } }]);
  expect(await runOnEvent(prepared, { ...event, retired: true }, gone, { staleRetryMs: 1 })).toEqual({ data: { catalogChanged: { offering: null } } });
  expect(gone.queries).toHaveLength(1);
});

test("errors of the fetch come with the event, the event's own fields intact", async () => {
  const prepared = prepare('subscription { catalogChanged { version offering { ... on GrantsManagementOffering { history { version } } } } }');
  const run = recorded([
    { data: { grantsManagement: { offering: null } }, errors: [{ message: 'Reading history needs the role analyst.', extensions: { code: 'FORBIDDEN' } }] },
  ]);
  const result = await runOnEvent(prepared, event, run);
  expect(result.data).toEqual({ catalogChanged: { version: 7, offering: null } });
  expect(result.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([['Reading history needs the role analyst.', 'FORBIDDEN']]);
});

test('refusals name what to change', () => {
  const refused = (query: string, variables: Record<string, unknown> = {}) => {
    try {
      prepare(query, variables);
    } catch (error) {
      expect(error).toBeInstanceOf(Refused);
      return (error as Refused).errors.map((e) => e.message).join(' ');
    }
    throw new Error('not refused');
  };
  expect(refused('subscription { catalogChanged(domains: []) { version } }')).toMatch(/would never deliver anything: leave domains out/);
  expect(refused('subscription { catalogChanged { nope } }')).toMatch(/Cannot query field "nope" on type "CatalogChangeEvent"/);
  expect(refused('subscription ($d: [QsmoDomain!]) { catalogChanged(domains: $d) { version } }', { d: ['PAYROLL'] })).toMatch(/"PAYROLL"/);
  expect(refused('subscription { catalogChanged { version } catalogChanged2: catalogChanged { at } }')).toMatch(/must select only one top level field/);
  expect(operationOf(parse('query A { qsmos { name } } subscription B { catalogChanged { at } }'), 'B')?.operation).toBe('subscription');
});

test("an offering query for each marketplace goes through that marketplace's namespace", () => {
  const prepared = prepare('subscription { catalogChanged { offering { id } } }');
  const operation = operationOf(prepared.document)!;
  const field = (operation.selectionSet.selections[0] as FieldNode).selectionSet!.selections[0] as FieldNode;
  for (const s of SUBGRAPHS) {
    const query = offeringQuery(s.domain, [field], prepared.document, operation);
    expect(query).toContain(`${s.fieldName} { offering(id: $catalogChangedOfferingId__)`);
    expect(validate(schema, parse(query))).toEqual([]);
  }
});

test('the queries its events run, for the start-time checks: one per marketplace listened to and offering selected, as graphql-js collects them', () => {
  const none = prepare('subscription { catalogChanged { offeringId version } }');
  expect(none.eventQueries).toEqual([]);

  const all = prepare('subscription { catalogChanged { offering { id } } }');
  expect(all.eventQueries.map((q) => q.domain)).toEqual(SUBGRAPHS.map((s) => s.domain));

  const prepared = prepare(
    `subscription S($heavy: Boolean!) {
      catalogChanged(domains: [GRANTS_MANAGEMENT, CYBERSECURITY]) {
        a: offering { id }
        ...Heavy
        b: offering @skip(if: true) { name }
      }
    }
    fragment Heavy on CatalogChangeEvent { c: offering @include(if: $heavy) { customers { name } } }`,
    { heavy: true },
  );
  // a and c, each in both marketplaces; b is skipped, as it would be on every event.
  expect(prepared.eventQueries.map((q) => q.domain)).toEqual(['GRANTS_MANAGEMENT', 'CYBERSECURITY', 'GRANTS_MANAGEMENT', 'CYBERSECURITY']);
  for (const q of prepared.eventQueries) {
    expect(validate(schema, parse(q.query))).toEqual([]);
    expect(q.variables).toMatchObject({ heavy: true, catalogChangedOfferingId__: expect.any(String) });
  }
  expect(prepared.eventQueries[2]!.query).toContain('customers');
  expect(prepared.eventQueries[0]!.query).not.toContain('customers');
  expect(prepare(prepared.document.loc!.source.body.replace('$heavy: Boolean!', '$heavy: Boolean = false'), {}).eventQueries).toHaveLength(2);
});
