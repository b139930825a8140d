import { subgraphSdl } from '@qsmo/subgraph-kit/subgraph/schema';
import { checkAgainst } from '@qsmo/registry/check';
import { diffSubgraphSchemas, subgraphApiSchema } from '@qsmo/registry/diff';
import { schemaHash, type PublishedState, type SubgraphVersion } from '@qsmo/registry/store';
import { definition as grants } from '../../../subgraphs/grants-management/src/definition';
import { definition as hr } from '../../../subgraphs/human-resources/src/definition';

/**
 * The registry's check without a database: breaking and dangerous changes
 * of a subgraph's own API, and composition against the published others.
 */
const BASE = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

type Query {
  "An offering by id."
  offering(id: ID!, includeRetired: Boolean): Offering
  "Offerings in name order."
  offerings(first: Int): [Offering!]!
}

"A listed offering."
type Offering @key(fields: "id") {
  "Stable id."
  id: ID!
  "Its name."
  name: String!
  "Its website."
  website: String
  "The shelf."
  shelf: Shelf!
}

"Where an offering is listed."
enum Shelf {
  "Federal."
  FEDERAL
  "Commercial."
  COMMERCIAL
}
`;

const diff = (edit: (sdl: string) => string) => diffSubgraphSchemas(BASE, edit(BASE));
const descriptions = (changes: { description: string }[]) => changes.map((c) => c.description);

describe('breaking changes name what broke', () => {
  test('a removed field', () => {
    const d = diff((s) => s.replace('  "Its website."\n  website: String\n', ''));
    expect(descriptions(d.breaking)).toEqual(['Offering.website was removed.']);
  });

  test('a field whose type changed', () => {
    const d = diff((s) => s.replace('name: String!', 'name: Int!'));
    expect(descriptions(d.breaking)).toEqual(['Offering.name changed type from String! to Int!.']);
  });

  test('a nullable field made non-null in an input position is breaking; in output it is not', () => {
    expect(diff((s) => s.replace('website: String', 'website: String!')).breaking).toEqual([]);
    const d = diff((s) => s.replace('offerings(first: Int)', 'offerings(first: Int!)'));
    expect(descriptions(d.breaking)).toEqual(['Query.offerings arg first has changed type from Int to Int!.']);
  });

  test('a required argument added', () => {
    const d = diff((s) => s.replace('offerings(first: Int)', 'offerings(first: Int, shelf: Shelf!)'));
    expect(descriptions(d.breaking)).toEqual(['A required arg shelf on Query.offerings was added.']);
  });

  test('a removed argument', () => {
    const d = diff((s) => s.replace('offering(id: ID!, includeRetired: Boolean)', 'offering(id: ID!)'));
    expect(descriptions(d.breaking)).toEqual(['Query.offering arg includeRetired was removed.']);
  });

  test('a removed enum value', () => {
    const d = diff((s) => s.replace('  "Commercial."\n  COMMERCIAL\n', ''));
    expect(descriptions(d.breaking)).toEqual(['COMMERCIAL was removed from enum type Shelf.']);
  });

  test('a removed type', () => {
    const d = diff((s) => s.replace('shelf: Shelf!', 'shelf: String!').replace(/"Where an offering is listed\."[\s\S]*$/, ''));
    expect(descriptions(d.breaking)).toEqual(expect.arrayContaining(['Shelf was removed.', 'Offering.shelf changed type from Shelf! to String!.']));
  });
});

describe('dangerous changes are warnings', () => {
  test('an added enum value', () => {
    const d = diff((s) => s.replace('  COMMERCIAL\n', '  COMMERCIAL\n  "Mandatory."\n  MANDATORY\n'));
    expect(d.breaking).toEqual([]);
    expect(descriptions(d.dangerous)).toEqual(['MANDATORY was added to enum type Shelf.']);
  });

  test('an added optional argument', () => {
    const d = diff((s) => s.replace('offerings(first: Int)', 'offerings(first: Int, shelf: Shelf)'));
    expect(d.breaking).toEqual([]);
    expect(descriptions(d.dangerous)).toEqual(['An optional arg shelf on Query.offerings was added.']);
  });

  test('a changed argument default', () => {
    const withDefault = (n: number) => BASE.replace('offerings(first: Int)', `offerings(first: Int = ${n})`);
    const d = diffSubgraphSchemas(withDefault(20), withDefault(50));
    expect(d.breaking).toEqual([]);
    expect(descriptions(d.dangerous)).toEqual(['Query.offerings arg first has changed defaultValue from 20 to 50.']);
  });
});

describe('what is not a change', () => {
  test('added fields and types are neither breaking nor dangerous', () => {
    const d = diff(
      (s) =>
        s.replace('  "Its website."', '  "Launch date."\n  launchedOn: String\n  "Its website."') +
        '\n"A provider."\ntype Provider @key(fields: "id") {\n  "Id."\n  id: ID!\n}\n',
    );
    expect(d).toEqual({ breaking: [], dangerous: [] });
  });

  test("federation's own additions (_entities, _Entity, link directives) are not the subgraph's API", () => {
    const api = subgraphApiSchema(BASE);
    expect(Object.keys(api.getQueryType()!.getFields())).toEqual(['offering', 'offerings']);
    expect(api.getType('_Entity')).toBeUndefined();
    expect(api.getType('_Service')).toBeUndefined();
    expect(api.getDirectives().map((d) => d.name)).not.toContain('key');
    // A new entity changes the _Entity union; that is not a change a client can see.
    const d = diff((s) =>
      s.replace('"A listed offering."', '"A provider."\ntype Provider @key(fields: "id") {\n  "Id."\n  id: ID!\n}\n\n"A listed offering."'),
    );
    expect(d).toEqual({ breaking: [], dangerous: [] });
  });

  test('reformatting and comments keep the same hash; a description change does not', () => {
    expect(schemaHash(`# a comment\n${BASE.replace(/\n\n/g, '\n\n\n')}`)).toBe(schemaHash(BASE));
    expect(schemaHash(BASE.replace('"Its name."', '"Its full name."'))).not.toBe(schemaHash(BASE));
  });
});

