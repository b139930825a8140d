import { buildSubgraphSchema } from '@apollo/subgraph';
import { Supergraph } from '@apollo/federation-internals';
import { getNamedType, getNullableType, GraphQLError, isInterfaceType, isLeafType, isListType, isObjectType, parse } from 'graphql';
import { composeSupergraph } from '@qsmo/registry/compose';
import { costModelOfSubgraph, costModelOfSupergraph, DEFAULT_LIST_SIZE, estimateCost, type CostModel } from '@qsmo/service-kit/cost';
import { subgraphTypeDefs } from '@qsmo/subgraph-kit/subgraph/schema';
import { SUBGRAPHS } from '@qsmo/service-kit/subgraphs';

/**
 * The estimator on its own, over a small schema whose every number is known:
 * a page of 20 by default, `first` sizing `edges`, lists of assumed size,
 * weights on fields, types, arguments and input fields, an interface with
 * two implementations and a union.
 */
const SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize"])

type Query {
  items(first: Int = 20, after: String, filter: ItemFilter): ItemConnection! @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
  tops: [Item!]! @listSize(assumedSize: 5)
  unsized: [Item!]!
  item(id: ID!): Item
  search(text: String! @cost(weight: 7)): [Thing!]! @listSize(assumedSize: 3)
  report: Report! @cost(weight: 50)
  named: [Named!]! @listSize(assumedSize: 4)
}
type Mutation { save(input: SaveInput!): Item! @cost(weight: 10) }
input ItemFilter { text: String  tags: [String!] }
input SaveInput { name: String!  notes: [NoteInput!]  secret: String @cost(weight: 3) }
input NoteInput { text: String! }
type ItemConnection { edges: [ItemEdge!]!  totalCount: Int! }
type ItemEdge { cursor: String!  node: Item! }
type Item @key(fields: "id") { id: ID!  name: String!  parts: [Part!]! @listSize(assumedSize: 10)  expensive: Int! @cost(weight: 4)  heavy: Heavy }
type Heavy @cost(weight: 6) { n: Int }
type Report { total: Int }
type Part { id: ID! }
interface Named { name: String! }
type A implements Named { name: String!  as: [Part!]! @listSize(assumedSize: 10) }
type B implements Named { name: String!  bs: [Part!]! @listSize(assumedSize: 2) }
union Thing = A | B
`;
const typeDefs = parse(SDL);
const model: CostModel = costModelOfSubgraph(typeDefs, buildSubgraphSchema([{ typeDefs }]));
const cost = (query: string, variables?: Record<string, unknown>, operationName?: string) => estimateCost(model, parse(query), operationName, variables);

describe('lists', () => {
  test('a variable first costs exactly what the same literal first costs, and the default of 20 when absent', () => {
    const page = (first: string) => `{ items${first} { edges { node { id } } } }`;
    // items 1 + first × (edge 1 + node 1)
    expect(cost(page('(first: 100)'))).toBe(201);
    expect(cost('query($n: Int) { items(first: $n) { edges { node { id } } } }', { n: 100 })).toBe(201);
    expect(cost('query($n: Int = 100) { items(first: $n) { edges { node { id } } } }')).toBe(201);
    expect(cost(page(''))).toBe(41);
    // An unset variable and an explicit null both mean the argument's default, as the resolvers read them.
    expect(cost('query($n: Int) { items(first: $n) { edges { node { id } } } }')).toBe(41);
    expect(cost(page('(first: null)'))).toBe(41);
    expect(cost('query($n: Int) { items(first: $n) { edges { node { id } } } }', { n: null })).toBe(41);
  });

  test('sizedFields size only the named fields; other fields of the page count once', () => {
    expect(cost('{ items(first: 10) { totalCount edges { cursor node { id name parts { id } } } } }')).toBe(1 + 10 * (1 + 1 + 10));
  });

  test('assumedSize applies without a slicing argument; undeclared lists get the default', () => {
    expect(cost('{ tops { id } }')).toBe(5);
    expect(cost('{ unsized { id } }')).toBe(DEFAULT_LIST_SIZE);
  });

  test('nested lists multiply', () => {
    expect(cost('{ items(first: 50) { edges { node { parts { id } } } } }')).toBe(1 + 50 * (1 + 1 + 10));
  });
});

describe('weights', () => {
  test("objects 1, leaves 0, a field's @cost over its type's, a type's @cost over the default", () => {
    expect(cost('{ item(id: "a") { id name } }')).toBe(1);
    expect(cost('{ item(id: "a") { expensive } }')).toBe(1 + 4);
    expect(cost('{ item(id: "a") { heavy { n } } }')).toBe(1 + 6);
    expect(cost('{ report { __typename } }')).toBe(50);
  });

  test("arguments: their @cost, each input object 1 with its fields' weights; defaults cost nothing", () => {
    // 3 results (a union: 1 each) + the argument's 7
    expect(cost('{ search(text: "x") { __typename } }')).toBe(3 + 7);
    expect(cost('{ items(filter: { text: "x" }) { totalCount } }')).toBe(1 + 1);
    expect(cost('query($f: ItemFilter) { items(filter: $f) { totalCount } }', { f: { text: 'x', tags: ['a', 'b'] } })).toBe(1 + 1);
  });

  test('a mutation costs 10 on top of its fields, and its inputs count', () => {
    // 10 (mutation) + save 10 + input object 1 + secret 3 + two notes 1 each
    expect(cost('mutation($n: [NoteInput!]) { save(input: { name: "a", secret: "s", notes: $n }) { id } }', { n: [{ text: 'a' }, { text: 'b' }] })).toBe(
      10 + 10 + 1 + 3 + 2,
    );
  });
});

describe('fragments and directives', () => {
  test("fragments on the parent's type (or an interface of all its types) add up; fragments narrowing an abstract type take the costliest type", () => {
    // named: 4 × (max(A: as 10, B: bs 2)) = 40; a fragment on the interface itself applies to both
    expect(cost('{ named { ... on A { as { id } } ... on B { bs { id } } } }')).toBe(4 * (1 + 10));
    expect(cost('{ named { ...N ... on A { as { id } } } } fragment N on Named { name }')).toBe(4 * (1 + 10));
    // Two fragments on the same type both apply to it.
    expect(cost('{ named { ... on A { as { id } } ... on A { x: as { id } } ... on B { bs { id } } } }')).toBe(4 * (1 + 20));
    expect(cost('{ search(text: "x") { ... on A { as { id } } ... on B { bs { id } } } }')).toBe(7 + 3 * (1 + 10));
    expect(cost('{ tops { ...I ...I } } fragment I on Item { parts { id } }')).toBe(5 * (1 + 20));
  });

  test('@skip and @include with variables leave fields out; __typename and introspection cost nothing', () => {
    const q = 'query($s: Boolean!) { item(id: "a") { parts @skip(if: $s) { id } } tops @include(if: $s) { id } }';
    expect(cost(q, { s: true })).toBe(1 + 5);
    expect(cost(q, { s: false })).toBe(1 + 10);
    expect(cost('{ __typename __schema { types { fields { name } } } }')).toBe(0);
  });

  test('a fragment spread many times is costed once: 2^30 fields once expanded, estimated in well under a second', () => {
    const levels = Array.from({ length: 30 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join('\n');
    const started = performance.now();
    expect(cost(`{ ...F0 }\n${levels}\nfragment F30 on Query { tops { id } }`)).toBe(2 ** 30 * 5);
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('operations and variables', () => {
  test('the named operation is costed; variables that do not coerce are BAD_USER_INPUT with HTTP 400', () => {
    const doc = 'query A { tops { id } } query B { item(id: "a") { id } }';
    expect(cost(doc, {}, 'A')).toBe(5);
    expect(cost(doc, {}, 'B')).toBe(1);
    let error: unknown;
    try {
      cost('query($n: Int) { items(first: $n) { totalCount } }', { n: 'many' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions).toMatchObject({ code: 'BAD_USER_INPUT', http: { status: 400 } });
    expect((error as GraphQLError).message).toMatch(/\$n.*Int cannot represent/);
  });

  test("a subgraph's _entities costs one entity per representation", () => {
    const q = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Item { parts { id } } } }';
    expect(cost(q, { r: Array.from({ length: 7 }, (_, i) => ({ __typename: 'Item', id: String(i) })) })).toBe(7 * (1 + 10));
    // A single representation given for the list is coerced to a list of one.
    expect(cost(q, { r: { __typename: 'Item', id: 'a' } })).toBe(1 + 10);
  });
});

describe('models', () => {
  test("a supergraph carries the subgraphs' directives under the cost spec, also when a subgraph renames them", () => {
    const renamed = `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable", { name: "@listSize", as: "@size" }, { name: "@cost", as: "@weight" }])
      type Query { pages(first: Int = 20): [Page!]! @size(slicingArguments: ["first"]) }
      type Page @key(fields: "id") { id: ID!  score: Int @weight(weight: 9) }`;
    const modelOf = (...sdls: string[]) => {
      const supergraph = Supergraph.build(composeSupergraph(sdls.map((sdl, i) => ({ name: `s${i}`, url: `http://s${i}`, sdl }))).supergraphSdl);
      return costModelOfSupergraph(supergraph, supergraph.apiSchema().toGraphQLJSSchema());
    };
    expect(estimateCost(modelOf(renamed), parse('query($n: Int) { pages(first: $n) { score } }'), undefined, { n: 30 })).toBe(30 * (1 + 9));
    expect(estimateCost(modelOf(SDL), parse('query($n: Int) { items(first: $n) { edges { node { parts { id } } } } }'), undefined, { n: 3 })).toBe(
      1 + 3 * (1 + 1 + 10),
    );
  });

  test('every list of objects in every QSMO subgraph declares its size, or is a page sized by its parent', () => {
    const undeclared: string[] = [];
    for (const entry of SUBGRAPHS) {
      const defs = subgraphTypeDefs(entry);
      const subgraph = costModelOfSubgraph(defs, buildSubgraphSchema([{ typeDefs: defs }]));
      const sizedByParent = new Set([...subgraph.listSizes.values()].flatMap((s) => s.sizedFields ?? []));
      for (const type of Object.values(subgraph.schema.getTypeMap())) {
        if (type.name.startsWith('_') || !(isObjectType(type) || isInterfaceType(type))) continue;
        for (const field of Object.values(type.getFields())) {
          // Lists of scalars and enums cost nothing whatever their size.
          if (!isListType(getNullableType(field.type)) || isLeafType(getNamedType(field.type))) continue;
          if (!subgraph.listSizes.has(`${type.name}.${field.name}`) && !sizedByParent.has(field.name))
            undeclared.push(`${entry.name}: ${type.name}.${field.name}`);
        }
      }
    }
    expect(undeclared).toEqual([]);
  });
});
