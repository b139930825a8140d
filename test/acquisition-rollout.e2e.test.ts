import { parse } from 'graphql';
import { SUBGRAPHS, subgraphNamed } from '@qsmo/service-kit/subgraphs';
import { subgraphSdl } from '@qsmo/subgraph-kit/subgraph/schema';
import { type SubgraphServer } from '@qsmo/subgraph-kit/subgraph/server';
import { readAgencies, readOfferings } from '@qsmo/catalog';
import { testPort } from './support/ports';
import { spawnTs, type TsProcess } from './support/service-process';
import { checkSubgraphs } from '@qsmo/registry/check';
import { publishSubgraphs } from '@qsmo/registry/publish';
import { SchemaRegistry } from '@qsmo/registry/store';
import { openSeededDatabase, openTestDatabase, testMongoUri, uniqueDbName, type TestDatabase } from './support/db';
import { DOMAINS } from './support/graph';
import { post } from './support/graphql';

/**
 * The fifth QSMO shipped the way a team ships: into a running graph whose
 * gateway (a real process following the schema registry)
 * serves a steady stream of queries. The subgraph runs as its own process
 * and goes through the real `schema:check` and `schema:publish` commands.
 *
 * The order is the one composition imposes: QsmoDomain is an input and an
 * output type, so every subgraph must carry the same values. The list entry
 * regenerates every subgraph's schema with ACQUISITION; those four redeploy
 * next to the running ones and publish together, then the Acquisition team
 * checks and publishes. Checked before that step, its schema does not compose.
 */
jest.setTimeout(150_000);

const POLL_MS = 200;
const CLIENTS = 4;
const ACQUISITION = subgraphNamed('acquisition');
const OTHERS = DOMAINS.filter((d) => d.definition.serviceName !== ACQUISITION.name);
const BEFORE = SUBGRAPHS.filter((s) => s.name !== ACQUISITION.name);
const GRANTS_OFFERINGS = readOfferings('GRANTS_MANAGEMENT').length;
const AGENCY_CODES = readAgencies().map((a) => a.code);

type Child = TsProcess;
const children: Child[] = [];
const servers: SubgraphServer[] = [];
const databases: TestDatabase[] = [];
let registryDb: TestDatabase;
let registry: SchemaRegistry;
let gateway: Child;
let gatewayUrl: string;
let acquisitionUrl: string;
const acquisitionDatabase = uniqueDbName('rollout_acquisition');
/** The four subgraphs as deployed before the list gained ACQUISITION. */
let beforeServers: SubgraphServer[] = [];
/** What the rollout is doing, recorded with any failed request. */
let phase = 'before';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startProcess(entry: string, env: NodeJS.ProcessEnv, readyText: string): Promise<Child> {
  const started = spawnTs(entry, [], env);
  children.push(started);
  const deadline = Date.now() + 90_000;
  while (!started.output().includes(readyText)) {
    if (started.child.exitCode !== null || Date.now() > deadline) throw new Error(`${entry} did not start:\n${started.output()}`);
    await sleep(100);
  }
  return started;
}

/** A schema command of the acquisition package, as `npm run schema:<command> -w subgraphs/acquisition` runs it. */
async function schemaCommand(command: 'check' | 'publish', args: string[]): Promise<{ code: number | null; output: string }> {
  const run = spawnTs(`subgraphs/${ACQUISITION.name}/src/schema-cli.ts`, [command, ...args], {
    REGISTRY_MONGODB_URI: testMongoUri(),
    REGISTRY_DATABASE: registryDb.db.databaseName,
    LOG_LEVEL: 'warn',
  });
  const code = await new Promise<number | null>((resolve) => run.child.once('exit', resolve));
  return { code, output: run.output() };
}

async function startOthers(sdlFor: (index: number) => string | undefined): Promise<{ name: string; url: string; sdl: string; server: SubgraphServer }[]> {
  return Promise.all(
    OTHERS.map(async ({ definition, createServer }, i) => {
      const sdl = sdlFor(i) ?? subgraphSdl(definition.entry);
      const server = createServer({ db: databases[i]!.db, typeDefs: parse(sdl) });
      servers.push(server);
      return { name: definition.serviceName, url: await server.http.listen(0, '127.0.0.1'), sdl, server };
    }),
  );
}

async function servedVersion(): Promise<number | undefined> {
  const res = await fetch(gatewayUrl.replace(/\/graphql$/, '/health/ready')).catch(() => undefined);
  return res?.ok ? ((await res.json()) as { supergraph?: { version?: number } }).supergraph?.version : undefined;
}

