import { createMetrics } from '@qsmo/service-kit/metrics';
import type { GatewayPlugin } from '../gateway/src/plugin';
import { standardPlugins } from '../gateway/src/plugins';
import { DEFAULT_RESPONSE_CACHE, useResponseCache, type ResponseCachePlugin } from '../gateway/src/plugins/response-cache';
import { useSubgraphChanges } from '../gateway/src/plugins/subgraph-changes';
import { createLogger } from '@qsmo/service-kit/logger';
import { CatalogStore } from '@qsmo/subgraph-kit/domain/changes';
import { startGraph, type RunningGraph } from './support/graph';
import { renameInCatalog } from './support/catalog-writes';

/**
 * The gateway's response cache over HTTP on the real graph: hits say their
 * age, callers with different scopes never share an answer, errors are not
 * kept, each answer is kept for the shortest max-age its types declare, and
 * after a mutation through the gateway no read is stale, although the data
 * was changed behind the gateway's back, while answers read from other
 * subgraphs stay cached.
 */
let graph: RunningGraph;
let cache: ResponseCachePlugin;

/** A stand-in for the authentication plugin: the identity named by a test header. */
const testIdentity: GatewayPlugin = {
  name: 'test-identity',
  context: (request) => {
    const user = request.headers['x-test-user'];
    return user ? ({ identity: { subject: user, issuer: 'test', roles: ['analyst'], qsmos: [] } } as never) : {};
  },
};

beforeEach(async () => {
  cache = useResponseCache({ ...DEFAULT_RESPONSE_CACHE, maxBytes: 2 ** 20 });
  const metrics = createMetrics('gateway', { defaultMetrics: false });
  const changes = useSubgraphChanges({ intervalMs: 100, onChange: (names) => cache.invalidate(names) });
  graph = await startGraph({ gateway: { metrics, plugins: [testIdentity, ...standardPlugins({ metrics }), cache, changes] } });
});
afterEach(async () => {
  await graph.stop();
});

async function ask(query: string, user?: string) {
  const res = await fetch(graph.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(user ? { 'x-test-user': user } : {}) },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, cacheControl: res.headers.get('cache-control'), age: res.headers.get('age'), body: (await res.json()) as any };
}

const ERA = `{ grantsManagement { offering(id: "grm-era") { name } } }`;
const rename = (name: string) =>
  graph.subgraphs['grants-management']!.database.db.collection('offerings').updateOne({ _id: 'grm-era' } as never, { $set: { name } });

test('a repeated query is served from the cache with its age; errors are never kept', async () => {
  const first = await ask(ERA);
  expect(first.body.data.grantsManagement.offering.name).toBe('eRA');
  expect(first.cacheControl).toBe('max-age=30, public');
  expect(first.age).toBe('0');
  const second = await ask(ERA);
  expect(second.body).toEqual(first.body);
  expect(second.cacheControl).toMatch(/^max-age=\d+, public$/);
  expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, entries: 1 });
  const bad = `{ agency(code: "HHS") { name } }`;
  expect((await ask(bad)).body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  await ask(bad);
  expect(cache.stats()).toMatchObject({ hits: 1, misses: 3, entries: 1 });
});

test('callers with different identities never share a response; the anonymous answer is public, theirs private', async () => {
  await ask(ERA);
  const alice = await ask(ERA, 'alice');
  expect(alice.cacheControl).toBe('max-age=30, private');
  await ask(ERA, 'bob');
  expect(cache.stats()).toMatchObject({ hits: 0, misses: 3, entries: 3 });
  await ask(ERA, 'alice');
  expect(cache.stats().hits).toBe(1);
});

test('0 stale reads after a mutation through the gateway; a change behind its back is served at most its max-age', async () => {
  expect((await ask(ERA)).body.data.grantsManagement.offering.name).toBe('eRA');
  await rename('eRA renamed');
  // Changed behind the gateway's back: still the cached answer, which says how old it is.
  expect((await ask(ERA)).body.data.grantsManagement.offering.name).toBe('eRA');
  const mutation = await ask(
    `mutation { retireGrantsManagementOffering(input: { id: "grm-era", version: 1, provenance: { sources: [{ title: "t", url: "https://example.gov/" }], verification: UNVERIFIED } }) { __typename } }`,
  );
  expect(mutation.cacheControl).toBe('no-store');
  expect((await ask(ERA)).body.data.grantsManagement.offering.name).toBe('eRA renamed');
  // A new supergraph evicts everything too.
  cache.onSupergraphLoad!({} as never);
  expect(cache.stats().entries).toBe(0);
});

