import { subgraphSdl } from '@qsmo/subgraph-kit/subgraph/schema';
import { publishSubgraphs } from '@qsmo/registry/publish';
import { SchemaRegistry, schemaHash, SUBGRAPH_VERSIONS, SUPERGRAPH_VERSIONS } from '@qsmo/registry/store';
import { definition as cyber } from '../../../subgraphs/cybersecurity/src/definition';
import { definition as fm } from '../../../subgraphs/financial-management/src/definition';
import { definition as grants } from '../../../subgraphs/grants-management/src/definition';
import { definition as hr } from '../../../subgraphs/human-resources/src/definition';
import { openTestDatabase, type TestDatabase } from '../../../test/support/db';

/**
 * The registry against the real database: versions are immutable, a publish
 * is all or nothing, a repeat is a no-op, and concurrent publishes neither
 * share a version nor lose each other's changes.
 */
let t: TestDatabase;
let registry: SchemaRegistry;
beforeAll(async () => {
  t = await openTestDatabase('registry-store');
  registry = new SchemaRegistry(t.db);
});
afterAll(async () => {
  await t.drop();
});

const source = (def: typeof grants, sdl = subgraphSdl(def.entry), url = `http://${def.serviceName}:${def.defaultPort}/graphql`) => ({
  name: def.serviceName,
  url,
  sdl,
});
const publish = (...candidates: ReturnType<typeof source>[]) => publishSubgraphs(registry, candidates, { publisher: 'registry-test' });
/** The grants schema with one more offering field, described as every field must be. */
const grantsWith = (field: string) =>
  subgraphSdl(grants.entry).replace(
    '  "Its website."\n  website: String\n',
    `  "Its website."\n  website: String\n  "Test field ${field}."\n  ${field}: String\n`,
  );
const counts = async () => ({
  subgraphs: await t.db.collection(SUBGRAPH_VERSIONS).countDocuments(),
  supergraphs: await t.db.collection(SUPERGRAPH_VERSIONS).countDocuments(),
});

test('publishing builds versioned, immutable records; the same SDL again records nothing', async () => {
  const first = await publish(source(grants));
  expect(first.status).toBe('published');
  if (first.status !== 'published') return;
  expect(first.supergraph).toMatchObject({ version: 1, changed: ['grants-management'], publisher: 'registry-test' });
  expect(first.subgraphs[0]).toMatchObject({ _id: 'grants-management@1', version: 1, hash: schemaHash(source(grants).sdl) });

  const second = await publish(source(hr));
  expect(second.status === 'published' && second.supergraph.subgraphs.map((s) => `${s.name}@${s.version}`)).toEqual([
    'grants-management@1',
    'human-resources@1',
  ]);
  const recorded = await t.db.collection(SUBGRAPH_VERSIONS).find({}).sort({ _id: 1 }).toArray();
  const before = await counts();

  const again = await publish(source(grants));
  expect(again.status).toBe('unchanged');
  expect(again.status === 'unchanged' && again.subgraphs[0]!.version).toBe(1);
  // Reformatting and comments are not a change either.
  expect((await publish(source(grants, `# reformatted\n${source(grants).sdl}\n\n`))).status).toBe('unchanged');
  expect(await counts()).toEqual(before);

  const third = await publish(source(grants, grantsWith('rating')));
  expect(third.status === 'published' && third.subgraphs[0]!.version).toBe(2);
  expect(third.status === 'published' && third.supergraph.version).toBe(3);
  expect(third.status === 'published' && third.report.subgraphs[0]!.base?.version).toBe(1);
  // Earlier versions are untouched by later publishes.
  const after = await t.db
    .collection(SUBGRAPH_VERSIONS)
    .find({ _id: { $in: recorded.map((r) => r._id) } })
    .sort({ _id: 1 })
    .toArray();
  expect(after).toEqual(recorded);
  expect((await registry.supergraph(1))!.subgraphs).toEqual([expect.objectContaining({ name: 'grants-management', version: 1 })]);
  // The version numbers are unique: a second record under a taken number is refused.
  const taken = (await registry.supergraph(3))!;
  const { _id, ...copy } = taken;
  expect(await registry.insertSupergraphVersion(copy)).toBe(false);
});