/**
 * Clients each sending one query after another, an agency at a time across
 * the four marketplaces that run from the start. Every answer must be a 200
 * with the agency and the Grants total, and no error.
 */
function steadyLoad(clients: number) {
  const query = `query($code: ID!) { agency(code: $code) { code financialManagement { offerings { id } } humanResources { offerings { id } }
    grantsManagement { offerings { id provider { name } } } cybersecurity { offerings { id } } } grantsManagement { offerings(first: 1) { totalCount } } }`;
  let running = true;
  let ok = 0;
  let next = 0;
  const failures: string[] = [];
  const workers = Array.from({ length: clients }, async () => {
    while (running) {
      const code = AGENCY_CODES[next++ % AGENCY_CODES.length]!;
      try {
        const r = await post(gatewayUrl, query, { code });
        if (r.status === 200 && !r.errors && r.data?.agency?.code === code && r.data.grantsManagement.offerings.totalCount === GRANTS_OFFERINGS) ok++;
        else failures.push(`${phase}: ${r.status} ${JSON.stringify(r.errors ?? r.data)}`);
      } catch (error) {
        failures.push(`${phase}: ${String(error)}`);
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
  databases.push(...(await Promise.all(OTHERS.map(({ definition }) => openSeededDatabase(definition)))));
  registryDb = await openTestDatabase('rollout_registry');
  registry = new SchemaRegistry(registryDb.db);
  // The graph before the list gained ACQUISITION: four subgraphs whose QsmoDomain has four values.
  const before = await startOthers((i) => subgraphSdl(OTHERS[i]!.definition.entry, undefined, BEFORE));
  const first = await publishSubgraphs(
    registry,
    before.map(({ name, url, sdl }) => ({ name, url, sdl })),
    { publisher: 'platform' },
  );
  expect(first.status).toBe('published');
  const [port, acquisitionPort] = [await testPort(), await testPort()];
  acquisitionUrl = `http://127.0.0.1:${acquisitionPort}/graphql`;
  // The Acquisition team may deploy before anything routes to it; both processes start side by side.
  const acquisitionStarted = startProcess(
    `subgraphs/${ACQUISITION.name}/src/index.ts`,
    {
      NODE_ENV: 'development',
      MONGODB_URI: testMongoUri(),
      MONGODB_DATABASE: acquisitionDatabase,
      SEED_ON_START: 'always',
      PORT: String(acquisitionPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
    'subgraph ready at',
  );
  gateway = await startProcess(
    'gateway/src/index.ts',
    {
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      GATEWAY_WORKERS: '1',
      SUPERGRAPH_SOURCE: 'registry',
      REGISTRY_MONGODB_URI: testMongoUri(),
      REGISTRY_DATABASE: registryDb.db.databaseName,
      REGISTRY_POLL_INTERVAL_MS: String(POLL_MS),
      MONGODB_URI: testMongoUri(),
      // Every request reaches the subgraphs, and the load is not throttled.
      RESPONSE_CACHE: 'off',
      RATE_LIMIT_ANONYMOUS: '0',
      // The machine running the tests is shared: a slow answer is not what this test is about.
      SUBGRAPH_TIMEOUT_MS: '30000',
      REQUEST_DEADLINE_MS: '40000',
    },
    'gateway ready at',
  );
  gatewayUrl = `http://127.0.0.1:${port}/graphql`;
  await acquisitionStarted;
  beforeServers = before.map((b) => b.server);
});

afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.child.exitCode === null ? new Promise((r) => c.child.once('exit', r)) : undefined)));
  for (const server of servers) await server.http.stop().catch(() => undefined);
  await registryDb.client
    .db(acquisitionDatabase)
    .dropDatabase()
    .catch(() => undefined);
  for (const d of databases) await d.drop();
  await registryDb.drop();
});

