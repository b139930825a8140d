import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { publishSubgraphs } from '@qsmo/registry/publish';
import { SchemaRegistry } from '@qsmo/registry/store';
import { subgraphSdl } from '@qsmo/subgraph-kit/subgraph/schema';
import { subgraphNamed } from '@qsmo/service-kit/subgraphs';
import { testMongoUri, uniqueDbName } from './support/db';
import { getOnce, requestOnce } from './support/gateway-process';
import { startServiceProcess, stopServiceProcess, type ServiceProcess } from './support/service-process';
import { createTestIdentityProvider, TEST_AUDIENCE, TEST_ISSUER, type TestIdentityProvider } from './support/identity-provider';

/**
 * The graph as Kubernetes runs it: two gateway processes following the
 * schema registry and two replicas of one subgraph behind one address (a
 * round-robin proxy standing in for the Service), all on one database. The
 * figures each test prints are the ones docs/operators.md states.
 */
jest.setTimeout(300_000);

const GRANTS = subgraphNamed('grants-management');
const SECRET = 'r'.repeat(64);
/** The bound a write may stay invisible on another replica: one read-model poll (READ_MODEL_POLL_MS) plus the time of the reads on a busy machine. */
const POLL_MS = 500;
const STALE_BOUND_MS = POLL_MS + 2_500;
const ANONYMOUS_PER_MINUTE = 6;
const PROVENANCE = {
  sources: [{ title: 'Grants QSMO marketplace, federal shelf', url: 'https://www.usaspending.gov/grants-qsmo/marketplace' }],
  verification: 'CONFIRMED',
};

/** The Service in front of the replicas: round-robin over the upstreams that accept a connection, as kube-proxy over ready endpoints. */
function roundRobin(upstreams: () => number[]): Promise<{ port: number; close: () => Promise<void> }> {
  let next = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const ports = upstreams();
    const port = ports[next++ % ports.length]!;
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.on('close', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      }),
    ),
  );
}

