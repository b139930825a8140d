import { parse } from 'graphql';
import { createLogger, type Logger } from '@qsmo/service-kit/logger';
import { createSubgraphServer, type SubgraphServer } from '@qsmo/subgraph-kit/subgraph/server';
import { subgraphSdl } from '@qsmo/subgraph-kit/subgraph/schema';
import { publishSubgraphs } from '@qsmo/registry/publish';
import { SchemaRegistry } from '@qsmo/registry/store';
import { testPort } from './support/ports';
import type { OfferingDoc } from '@qsmo/subgraph-kit/domain/data';
import { RegistrySupergraphManager } from '../gateway/src/registry-manager';
import { createGatewayServer, SUPERGRAPH_VERSION_HEADER, type GatewayServer } from '../gateway/src/server';
import { definition as grants } from '../subgraphs/grants-management/src/definition';
import { openSeededDatabase, openTestDatabase, type TestDatabase } from './support/db';
import { DOMAINS } from './support/graph';
import { post } from './support/graphql';

/**
 * The gateway following the schema registry, over real HTTP: it waits for a
 * first supergraph, switches to a newly published one under load without a
 * failed request or a restart, and keeps the last good supergraph while a
 * published subgraph does not answer.
 */
const POLL_MS = 200;

interface Running {
  server: SubgraphServer;
  database: TestDatabase;
  url: string;
}
const subgraphs: Record<string, Running> = {};
const extraServers: SubgraphServer[] = [];
let registryDb: TestDatabase;
let registry: SchemaRegistry;
let manager: RegistrySupergraphManager;
let gateway: GatewayServer;
let gatewayPort: number;
let gatewayListening: Promise<string>;
const logs: string[] = [];

const gatewayUrl = () => `http://localhost:${gatewayPort}/graphql`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function capturingLogger(): Logger {
  const at =
    (level: string) =>
    (message?: unknown, ...rest: unknown[]) => {
      logs.push(`${level} ${[message, ...rest].map(String).join(' ')}`);
    };
  return { debug: () => undefined, info: at('info'), warn: at('warn'), error: at('error') };
}

async function readiness(): Promise<{ status: number; body: any }> {
  const res = await fetch(gatewayUrl().replace(/\/graphql$/, '/health/ready'));
  return { status: res.status, body: await res.json() };
}

/** The grants schema plus offering fields, each with a description and a resolver. */
function grantsVersion(fields: Record<string, { description: string; type: string; resolve: (doc: OfferingDoc) => unknown }>) {
  const added = Object.entries(fields)
    .map(([name, f]) => `  "${f.description}"\n  ${name}: ${f.type}\n`)
    .join('');
  const sdl = subgraphSdl(grants.entry).replace('  "Its website."\n  website: String\n', (m) => `${m}${added}`);
  const addedResolvers = Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, f.resolve]));
  // The new version of the package: its resolvers plus those of the added fields.
  const resolvers = { ...grants.resolvers, GrantsManagementOffering: { ...grants.resolvers.GrantsManagementOffering, ...addedResolvers } };
  return { sdl, definition: { ...grants, resolvers } };
}
const CUSTOMER_COUNT = { description: 'Number of agencies listed as its customers.', type: 'Int!', resolve: (doc: OfferingDoc) => doc.customerCodes.length };
const PARTNER_COUNT = {
  description: 'Number of organisations partnering with the provider on it.',
  type: 'Int!',
  resolve: (doc: OfferingDoc) => doc.partnerIds.length,
};

async function startGrants(version: ReturnType<typeof grantsVersion>, port = 0): Promise<string> {
  const server = createSubgraphServer({ definition: version.definition, db: subgraphs[grants.serviceName]!.database.db, typeDefs: parse(version.sdl) });
  extraServers.push(server);
  return server.http.listen(port, '127.0.0.1');
}

/**
 * Steady load: `loops` clients each sending one query after another. Every
 * response must be a 200 with the expected data and no errors.
 */
function steadyLoad(loops: number) {
  const query = `{ agency(code: "075") { name grantsManagement { offerings { id name provider { name } } } }
    grantsManagement { offerings(first: 3) { totalCount } } }`;
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const workers = Array.from({ length: loops }, async () => {
    while (running) {
      try {
        const r = await post(gatewayUrl(), query);
        if (r.status === 200 && !r.errors && r.data?.agency?.grantsManagement?.offerings?.length > 0 && r.data.grantsManagement.offerings.totalCount === 15)
          ok++;
        else failures.push(`${r.status} ${JSON.stringify(r.errors ?? r.data)}`);
      } catch (error) {
        failures.push(String(error));
      }
    }
  });
  return {
    get ok() {
      return ok;
    },
    async stop() {
      running = false;
      await Promise.all(workers);
      return { ok, failures };
    },
  };
}

