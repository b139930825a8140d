import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@qsmo/service-kit/logger';
import { createMetrics } from '@qsmo/service-kit/metrics';
import { CatalogStore } from '@qsmo/subgraph-kit/domain/changes';
import { ReadModel } from '@qsmo/subgraph-kit/read-model';
import { composeSupergraph, localSubgraphSources } from '../gateway/src/compose';
import { standardPlugins } from '../gateway/src/plugins';
import { DEFAULT_RESPONSE_CACHE, useResponseCache } from '../gateway/src/plugins/response-cache';
import { useSubgraphChanges } from '../gateway/src/plugins/subgraph-changes';
import { createGatewayServer, type GatewayServer } from '../gateway/src/server';
import { SETTLE_FACTOR } from '@qsmo/service-kit/data-version-protocol';
import { openSeededDatabase, type TestDatabase } from './support/db';
import { DOMAINS } from './support/graph';
import { DirectoryProjection } from '@qsmo/directory/projection';
import { marketplaceSources } from '@qsmo/directory/server';
import { renameInCatalog } from './support/catalog-writes';

/**
 * Two replicas of one subgraph behind one address, and a gateway's response
 * cache in front: the replica the gateway reads the data version from has
 * seen a write, the one answering its queries has not yet (its read model
 * polls the change counter once a second). The gateway evicts on the new
 * version, then caches the lagging replica's answer from before the write;
 * with nothing left to evict it, that answer would be served for the type's
 * whole max-age (30 s). The replicas state their lag in `/data-version`
 * (settleMs), and the gateway evicts once more when it has passed.
 *
 * The lag is made certain, not left to timing: the lagging replica's read
 * model starts its one-second poll just before the write, and a routing
 * proxy sends `/data-version` to the replica that wrote and every query to
 * the other.
 */
const GRANTS = DOMAINS.find((d) => d.definition.serviceName === 'grants-management')!;
const POLL_MS = 1_000;
const ERA = `{ grantsManagement { offering(id: "grm-era") { name } } }`;

const databases: TestDatabase[] = [];
const models: ReadModel[] = [];
const servers: { http: { stop(): Promise<void> } }[] = [];
const routers: http.Server[] = [];
let gateway: GatewayServer;

afterAll(async () => {
  await gateway?.http.stop();
  for (const router of routers) {
    router.closeAllConnections();
    await new Promise((r) => router.close(r));
  }
  for (const m of models) m.stop();
  for (const s of servers) await s.http.stop();
  for (const d of databases) await d.drop();
});

async function replica(database: TestDatabase, model: ReadModel): Promise<string> {
  const server = GRANTS.createServer({ db: database.db, metrics: database.metrics, readModel: model, logger: createLogger('grants', 'silent') });
  servers.push(server);
  return server.http.listen(0, '127.0.0.1');
}