interface Answer {
  status: number;
  body: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function gql(gateway: ServiceProcess, query: string, variables: Record<string, unknown> = {}, bearer?: string): Promise<Answer> {
  const res = await requestOnce(`http://127.0.0.1:${gateway.port}/graphql`, {
    method: 'POST',
    body: JSON.stringify({ query, variables }),
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
  });
  return { status: res.status, body: JSON.parse(res.body) as Answer['body'] };
}

const ok = (a: Answer) => a.status === 200 && a.body.errors === undefined && a.body.data !== undefined;
const READ = `query Offering($id: ID!) { grantsManagement { offering(id: $id) { id name version } } }`;
const UPDATE = `mutation Update($input: UpdateGrantsManagementOfferingInput!) {
  updateGrantsManagementOffering(input: $input) { offering { id name version } userErrors { field message code currentVersion } }
}`;

let idp: TestIdentityProvider;
let registryClient: MongoClient;
let registry: SchemaRegistry;
let proxy: { port: number; close: () => Promise<void> };
const replicas: ServiceProcess[] = [];
let gateways: ServiceProcess[] = [];
let alive: number[] = [];
const extraProxies: { close: () => Promise<void> }[] = [];
let dir: string;
const databaseName = uniqueDbName('replicas_grants');
const registryDatabase = uniqueDbName('replicas_registry');
const figures: Record<string, unknown> = {};

async function readyVersion(g: ServiceProcess): Promise<number | undefined> {
  const r = await getOnce(`http://127.0.0.1:${g.port}/health/ready`).catch(() => undefined);
  if (!r || r.status !== 200) return undefined;
  const body = JSON.parse(r.body) as { supergraph?: { version?: number }; supergraphVersion?: number };
  return body.supergraph?.version ?? body.supergraphVersion;
}

beforeAll(async () => {
  idp = await createTestIdentityProvider();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-replicas-'));
  const jwksFile = path.join(dir, 'jwks.json');
  fs.writeFileSync(jwksFile, JSON.stringify({ keys: [idp.jwk] }));
  const subgraphEnv = {
    MONGODB_URI: testMongoUri(),
    MONGODB_DATABASE: databaseName,
    GATEWAY_SIGNING_SECRET: SECRET,
    REQUIRE_GATEWAY_SIGNATURE: 'true',
    // The read model is off by default on a real MongoDB; switched on here, because whether replicas' caches agree is what this test is for.
    READ_MODEL: 'on',
    READ_MODEL_POLL_MS: String(POLL_MS),
  };
  // The first replica seeds; the second starts on the seeded database, as a scaled-up Deployment's pod does.
  replicas.push(await startServiceProcess('grants-1', `subgraphs/${GRANTS.name}/src/index.ts`, subgraphEnv));
  replicas.push(await startServiceProcess('grants-2', `subgraphs/${GRANTS.name}/src/index.ts`, subgraphEnv));
  alive = replicas.map((r) => r.port);
  proxy = await roundRobin(() => alive);
  registryClient = new MongoClient(testMongoUri());
  registry = new SchemaRegistry(registryClient.db(registryDatabase));
  const first = await publishSubgraphs(registry, [{ name: GRANTS.name, url: `http://127.0.0.1:${proxy.port}/graphql`, sdl: subgraphSdl(GRANTS) }], {
    publisher: 'replicas-test',
  });
  expect(first.status).toBe('published');
  const gatewayEnv = {
    SUPERGRAPH_SOURCE: 'registry',
    SUPERGRAPH_PATH: '',
    REGISTRY_MONGODB_URI: testMongoUri(),
    REGISTRY_DATABASE: registryDatabase,
    REGISTRY_POLL_INTERVAL_MS: '500',
    GATEWAY_SIGNING_SECRET: SECRET,
    AUTH_JWKS_FILE: jwksFile,
    AUTH_ISSUER: TEST_ISSUER,
    AUTH_AUDIENCE: TEST_AUDIENCE,
    GATEWAY_WORKERS: '1',
    RATE_LIMIT_ANONYMOUS: String(ANONYMOUS_PER_MINUTE),
    RATE_LIMIT_EDITOR: '0',
    RATE_LIMIT_ANALYST: '0',
    IDE_ENABLED: 'false',
    MCP_ENABLED: 'false',
  };
  gateways = await Promise.all([
    startServiceProcess('gateway-a', 'gateway/src/index.ts', gatewayEnv),
    startServiceProcess('gateway-b', 'gateway/src/index.ts', gatewayEnv),
  ]);
  const probe = await gql(
    gateways[0]!,
    `{ grantsManagement { offerings(first: 1) { edges { node { id } } } } }`,
    {},
    await idp.token('analyst@gsa.gov', ['analyst']),
  );
  offeringId = probe.body.data?.grantsManagement?.offerings?.edges?.[0]?.node?.id;
  expect(typeof offeringId).toBe('string');
}, 300_000);

afterAll(async () => {
  process.stdout.write(`replica figures: ${JSON.stringify(figures)}\n`);
  for (const p of [...gateways, ...replicas]) await stopServiceProcess(p, 15_000);
  await proxy?.close();
  for (const p of extraProxies) await p.close();
  await registryClient
    ?.db(registryDatabase)
    .dropDatabase()
    .catch(() => undefined);
  const data = new MongoClient(testMongoUri());
  await data
    .db(databaseName)
    .dropDatabase()
    .catch(() => undefined);
  await data.close();
  await registryClient?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Sends `query` through both gateways in turn until stop() (as an authenticated reader, so no rate limit applies), counting failures. */
function load(token: string) {
  let running = true;
  const result = { sent: 0, failed: 0, failures: [] as string[] };
  const loop = async (g: ServiceProcess) => {
    while (running) {
      result.sent++;
      try {
        const a = await gql(g, READ, { id: offeringId }, token);
        if (!(a.status === 200 && a.body.errors === undefined)) {
          result.failed++;
          result.failures.push(`${g.name}: ${a.status} ${JSON.stringify(a.body.errors)}`);
        }
      } catch (error) {
        result.failed++;
        result.failures.push(`${g.name}: ${(error as Error).message}`);
      }
    }
  };
  const done = Promise.all(gateways.flatMap((g) => [loop(g), loop(g)]));
  return {
    result,
    stop: async () => {
      running = false;
      await done;
      return result;
    },
  };
}

let offeringId: string;

test('a schema published once reaches both gateways, with no failed request while they switch', async () => {
  const reader = await idp.token('analyst@gsa.gov', ['analyst']);
  const before = await Promise.all(gateways.map(readyVersion));
  const traffic = load(reader);
  // The same SDL at a second address of the same Service: a new supergraph version every gateway must load.
  const second = await roundRobin(() => alive);
  extraProxies.push(second);
  try {
    const published = await publishSubgraphs(registry, [{ name: GRANTS.name, url: `http://127.0.0.1:${second.port}/graphql`, sdl: subgraphSdl(GRANTS) }], {
      publisher: 'replicas-test',
    });
    expect(published.status).toBe('published');
    if (published.status !== 'published') return;
    const target = published.supergraph.version;
    const started = Date.now();
    const reached: number[] = [];
    while (Date.now() - started < 30_000) {
      const versions = await Promise.all(gateways.map(readyVersion));
      versions.forEach((v, i) => {
        if (v === target && reached[i] === undefined) reached[i] = Date.now() - started;
      });
      if (versions.every((v) => v === target)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const result = await traffic.stop();
    figures.schemaConvergeMs = reached;
    figures.schemaSwitchRequests = result;
    expect(before.every((v) => v !== target)).toBe(true);
    expect(reached.filter((ms) => ms !== undefined)).toHaveLength(2);
    expect(result.failures).toEqual([]);
    expect(result.sent).toBeGreaterThan(0);
  } finally {
    await traffic.stop();
  }
});

test(`a write through either gateway is read back through both, never stale past ${STALE_BOUND_MS} ms`, async () => {
  const editor = await idp.token('grm-editor@hhs.gov', ['editor'], ['GRANTS_MANAGEMENT']);
  const reader = await idp.token('analyst@gsa.gov', ['analyst']);
  const staleMs: number[] = [];
  for (let i = 0; i < 4; i++) {
    const writer = gateways[i % 2]!;
    // Warm every replica's read model with the current answer, so a stale one would be served.
    for (const g of gateways) for (let k = 0; k < 2; k++) await gql(g, READ, { id: offeringId }, reader);
    const current = await gql(writer, READ, { id: offeringId }, reader);
    const version = current.body.data.grantsManagement.offering.version as number;
    const name = `Replicated name ${i} ${Date.now()}`;
    const written = await gql(writer, UPDATE, { input: { id: offeringId, version, name, provenance: PROVENANCE } }, editor);
    const writtenAt = Date.now();
    expect(written.body.errors).toBeUndefined();
    expect(written.body.data.updateGrantsManagementOffering.userErrors).toEqual([]);
    for (const g of gateways) {
      // Several reads, so both replicas behind the Service answer at least once.
      let seenAt: number | undefined;
      let consecutive = 0;
      while (Date.now() - writtenAt < 10_000 && consecutive < 4) {
        const read = await gql(g, READ, { id: offeringId }, reader);
        if (ok(read) && read.body.data.grantsManagement.offering.name === name) {
          seenAt ??= Date.now();
          consecutive++;
        } else {
          seenAt = undefined;
          consecutive = 0;
        }
      }
      if (consecutive !== 4) {
        const last = await gql(g, READ, { id: offeringId }, reader);
        throw new Error(`${g.name} still answers ${JSON.stringify(last.body)} ${Date.now() - writtenAt} ms after ${writer.name} wrote "${name}"`);
      }
      staleMs.push(seenAt! - writtenAt);
    }
  }
  figures.staleReadMs = staleMs;
  expect(Math.max(...staleMs)).toBeLessThanOrEqual(STALE_BOUND_MS);
});

test(`rate limits are per gateway replica: ${ANONYMOUS_PER_MINUTE} anonymous requests a minute on each, so ${2 * ANONYMOUS_PER_MINUTE} across two`, async () => {
  const statuses = async (g: ServiceProcess, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await gql(g, READ, { id: offeringId })).status);
    return out;
  };
  const a = await statuses(gateways[0]!, ANONYMOUS_PER_MINUTE + 1);
  const b = await statuses(gateways[1]!, ANONYMOUS_PER_MINUTE + 1);
  figures.rateLimit = { a, b };
  // The earlier tests sent nothing anonymous: each gateway admits its own budget, then refuses.
  expect(a.slice(0, ANONYMOUS_PER_MINUTE).every((s) => s === 200)).toBe(true);
  expect(a[ANONYMOUS_PER_MINUTE]).toBe(429);
  expect(b.slice(0, ANONYMOUS_PER_MINUTE).every((s) => s === 200)).toBe(true);
  expect(b[ANONYMOUS_PER_MINUTE]).toBe(429);
});

test('a subgraph replica killed under load costs no failed request', async () => {
  const reader = await idp.token('analyst@gsa.gov', ['analyst']);
  const traffic = load(reader);
  await new Promise((r) => setTimeout(r, 2_000));
  const victim = replicas[1]!;
  victim.child.kill('SIGKILL');
  await victim.exited;
  const killedAt = Date.now();
  // The Service notices as kube-proxy does once readiness fails: until then connections to the dead replica are refused and retried.
  await new Promise((r) => setTimeout(r, 1_000));
  alive = [replicas[0]!.port];
  await new Promise((r) => setTimeout(r, 3_000));
  const result = await traffic.stop();
  figures.replicaKilled = { ...result, failures: result.failures.slice(0, 5), observedMsAfterKill: Date.now() - killedAt };
  expect(result.sent).toBeGreaterThan(20);
  expect(result.failures).toEqual([]);
});