beforeAll(async () => {
  await Promise.all(
    DOMAINS.map(async ({ definition, createServer }) => {
      const database = await openSeededDatabase(definition);
      const server = createServer({ db: database.db });
      subgraphs[definition.serviceName] = { server, database, url: await server.http.listen(0, '127.0.0.1') };
    }),
  );
  registryDb = await openTestDatabase('registry-e2e');
  registry = new SchemaRegistry(registryDb.db);
  manager = new RegistrySupergraphManager({ registry, logger: capturingLogger(), pollIntervalMs: POLL_MS });
  gateway = createGatewayServer({ supergraph: manager, supergraphStatus: () => manager.status(), logger: createLogger('gateway', 'silent') });
  gatewayPort = await testPort();
  // The registry is still empty: listening succeeds, readiness waits for a first publish.
  gatewayListening = gateway.http.listen(gatewayPort, '127.0.0.1');
});

afterAll(async () => {
  await gatewayListening.catch(() => undefined);
  await gateway.http.stop();
  for (const server of extraServers) await server.http.stop();
  for (const s of Object.values(subgraphs)) {
    await s.server.http.stop();
    await s.database.drop();
  }
  await registryDb.drop();
});

test('on an empty registry the gateway is live but not ready, and becomes ready on the first publish', async () => {
  for (let i = 0; i < 50; i++) {
    try {
      await fetch(gatewayUrl().replace(/\/graphql$/, '/health/live'));
      break;
    } catch {
      await sleep(20);
    }
  }
  expect((await fetch(gatewayUrl().replace(/\/graphql$/, '/health/live'))).status).toBe(200);
  expect(await readiness()).toMatchObject({ status: 503, body: { status: 'starting' } });
  expect((await post(gatewayUrl(), '{ qsmos { domain } }')).status).toBe(503);
  // Said once the manager's first read of the registry is back, which on a busy machine can come after the listener.
  const said = /no supergraph is published in the registry .* yet/;
  for (const until = Date.now() + 10_000; !said.test(logs.join('\n')) && Date.now() < until; ) await sleep(50);
  expect(logs.join('\n')).toMatch(said);

  const published = await publishSubgraphs(
    registry,
    DOMAINS.map(({ definition: d }) => ({
      name: d.serviceName,
      url: subgraphs[d.serviceName]!.url,
      sdl: subgraphSdl(d.entry),
    })),
    { publisher: 'registry-e2e' },
  );
  expect(published.status).toBe('published');
  await gatewayListening;
  expect(await readiness()).toMatchObject({ status: 200, body: { status: 'ready', supergraph: { source: 'registry', version: 1 } } });
  const r = await post(gatewayUrl(), '{ qsmos { domain } }');
  expect(r.errors).toBeUndefined();
  expect(r.data.qsmos).toHaveLength(DOMAINS.length);
});

test('a subgraph adds a field and publishes: served within seconds, zero failed requests, no gateway restart', async () => {
  const fieldQuery = '{ grantsManagement { offering(id: "grm-grantsolutions") { id listedAgencyCount } } }';
  const before = await post(gatewayUrl(), fieldQuery);
  expect(before.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  const servedBefore = manager.servedVersion!;

  const load = steadyLoad(20);
  // The load is under way before anything changes: some of it answered (on a busy machine the first answers take a while).
  const loadStarted = Date.now();
  while (load.ok < 20 && Date.now() - loadStarted < 10_000) await sleep(50);
  // v2 of the subgraph is deployed next to v1, on a new address, then published.
  const v2 = grantsVersion({ listedAgencyCount: CUSTOMER_COUNT });
  const v2Url = await startGrants(v2);
  const published = await publishSubgraphs(registry, [{ name: grants.serviceName, url: v2Url, sdl: v2.sdl }], { publisher: 'grants-team' });
  expect(published.status).toBe('published');
  const target = published.status === 'published' ? published.supergraph.version : -1;
  const okAtPublish = load.ok;

  const publishedAt = Date.now();
  let after = before;
  while (Date.now() - publishedAt < 5_000) {
    after = await post(gatewayUrl(), fieldQuery);
    if (!after.errors) break;
    await sleep(50);
  }
  const switchMs = Date.now() - publishedAt;
  expect(after.errors).toBeUndefined();
  expect(after.data.grantsManagement.offering.listedAgencyCount).toBeGreaterThan(0);
  expect(switchMs).toBeLessThan(5_000);
  expect(manager.servedVersion).toBe(target);
  const okAtSwitch = load.ok;
  expect(await readiness()).toMatchObject({ status: 200, body: { supergraph: { version: target } } });
  const res = await fetch(gatewayUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ qsmos { domain } }' }),
  });
  expect(res.headers.get(SUPERGRAPH_VERSION_HEADER)).toBe(String(target));

  // v1 is retired under load once the gateway routes to v2; it drains what it still has.
  await sleep(300);
  await subgraphs[grants.serviceName]!.server.http.stop();
  await sleep(500);
  const result = await load.stop();
  expect(result.failures).toEqual([]);
  // The load really spanned the publish, the switch and v1's retirement.
  expect(okAtPublish).toBeGreaterThan(0);
  expect(result.ok).toBeGreaterThan(okAtSwitch);
  expect(gateway.http.state).toBe('ready');
  expect(logs.join('\n')).toMatch(new RegExp(`switched from supergraph v${servedBefore} to v${target}`));
  process.stdout.write(`rollout: new field served ${switchMs} ms after publish; ${result.ok} requests, 0 failed\n`);
});