/** The Service in front of the replicas, made to split the way a lagging endpoint would be met: versions from one, answers from the other. */
async function routeBetween(versions: string, answers: string): Promise<string> {
  const router = http.createServer((req, res) => {
    const target = new URL(req.url!.startsWith('/data-version') ? versions : answers);
    const upstream = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  routers.push(router);
  await new Promise<void>((r) => router.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(router.address() as AddressInfo).port}/graphql`;
}

async function ask(url: string): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: ERA }) });
  const body = (await res.json()) as { data: { grantsManagement: { offering: { name: string } } } };
  return body.data.grantsManagement.offering.name;
}

/** Two replicas on a fresh copy of the catalog, the routing proxy in front, and a write that only the first has seen for up to a second. */
async function lagScenario() {
  const database = await openSeededDatabase(GRANTS.definition);
  databases.push(database);
  const options = { pollIntervalMs: POLL_MS, maxEntries: 2_000, maxAgeMs: 60_000, logger: createLogger('read-model', 'silent') };
  const writerModel = new ReadModel(database.db, options);
  const laggingModel = new ReadModel(database.db, options);
  models.push(writerModel, laggingModel);
  await writerModel.start();
  const writer = await replica(database, writerModel);
  const lagging = await replica(database, laggingModel);
  const url = await routeBetween(writer.replace(/\/graphql$/, ''), lagging.replace(/\/graphql$/, ''));
  return {
    url,
    /** Starts the lagging replica's poll of the change counter (next read in a second), then renames eRA through the other. */
    async writeWhileLagging(name: string): Promise<number> {
      await laggingModel.start();
      const store = new CatalogStore({ db: database.db, readModel: writerModel, logger: createLogger('writer', 'silent') });
      await renameInCatalog(store, 'grm-era', name, { subject: 'replica-lag-test' });
      return Date.now();
    },
  };
}

/** Reads `read` every 50 ms until it gives `name` three times running (or 10 s pass), and what it gave when. */
async function watch(read: () => Promise<string>, name: string, since: number) {
  const seen: { ms: number; name: string }[] = [];
  let fresh = 0;
  while (fresh < 3 && Date.now() - since < 10_000) {
    const got = await read();
    seen.push({ ms: Date.now() - since, name: got });
    fresh = got === name ? fresh + 1 : 0;
    await new Promise((r) => setTimeout(r, 50));
  }
  const firstFresh = seen.find((s) => s.name === name);
  return {
    seen,
    fresh,
    lastStaleMs: seen.filter((s) => s.name !== name).at(-1)?.ms,
    firstFreshMs: firstFresh?.ms,
    stableAfter: firstFresh ? seen.slice(seen.indexOf(firstFresh)).every((s) => s.name === name) : false,
  };
}

test(`an answer cached from a replica that had not yet seen a write is evicted once the replicas' stated lag has passed (${SETTLE_FACTOR} × ${POLL_MS} ms), not served for its max-age`, async () => {
  const { url, writeWhileLagging } = await lagScenario();

  const version = await (await fetch(url.replace(/\/graphql$/, '/data-version'))).json();
  expect(version).toEqual({ version: expect.any(String), settleMs: POLL_MS });

  const metrics = createMetrics('gateway', { defaultMetrics: false });
  const cache = useResponseCache({ ...DEFAULT_RESPONSE_CACHE, maxBytes: 2 ** 20 });
  const changes = useSubgraphChanges({ intervalMs: 100, onChange: (names) => cache.invalidate(names) });
  const { supergraphSdl } = composeSupergraph(localSubgraphSources([{ name: GRANTS.definition.serviceName, url }]));
  gateway = createGatewayServer({
    supergraph: supergraphSdl,
    plugins: [...standardPlugins({ metrics }), cache, changes],
    metrics,
    logger: createLogger('gateway', 'silent'),
  });
  const gatewayUrl = await gateway.http.listen(0, '127.0.0.1');
  expect(await ask(gatewayUrl)).toBe('eRA');

  const writtenAt = await writeWhileLagging('eRA renamed');
  const r = await watch(() => ask(gatewayUrl), 'eRA renamed', writtenAt);
  console.log(`replica lag, gateway cache: stale answers until ${r.lastStaleMs} ms, fresh from ${r.firstFreshMs} ms after the write`);
  // The lag was real: the old name was still served well after the gateway's first eviction (its poll is 100 ms), from the lagging replica.
  expect(r.lastStaleMs).toBeGreaterThan(300);
  // And it ended within the stated lag, twice over, plus the gateway's poll and a read: not after the answer's 30 s.
  expect(r.fresh).toBe(3);
  expect(r.firstFreshMs).toBeLessThan(SETTLE_FACTOR * POLL_MS + 1_500);
  expect(r.stableAfter).toBe(true);
});

test('the directory reads a marketplace again once its replicas have all seen a change, instead of keeping pages a lagging replica gave', async () => {
  const { url, writeWhileLagging } = await lagScenario();
  const [source] = marketplaceSources(() => url).filter((m) => m.name === GRANTS.definition.serviceName);
  const projection = new DirectoryProjection({ marketplaces: [source!], pollMs: 100, timeoutMs: 5_000, logger: createLogger('directory', 'silent') });
  await projection.poll();
  const era = () => projection.offerings().rows.find((r) => r.id === 'grm-era')!.name;
  expect(era()).toBe('eRA');
  const versionBefore = projection.version();
  const versions = new Map<string, string>();
  const writtenAt = await writeWhileLagging('eRA from another replica');
  const r = await watch(
    async () => {
      await projection.poll();
      versions.set(era(), projection.version());
      return era();
    },
    'eRA from another replica',
    writtenAt,
  );
  console.log(`replica lag, directory: stale rows until ${r.lastStaleMs} ms, fresh from ${r.firstFreshMs} ms after the write`);
  // The directory's own version moved with the change and again with the re-read, so a gateway evicts what it cached from either.
  expect(new Set([versionBefore, versions.get('eRA'), versions.get('eRA from another replica')]).size).toBe(3);
  // And it states its own replicas' lag: one poll, then the marketplace's settling re-read.
  expect(projection.settleMs()).toBe(100 + SETTLE_FACTOR * POLL_MS);
  expect(r.lastStaleMs).toBeGreaterThan(300);
  expect(r.fresh).toBe(3);
  expect(r.firstFreshMs).toBeLessThan(SETTLE_FACTOR * POLL_MS + 1_500);
  expect(r.stableAfter).toBe(true);
});