describe('checkAgainst: composition with the published others, diff against the published self', () => {
  const version = (name: string, sdl: string, url: string, v = 1): SubgraphVersion => ({
    _id: `${name}@${v}`,
    subgraph: name,
    version: v,
    sdl,
    hash: schemaHash(sdl),
    url,
    publisher: 'test',
    publishedAt: new Date(0),
  });
  const grantsSdl = subgraphSdl(grants.entry);
  const hrSdl = subgraphSdl(hr.entry);
  const state: PublishedState = {
    supergraph: null,
    subgraphs: new Map([
      ['grants-management', version('grants-management', grantsSdl, 'http://grants:4003/graphql', 3)],
      ['human-resources', version('human-resources', hrSdl, 'http://hr:4002/graphql')],
    ]),
  };

  test('the real schemas pass and compose', () => {
    const report = checkAgainst(state, [{ name: 'grants-management', url: 'http://grants:4003/graphql', sdl: grantsSdl }]);
    expect(report).toMatchObject({ passed: true, compositionErrors: [], inputErrors: [] });
    expect(report.subgraphs[0]).toMatchObject({ unchanged: true, base: { version: 3 }, breaking: [], dangerous: [] });
    expect(report.supergraphSdl).toContain('join__graph(name: "human-resources", url: "http://hr:4002/graphql")');
  });

  test('removing a published field fails, naming the field', () => {
    const sdl = grantsSdl.replace('  "Curator notes: contacts, caveats, attribution decisions."\n  notes: String\n', '');
    expect(sdl).not.toBe(grantsSdl);
    const report = checkAgainst(state, [{ name: 'grants-management', url: 'http://grants:4003/graphql', sdl }]);
    expect(report.passed).toBe(false);
    expect(report.compositionErrors).toEqual([]);
    expect(descriptions(report.subgraphs[0]!.breaking)).toEqual(['GrantsManagementOffering.notes was removed.']);
    expect(checkAgainst(state, [{ name: 'grants-management', url: 'http://grants:4003/graphql', sdl }], { allowBreaking: true }).passed).toBe(true);
  });

  test('a change that does not compose with another subgraph fails with composition errors in full', () => {
    // The reference types are @shareable: every subgraph must agree on their field types.
    const sdl = grantsSdl.replace('cfoAct: Boolean!', 'cfoAct: String!');
    const report = checkAgainst(state, [{ name: 'grants-management', url: 'http://grants:4003/graphql', sdl }]);
    expect(report.passed).toBe(false);
    expect(report.compositionErrors.join('\n')).toMatch(/Agency\.cfoAct/);
    expect(report.compositionErrors.join('\n')).toMatch(/human-resources/);
  });

  test('an invalid schema is reported by composition, not thrown', () => {
    const sdl = grantsSdl.replace('  "Its website."\n  website: String\n', '');
    const report = checkAgainst(state, [{ name: 'grants-management', url: 'http://grants:4003/graphql', sdl }]);
    expect(report.passed).toBe(false);
    expect(report.compositionErrors.join('\n')).toMatch(/Offering\.website/);
  });

  test('a bad routing URL or name is refused with what to change', () => {
    const report = checkAgainst(state, [{ name: 'Grants', url: 'grants:4003', sdl: grantsSdl }]);
    expect(report.passed).toBe(false);
    expect(report.inputErrors.join('\n')).toMatch(/not a subgraph name/);
    expect(report.inputErrors.join('\n')).toMatch(/not an http\(s\) URL/);
  });

  test('a new URL with the same SDL is a change, with no schema diff', () => {
    const report = checkAgainst(state, [{ name: 'grants-management', url: 'http://grants-v2:4003/graphql', sdl: grantsSdl }]);
    expect(report.passed).toBe(true);
    expect(report.subgraphs[0]).toMatchObject({ unchanged: false, breaking: [], dangerous: [] });
  });
});