test('a published subgraph that does not answer leaves the previous supergraph in service until it does', async () => {
  const served = manager.servedVersion!;
  const port = await testPort();
  const v3 = grantsVersion({ listedAgencyCount: CUSTOMER_COUNT, partnerCount: PARTNER_COUNT });
  const published = await publishSubgraphs(registry, [{ name: grants.serviceName, url: `http://127.0.0.1:${port}/graphql`, sdl: v3.sdl }], {
    publisher: 'grants-team',
  });
  // The registry records what the team declares; the gateway decides whether it can serve it.
  expect(published.status).toBe('published');
  const target = published.status === 'published' ? published.supergraph.version : -1;

  const load = steadyLoad(5);
  await sleep(8 * POLL_MS);
  expect(manager.servedVersion).toBe(served);
  const old = await post(gatewayUrl(), '{ grantsManagement { offering(id: "grm-grantsolutions") { listedAgencyCount } } }');
  expect(old.errors).toBeUndefined();
  const missing = await post(gatewayUrl(), '{ grantsManagement { offering(id: "grm-grantsolutions") { partnerCount } } }');
  expect(missing.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  const status = await readiness();
  expect(status).toMatchObject({ status: 200, body: { supergraph: { version: served, pending: { version: target } } } });
  expect(status.body.supergraph.pending.reason).toMatch(/grants-management/);
  // Said once, not at every poll.
  const warnings = logs.filter((l) => l.startsWith('warn') && l.includes(`not serving supergraph v${target}`));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(new RegExp(`Still serving v${served}`));

  // Once the subgraph answers at the published address, the gateway switches on its own.
  await startGrants(v3, port);
  const upAt = Date.now();
  while (manager.servedVersion !== target && Date.now() - upAt < 5_000) await sleep(50);
  expect(manager.servedVersion).toBe(target);
  const now = await post(gatewayUrl(), '{ grantsManagement { offering(id: "grm-grantsolutions") { partnerCount listedAgencyCount } } }');
  expect(now.errors).toBeUndefined();
  const result = await load.stop();
  expect(result.failures).toEqual([]);
});

test('a gateway started after an unhealthy publish serves the newest supergraph whose subgraphs answer', async () => {
  const good = manager.servedVersion!;
  const v4 = grantsVersion({
    listedAgencyCount: CUSTOMER_COUNT,
    partnerCount: PARTNER_COUNT,
    sourceCount: {
      description: 'Number of sources the listing cites.',
      type: 'Int!',
      resolve: (doc: OfferingDoc) => doc.sources.length,
    },
  });
  const published = await publishSubgraphs(registry, [{ name: grants.serviceName, url: `http://127.0.0.1:${await testPort()}/graphql`, sdl: v4.sdl }], {
    publisher: 'grants-team',
  });
  const bad = published.status === 'published' ? published.supergraph.version : -1;

  // A second gateway, as when the fleet scales out: it must agree with the running one.
  const secondManager = new RegistrySupergraphManager({ registry, logger: capturingLogger(), pollIntervalMs: POLL_MS });
  const second = createGatewayServer({ supergraph: secondManager, supergraphStatus: () => secondManager.status(), logger: createLogger('gateway', 'silent') });
  const url = await second.http.listen(0, '127.0.0.1');
  try {
    expect(secondManager.servedVersion).toBe(good);
    expect(secondManager.status().pending).toMatchObject({ version: bad, reason: expect.stringMatching(/grants-management/) });
    const r = await post(url, '{ grantsManagement { offering(id: "grm-grantsolutions") { partnerCount } } }');
    expect(r.errors).toBeUndefined();
    expect(logs.join('\n')).toMatch(new RegExp(`serving v${good}, the newest whose subgraphs all answer`));
    expect(manager.servedVersion).toBe(good);
  } finally {
    await second.http.stop();
  }
});