test('a breaking change or a composition error is refused and records nothing', async () => {
  const before = await counts();
  const latest = await registry.latestSupergraph();
  const breaking = await publish(
    source(grants, subgraphSdl(grants.entry).replace('  "Curator notes: contacts, caveats, attribution decisions."\n  notes: String\n', '')),
  );
  expect(breaking.status).toBe('refused');
  const breaks = breaking.report.subgraphs[0]!.breaking.map((c) => c.description);
  // The published version (v2) has both notes and the rating field added above.
  expect(breaks).toEqual(expect.arrayContaining(['GrantsManagementOffering.notes was removed.', 'GrantsManagementOffering.rating was removed.']));

  const clash = await publish(source(hr, subgraphSdl(hr.entry).replace('cfoAct: Boolean!', 'cfoAct: String!')));
  expect(clash.status).toBe('refused');
  expect(clash.report.compositionErrors.join('\n')).toMatch(/Agency\.cfoAct/);
  expect(await counts()).toEqual(before);
  expect(await registry.latestSupergraph()).toEqual(latest);
});

test('a publish interrupted between its two writes leaves nothing visible', async () => {
  const state = await registry.publishedState();
  // What a crash after the subgraph write and before the supergraph write leaves behind.
  const orphan = await registry.insertSubgraphVersion({
    subgraph: 'grants-management',
    sdl: grantsWith('orphaned'),
    hash: schemaHash(grantsWith('orphaned')),
    url: 'http://grants-management:4003/graphql',
    publisher: 'crashed',
    publishedAt: new Date(),
  });
  expect(orphan.version).toBe(3);
  expect(await registry.publishedState()).toEqual(state);
  // The next publish compares with the published v2, not the orphan, and takes the next number.
  const next = await publish(source(grants, grantsWith('rating').replace('  "Its website."', '  "Test field score."\n  score: Int\n  "Its website."')));
  expect(next.status).toBe('published');
  expect(next.status === 'published' && next.report.subgraphs[0]!.base?.version).toBe(2);
  expect(next.status === 'published' && next.subgraphs[0]!.version).toBe(4);
});

test("concurrent publishes get distinct versions and none loses another one's change", async () => {
  const start = (await registry.latestSupergraph())!.version;
  const results = await Promise.all([
    publish(source(fm)),
    publish(source(cyber)),
    publish(source(hr, subgraphSdl(hr.entry), 'http://human-resources-v2:4002/graphql')),
    publish(
      source(
        grants,
        grantsWith('concurrent').replace('  "Its website."', '  "Test field rating."\n  rating: String\n  "Test field score."\n  score: Int\n  "Its website."'),
      ),
    ),
  ]);
  expect(results.map((r) => r.status)).toEqual(['published', 'published', 'published', 'published']);
  const versions = results.map((r) => (r.status === 'published' ? r.supergraph.version : 0)).sort((a, b) => a - b);
  expect(versions).toEqual([start + 1, start + 2, start + 3, start + 4]);
  const latest = (await registry.latestSupergraph())!;
  expect(latest.subgraphs.map((s) => s.name)).toEqual(['cybersecurity', 'financial-management', 'grants-management', 'human-resources']);
  expect(latest.subgraphs.find((s) => s.name === 'human-resources')!.url).toBe('http://human-resources-v2:4002/graphql');
  expect(latest.sdl).toContain('concurrent: String');
  // Lost races leave no unreferenced records behind.
  const referenced = new Set(
    (await t.db.collection(SUPERGRAPH_VERSIONS).find({}).toArray()).flatMap((s) => s.subgraphs.map((r: any) => `${r.name}@${r.version}`)),
  );
  const all = (await t.db.collection(SUBGRAPH_VERSIONS).find({}).toArray()).map((d) => String(d._id));
  expect(all.filter((id) => !referenced.has(id))).toEqual(['grants-management@3']);
});