test('each answer is kept for the shortest max-age its types declare, capped by the configured ceiling', async () => {
  // Reference data only (agencies, QSMOs): 300 s.
  expect((await ask(`{ agencies(first: 3) { totalCount edges { node { code name sources { url } } } } qsmos { name } }`)).cacheControl).toBe(
    'max-age=300, public',
  );
  // With catalog data (an agency's offerings, through an entity fetch): the catalog's 30 s.
  const portfolio = await ask(`{ agency(code: "075") { name grantsManagement { offeringCount offerings { id provider { name } } } } }`);
  expect(portfolio.body.errors).toBeUndefined();
  expect(portfolio.cacheControl).toBe('max-age=30, public');
  expect((await ask(`{ grantsManagement { stats { offeringCount byShelf { shelf count } } } }`)).cacheControl).toBe('max-age=30, public');
  expect(cache.stats().entries).toBe(3);
  // A ceiling below the types' ages caps them.
  const capped = useResponseCache({ ...DEFAULT_RESPONSE_CACHE, maxAgeSeconds: 7, maxBytes: 2 ** 20 });
  await graph.stop();
  const metrics = createMetrics('gateway', { defaultMetrics: false });
  graph = await startGraph({ gateway: { metrics, plugins: [...standardPlugins({ metrics }), capped] } });
  expect((await ask(`{ qsmos { name } }`)).cacheControl).toBe('max-age=7, public');
});

test('a mutation evicts only the answers read from the subgraphs it reached', async () => {
  const FM = `{ financialManagement { offerings(first: 3) { edges { node { id name } } } } }`;
  const fm = await ask(FM);
  await ask(ERA);
  await rename('eRA renamed');
  await ask(
    `mutation { retireGrantsManagementOffering(input: { id: "grm-era", version: 1, provenance: { sources: [{ title: "t", url: "https://example.gov/" }], verification: UNVERIFIED } }) { __typename } }`,
  );
  const before = cache.stats();
  // Financial Management's page was read from its own subgraph only: still served from the cache.
  const again = await ask(FM);
  expect(again.body).toEqual(fm.body);
  expect(cache.stats().hits).toBe(before.hits + 1);
  // The Grants answer was evicted before the mutation's answer left.
  expect((await ask(ERA)).body.data.grantsManagement.offering.name).toBe('eRA renamed');
  expect(cache.stats().misses).toBe(before.misses + 1);
});

test('a change made elsewhere (another gateway replica, a tool) evicts what was read from that subgraph once its data version moves', async () => {
  const FM = `{ financialManagement { offerings(first: 3) { edges { node { id name } } } } }`;
  await ask(FM);
  expect((await ask(ERA)).body.data.grantsManagement.offering.name).toBe('eRA');
  // A catalog write that did not pass through this gateway (another replica's, an import's).
  const elsewhere = new CatalogStore({ db: graph.subgraphs['grants-management']!.database.db, logger: createLogger('elsewhere', 'silent') });
  await renameInCatalog(elsewhere, 'grm-era', 'eRA elsewhere', { subject: 'other-replica' });
  const since = Date.now();
  let name = 'eRA';
  while (name === 'eRA' && Date.now() - since < 3_000) {
    await new Promise((r) => setTimeout(r, 50));
    name = (await ask(ERA)).body.data.grantsManagement.offering.name;
  }
  expect(name).toBe('eRA elsewhere');
  // Seen within a few polls of 100 ms, not the 30 s the offering type declares.
  expect(Date.now() - since).toBeLessThan(1_500);
  // Financial Management's answer was not read from the Grants subgraph: still served from the cache.
  const hits = cache.stats().hits;
  await ask(FM);
  expect(cache.stats().hits).toBe(hits + 1);
});

test('stays within its size', async () => {
  const small = useResponseCache({ ...DEFAULT_RESPONSE_CACHE, maxBytes: 4_000 });
  await graph.stop();
  const metrics = createMetrics('gateway', { defaultMetrics: false });
  graph = await startGraph({ gateway: { metrics, plugins: [...standardPlugins({ metrics }), small] } });
  for (const code of ['075', '070', '024', '012', '013', '015']) {
    const r = await ask(`{ agency(code: "${code}") { name grantsManagement { offerings { id name } } } }`);
    expect(r.body.errors).toBeUndefined();
    expect(small.stats().bytes).toBeLessThanOrEqual(4_000);
  }
  expect(small.stats().entries).toBeGreaterThan(0);
});