test("GSA's Acquisition QSMO joins the running graph through schema:check and schema:publish: no gateway restart, zero failed requests", async () => {
  const gatewayPid = gateway.child.pid;
  const started = Date.now();
  const at: string[] = [];
  const mark = (what: string) => at.push(`${what} +${Date.now() - started} ms`);
  const load = steadyLoad(CLIENTS);
  await sleep(500);

  // Checked against the graph as it runs, the new schema does not compose: the others' QsmoDomain lacks ACQUISITION.
  const early = await checkSubgraphs(registry, [{ name: ACQUISITION.name, url: 'http://127.0.0.1:1/graphql', sdl: subgraphSdl(ACQUISITION) }]);
  expect(early.passed).toBe(false);
  expect(early.compositionErrors.join('\n')).toMatch(/QsmoDomain/);

  phase = 'step 1: the four regenerated schemas deploy and publish';
  // 1. The four subgraphs' regenerated schemas (ACQUISITION added: a dangerous change, not a breaking one) deploy next to the running ones and publish together.
  const regenerated = await startOthers(() => undefined);
  const step1 = await publishSubgraphs(
    registry,
    regenerated.map(({ name, url, sdl }) => ({ name, url, sdl })),
    { publisher: 'platform' },
  );
  expect(step1.status).toBe('published');
  if (step1.status !== 'published') return;
  expect(step1.report.subgraphs.flatMap((s) => s.breaking)).toEqual([]);
  const deadline1 = Date.now() + 15_000;
  while ((await servedVersion()) !== step1.supergraph.version && Date.now() < deadline1) await sleep(100);
  expect(await servedVersion()).toBe(step1.supergraph.version);
  // Requests planned on the previous supergraph may still fetch from the old deployments: retire them a little later (they drain).
  mark('four regenerated subgraphs served');
  phase = 'step 1: the old deployments retire';
  await sleep(2_000);
  await Promise.all(beforeServers.map((s) => s.http.stop()));
  phase = 'step 2: acquisition checks';

  // 2. The Acquisition team, its subgraph deployed as its own process (started with the gateway), checks and publishes.
  const routingUrl = acquisitionUrl;
  const check = await schemaCommand('check', ['--url', routingUrl]);
  expect(check.output).toMatch(/acquisition: first publish, checked against supergraph v\d+\./);
  expect(check.output).toContain('Composition: passed.');
  expect(check.output).toMatch(/PASSED\.\n/);
  expect(check.code).toBe(0);
  mark('schema:check passed');
  const okAtCheck = load.ok;
  phase = 'step 2: acquisition publishes';

  const publish = await schemaCommand('publish', ['--url', routingUrl, '--publisher', 'acquisition-team']);
  expect(publish.code).toBe(0);
  const published = /Published acquisition v1 as acquisition-team: supergraph v(\d+) \(([^)]*)\)/.exec(publish.output);
  expect(published).not.toBeNull();
  const target = Number(published![1]);
  expect(published![2]).toContain('acquisition v1');
  const publishedAt = Date.now();
  mark('schema:publish recorded');

  // Several answers in a row: the switch holds.
  const fieldQuery = '{ acquisition { capability(code: "ACQ.020") { name children { code } } } }';
  let inARow = 0;
  let switchMs = -1;
  while (inARow < 6 && Date.now() - publishedAt < 15_000) {
    const r = await post(gatewayUrl, fieldQuery);
    if (!r.errors && r.data?.acquisition?.capability) {
      if (switchMs < 0) switchMs = Date.now() - publishedAt;
      inARow++;
    } else inARow = 0;
    await sleep(50);
  }
  expect(inARow).toBe(6);
  mark('acquisition served');
  expect(await servedVersion()).toBe(target);

  const done = await post(
    gatewayUrl,
    `{
    agency(code: "047") { ledQsmos { domain } }
    qsmo(domain: ACQUISITION) { scope contactEmail designation { phase since } }
    acquisition { capability(code: "ACQ.020") { name children { code } } }
  }`,
  );
  expect(done.errors).toBeUndefined();
  expect(done.data.agency.ledQsmos).toEqual([{ domain: 'ACQUISITION' }]);
  expect(done.data.qsmo).toEqual({
    scope: ['Acquisition Systems', 'Assisted Acquisition'],
    contactEmail: 'AcquisitionQSMO@gsa.gov',
    designation: { phase: 'PRE_DESIGNATED', since: '2026-04-29' },
  });
  expect(done.data.acquisition.capability.children).toHaveLength(8);
  phase = 'after';

  await sleep(500);
  const result = await load.stop();
  expect(result.failures).toEqual([]);
  // The load spanned the first switch, the old deployments' retirement, the check, the publish and the second switch.
  expect(okAtCheck).toBeGreaterThan(0);
  expect(result.ok).toBeGreaterThan(okAtCheck);
  expect(gateway.child.pid).toBe(gatewayPid);
  expect(gateway.child.exitCode).toBeNull();
  const switches = gateway
    .output()
    .split('\n')
    .filter((l) => l.includes(`to v${target} (`) && l.includes('switched from supergraph'));
  expect(switches.length).toBeGreaterThan(0);
  expect(switches[0]).toMatch(/changed: acquisition\)/);
  process.stdout.write(
    `${publish.output.trim()}\n${switches[0]!.trim()}\n` +
      `acquisition rollout: ${result.ok} requests from ${CLIENTS} clients across both switches, 0 failed; ACQ.020 served ${switchMs} ms after the publish\n` +
      `timeline: ${at.join('; ')}\n`,
  );
});
