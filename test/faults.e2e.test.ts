import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createLogger } from '@qsmo/service-kit/logger';
import { createMetrics, type Metrics } from '@qsmo/service-kit/metrics';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { createMongoClient, servingDb } from '@qsmo/service-kit/mongo';
import type { MongoClient } from 'mongodb';
import { composeSupergraph, localSubgraphSources } from '../gateway/src/compose';
import { resiliencePlugins, standardPlugins } from '../gateway/src/plugins';
import { useOperationLimits } from '../gateway/src/plugins/operation-limits';
import { DEFAULT_OPERATION_LIMITS } from '@qsmo/service-kit/limits';
import type { ResilienceConfig } from '../gateway/src/resilience-config';
import { createGatewayServer, type GatewayServer } from '../gateway/src/server';
import { SUBGRAPHS } from '../gateway/src/subgraphs';
import type { DrainOptions } from '@qsmo/service-kit/http/service';
import { openSeededDatabase, testMongoUri, type TestDatabase } from './support/db';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy';
import { DOMAINS } from './support/graph';
import type { SubgraphServer } from '@qsmo/subgraph-kit/subgraph/server';

/**
 * Fault tests: real servers over loopback, faults injected by TCP proxies in
 * front of the Grants subgraph and of its database (hung as a SIGSTOP'd
 * process looks from outside, slow, killed), the gateway with its production
 * resilience plugins. Each test asserts answers within the deadline, partial
 * data from the healthy areas, bounded connections and full recovery, and
 * logs its figures (`FAULT …` lines) for the resilience reference (docs/reference/resilience.md).
 */
jest.setTimeout(60_000);

const GRANTS = 'grants-management';
const MAX_SOCKETS = 4;
const RESILIENCE: Partial<ResilienceConfig> = {
  subgraphTimeoutMs: 3_000,
  requestDeadlineMs: 4_500,
  circuitFailureThreshold: 5,
  circuitHalfOpenAfterMs: 1_000,
  maxSocketsPerSubgraph: MAX_SOCKETS,
  healthIntervalMs: 300,
};
const PORTFOLIO = fs.readFileSync(path.join(REPO_ROOT, 'gateway/operations/agency-portfolio.graphql'), 'utf8');
const NOT_GRANTS = '{ financialManagement { offerings(first: 1) { totalCount } } cybersecurity { offerings(first: 1) { totalCount } } }';

interface Answer {
  status: number;
  ms: number;
  body: any;
  headers: Headers;
}

async function ask(url: string, query: string, variables?: Record<string, unknown>): Promise<Answer> {
  const started = Date.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = await res.json().catch(() => undefined);
  return { status: res.status, ms: Date.now() - started, body, headers: res.headers };
}
const portfolio = (url: string) => ask(url, PORTFOLIO, { code: '075' });
const errorCodes = (a: Answer) => ((a.body?.errors ?? []) as any[]).map((e) => `${e.extensions?.code}:${e.extensions?.serviceName ?? ''}`);
const figure = (name: string, facts: Record<string, unknown>) => process.stdout.write(`FAULT ${name} ${JSON.stringify(facts)}\n`);

const databases: TestDatabase[] = [];
const subgraphs: Record<string, { server: SubgraphServer; url: string }> = {};
let httpProxy: FaultProxy;
let dbProxy: FaultProxy;
let grantsClient: MongoClient;
let grantsDb: TestDatabase;
let supergraphSdl: string;
let gateway: GatewayServer;
let gatewayUrl: string;

async function startGrants(): Promise<{ server: SubgraphServer; url: string }> {
  const domain = DOMAINS.find((d) => d.definition.serviceName === GRANTS)!;
  // The Grants subgraph reaches its database through the fault proxy, with the serving timeout production uses.
  const server = domain.createServer({ db: servingDb(grantsClient, grantsDb.db.databaseName, 2_000), metrics: grantsDb.metrics });
  const url = await server.http.listen(0, '127.0.0.1');
  return { server, url };
}

async function startGateway(options: { drain?: DrainOptions; metrics?: Metrics } = {}): Promise<{ gateway: GatewayServer; url: string }> {
  const metrics = options.metrics ?? createMetrics('gateway', { defaultMetrics: false });
  const g = createGatewayServer({
    supergraph: supergraphSdl,
    plugins: [...standardPlugins({ metrics }), ...resiliencePlugins({ ...RESILIENCE, metrics }), useOperationLimits(DEFAULT_OPERATION_LIMITS)],
    metrics,
    logger: createLogger('gateway', 'silent'),
    drain: options.drain,
  });
  return { gateway: g, url: await g.http.listen(0, '127.0.0.1') };
}

/** Waits until the portfolio answers whole again, and says how long that took. */
async function recovered(url: string, withinMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < withinMs) {
    const a = await portfolio(url);
    if (a.status === 200 && !a.body.errors) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the portfolio did not answer whole within ${withinMs} ms`);
}

/** After recovery, a run of requests (two clients, in steady use) all answered whole. */
async function noFailuresAfter(url: string, count = 10): Promise<void> {
  const answers: Answer[] = [];
  await Promise.all(
    [0, 1].map(async () => {
      for (let i = 0; i < count / 2; i++) answers.push(await portfolio(url));
    }),
  );
  expect(answers.filter((a) => a.status !== 200 || a.body.errors).map((a) => `${a.status} ${a.ms}ms ${errorCodes(a).join(',')}`)).toEqual([]);
}

beforeAll(async () => {
  const mongo = new URL(testMongoUri());
  dbProxy = await startFaultProxy(Number(mongo.port));
  await Promise.all(
    DOMAINS.map(async ({ definition, createServer }) => {
      const database = await openSeededDatabase(definition);
      databases.push(database);
      if (definition.serviceName === GRANTS) {
        grantsDb = database;
        const proxied = new URL(testMongoUri());
        proxied.host = dbProxy.address;
        grantsClient = createMongoClient(proxied.toString(), { appName: 'faults-grants' });
        await grantsClient.connect();
        subgraphs[GRANTS] = await startGrants();
        return;
      }
      const server = createServer({ db: database.db, metrics: database.metrics });
      subgraphs[definition.serviceName] = { server, url: await server.http.listen(0, '127.0.0.1') };
    }),
  );
  httpProxy = await startFaultProxy(Number(new URL(subgraphs[GRANTS]!.url).port));
  supergraphSdl = composeSupergraph(
    localSubgraphSources(
      SUBGRAPHS.map((s) => ({
        name: s.name,
        area: s.area,
        url: s.name === GRANTS ? `http://${httpProxy.address}/graphql` : subgraphs[s.name]!.url,
      })),
    ),
  ).supergraphSdl;
  ({ gateway, url: gatewayUrl } = await startGateway());
  await recovered(gatewayUrl, 10_000);
});

afterEach(async () => {
  httpProxy.setMode({ kind: 'pass' });
  dbProxy.setMode({ kind: 'pass' });
});

afterAll(async () => {
  await gateway?.http.stop();
  for (const s of Object.values(subgraphs)) await s.server.http.stop();
  await grantsClient?.close();
  await httpProxy?.close();
  await dbProxy?.close();
  for (const d of databases) await d.drop();
});

test('a hung subgraph: the portfolio answers within the deadline with the other areas and SUBGRAPH_TIMEOUT; other queries stay fast; sockets bounded; recovery after resume', async () => {
  const rss = process.memoryUsage().rss;
  await recovered(gatewayUrl, 10_000);
  httpProxy.resetPeak();
  httpProxy.setMode({ kind: 'hang' });
  const started = Date.now();
  // 24 portfolio requests over about 3 s, 8 at a time, while other queries run beside them.
  const hung: Answer[] = [];
  const fast: Answer[] = [];
  await Promise.all([
    ...Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 3; i++) hung.push(await portfolio(gatewayUrl));
    }),
    (async () => {
      while (Date.now() - started < 3_000) fast.push(await ask(gatewayUrl, NOT_GRANTS));
    })(),
  ]);
  const worst = Math.max(...hung.map((a) => a.ms));
  expect(worst).toBeLessThan(5_000);
  for (const a of hung) {
    expect(a.status).toBe(200);
    expect(a.body.data.agency.name).toBe('Department of Health and Human Services');
    expect(a.body.data.agency.humanResources.offerings.length).toBeGreaterThan(0);
    expect(a.body.data.agency.grantsManagement).toBeNull();
    expect(errorCodes(a).every((c) => c === `SUBGRAPH_TIMEOUT:${GRANTS}` || c === `SUBGRAPH_UNAVAILABLE:${GRANTS}`)).toBe(true);
  }
  expect(errorCodes(hung[0]!)).toContain(`SUBGRAPH_TIMEOUT:${GRANTS}`);
  expect(hung[0]!.body.errors[0].message).toContain('Grants Management');
  // Once the circuit is open, the Grants part fails at once.
  const open = hung.filter((a) => errorCodes(a).includes(`SUBGRAPH_UNAVAILABLE:${GRANTS}`));
  expect(open.length).toBeGreaterThan(0);
  const fastWorst = Math.max(...fast.map((a) => a.ms));
  expect(fast.every((a) => a.status === 200 && !a.body.errors)).toBe(true);
  // Everything (gateway, four subgraphs, the test's clients) shares one event loop here: a bound, not the normal latency.
  expect(fastWorst).toBeLessThan(1_500);
  const fastMedian = [...fast].map((a) => a.ms).sort((x, y) => x - y)[Math.floor(fast.length / 2)];
  const ready = (await (await fetch(gatewayUrl.replace(/graphql$/, 'health/ready'))).json()) as any;
  expect(ready.degraded).toContain('Grants Management');
  expect(await (await fetch(gatewayUrl.replace(/graphql$/, 'metrics'))).text()).toMatch(
    /gateway_subgraph_circuit_state\{[^}]*subgraph="grants-management"[^}]*\} [12]/,
  );
  const peak = httpProxy.connections().peak;
  // The socket cap, plus the health probe's own connection.
  expect(peak).toBeLessThanOrEqual(MAX_SOCKETS + 2);
  const gatewayConnections = await new Promise<number>((resolve) => gateway.http.server.getConnections((_e, n) => resolve(n)));
  httpProxy.setMode({ kind: 'pass' });
  const recovery = await recovered(gatewayUrl, 10_000);
  await noFailuresAfter(gatewayUrl);
  const rssGrowthMb = Math.round((process.memoryUsage().rss - rss) / 1e6);
  expect(rssGrowthMb).toBeLessThan(150);
  figure('subgraph-hung', {
    requests: hung.length,
    worstMs: worst,
    timeouts: hung.length - open.length,
    failedFast: open.length,
    otherQueries: fast.length,
    otherWorstMs: fastWorst,
    otherMedianMs: fastMedian,
    peakSubgraphSockets: peak,
    gatewayClientConnections: gatewayConnections,
    recoveryMs: recovery,
    rssGrowthMb,
  });
});

test('a slow subgraph (4 s per answer): answers in bounded time with SUBGRAPH_TIMEOUT, then recovery', async () => {
  // A fresh circuit: wait until the previous test's probe closed it.
  await recovered(gatewayUrl, 10_000);
  httpProxy.setMode({ kind: 'delay', ms: 4_000 });
  const answers = await Promise.all(Array.from({ length: 6 }, () => portfolio(gatewayUrl)));
  const worst = Math.max(...answers.map((a) => a.ms));
  expect(worst).toBeLessThan(5_000);
  for (const a of answers) {
    expect(a.body.data.agency.humanResources).not.toBeNull();
    expect(errorCodes(a)).toContain(`SUBGRAPH_TIMEOUT:${GRANTS}`);
  }
  httpProxy.setMode({ kind: 'pass' });
  const recovery = await recovered(gatewayUrl, 10_000);
  await noFailuresAfter(gatewayUrl);
  figure('subgraph-slow', { requests: answers.length, delayMs: 4_000, worstMs: worst, recoveryMs: recovery });
});

test('a killed subgraph: SUBGRAPH_UNAVAILABLE at once, the rest answers; a restarted one is used again within seconds', async () => {
  await recovered(gatewayUrl, 10_000);
  await subgraphs[GRANTS]!.server.http.stop();
  const answers: Answer[] = [];
  for (let i = 0; i < 10; i++) answers.push(await portfolio(gatewayUrl));
  const worst = Math.max(...answers.map((a) => a.ms));
  expect(worst).toBeLessThan(1_500);
  for (const a of answers) {
    expect(a.body.data.agency.cybersecurity).not.toBeNull();
    expect(errorCodes(a)).toEqual([`SUBGRAPH_UNAVAILABLE:${GRANTS}`]);
  }
  subgraphs[GRANTS] = await startGrants();
  httpProxy.setTarget(Number(new URL(subgraphs[GRANTS]!.url).port));
  const recovery = await recovered(gatewayUrl, 10_000);
  await noFailuresAfter(gatewayUrl);
  figure('subgraph-killed', { requests: answers.length, worstMs: worst, recoveryMs: recovery });
});

test('a hung database: every request answers within its deadline with a clear error; readiness 503 within a second; the gateway names the degraded area', async () => {
  await recovered(gatewayUrl, 10_000);
  dbProxy.setMode({ kind: 'hang' });
  const answers = await Promise.all(Array.from({ length: 6 }, () => portfolio(gatewayUrl)));
  const worst = Math.max(...answers.map((a) => a.ms));
  // What each answer was, for a failure's message: a slow one says whether it waited on a subgraph, a joined query or neither.
  const seen = answers.map((a) => `${a.status} ${a.ms} ms ${errorCodes(a).join(',') || 'whole'}`);
  if (worst >= 5_000) throw new Error(`an answer took ${worst} ms, past the 4.5 s request deadline; the six answers: ${seen.join('; ')}`);
  for (const a of answers) {
    expect(a.status).toBe(200);
    expect(a.body.errors.length).toBeGreaterThan(0);
    expect(errorCodes(a).every((c) => /^(DATABASE_UNAVAILABLE|SUBGRAPH_TIMEOUT|SUBGRAPH_UNAVAILABLE)/.test(c))).toBe(true);
  }
  const probeStarted = Date.now();
  const probe = await fetch(subgraphs[GRANTS]!.url.replace(/graphql$/, 'health/ready'));
  const probeMs = Date.now() - probeStarted;
  expect(probe.status).toBe(503);
  expect(probeMs).toBeLessThan(1_000);
  let degraded: string[] = [];
  const watchStarted = Date.now();
  while (!degraded.includes('Grants Management') && Date.now() - watchStarted < 5_000) {
    degraded = ((await (await fetch(gatewayUrl.replace(/graphql$/, 'health/ready'))).json()) as any).degraded;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(degraded).toEqual(['Grants Management']);
  const reportedMs = Date.now() - watchStarted;
  dbProxy.setMode({ kind: 'pass' });
  const recovery = await recovered(gatewayUrl, 15_000);
  await noFailuresAfter(gatewayUrl);
  figure('database-hung', {
    requests: answers.length,
    worstMs: worst,
    codes: [...new Set(answers.flatMap(errorCodes))],
    readinessMs: probeMs,
    gatewayReportedDegradedMs: reportedMs,
    recoveryMs: recovery,
  });
});

test('load shedding: past MAX_IN_FLIGHT requests get 503 with Retry-After at once instead of queuing', async () => {
  await recovered(gatewayUrl, 10_000);
  const small = await startGateway({ drain: { maxInFlight: 3 } });
  try {
    // One answered request first: a fresh gateway's first plan and compiled
    // code would otherwise hold the event loop while the burst arrives, and
    // the shed answers would wait for that, not for the hung subgraph.
    expect((await portfolio(small.url)).status).toBe(200);
    httpProxy.setMode({ kind: 'hang' });
    const answers = await Promise.all(Array.from({ length: 12 }, () => portfolio(small.url)));
    const shed = answers.filter((a) => a.status === 503);
    const served = answers.filter((a) => a.status === 200);
    expect(shed.length).toBeGreaterThanOrEqual(6);
    // "At once" means without waiting for the hung subgraph: every shed answer
    // comes well inside the admitted requests' subgraph deadline, and before
    // any admitted request is answered.
    const firstServedMs = Math.min(...served.map((a) => a.ms));
    for (const a of shed) {
      expect(a.headers.get('retry-after')).toBe('1');
      expect(a.ms).toBeLessThan(1_000);
      expect(a.ms).toBeLessThan(firstServedMs);
      expect(a.body.errors[0].message).toMatch(/limit of 3 requests in flight/);
    }
    figure('load-shedding', {
      requests: answers.length,
      shed: shed.length,
      shedWorstMs: Math.max(...shed.map((a) => a.ms)),
      servedWorstMs: Math.max(...served.map((a) => a.ms)),
    });
  } finally {
    httpProxy.setMode({ kind: 'pass' });
    await small.gateway.http.stop();
  }
});

test('slow-loris clients: headers a byte at a time and a stalled body are cut in seconds while others are served', async () => {
  const guarded = await startGateway({ drain: { requestTimeoutMs: 2_000, headersTimeoutMs: 1_000 } });
  const port = Number(new URL(guarded.url).port);
  try {
    const closedAfter = (send: (socket: net.Socket) => void) =>
      new Promise<{ ms: number; reply: string }>((resolve) => {
        const started = Date.now();
        let reply = '';
        const socket = net.connect(port, '127.0.0.1', () => send(socket));
        socket.on('data', (d) => {
          reply += d.toString();
        });
        socket.on('close', () => resolve({ ms: Date.now() - started, reply }));
        socket.on('error', () => undefined);
      });
    const dribble = closedAfter((socket) => {
      const text = 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n';
      let i = 0;
      const timer = setInterval(() => {
        if (socket.destroyed || i >= text.length) return clearInterval(timer);
        socket.write(text[i++]!);
      }, 200);
    });
    const stalled = closedAfter((socket) =>
      socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"query":'),
    );
    const served = await ask(guarded.url, NOT_GRANTS);
    expect(served.status).toBe(200);
    const [d, s] = await Promise.all([dribble, stalled]);
    expect(d.ms).toBeLessThan(3_000);
    expect(s.ms).toBeLessThan(4_000);
    expect(s.reply).toMatch(/^HTTP\/1\.1 408/);
    figure('slow-loris', { headerDribbleClosedMs: d.ms, stalledBodyClosedMs: s.ms, stalledBodyStatus: s.reply.split('\r\n')[0], otherClientMs: served.ms });
  } finally {
    await guarded.gateway.http.stop();
  }
});

test('a very deep query and a huge id get short, clean errors', async () => {
  const deep = `{ ${'agency(code: "075") { '.repeat(1)}${'a { '.repeat(20_000)}b${' }'.repeat(20_000)} }`;
  const a = await ask(gatewayUrl, deep);
  expect(a.status).toBe(400);
  expect(JSON.stringify(a.body)).not.toMatch(/call stack/i);
  // Sent to a subgraph directly, the document is refused and the subgraph keeps serving.
  const direct = await ask(subgraphs['cybersecurity']!.url, deep);
  expect(direct.status).toBe(400);
  expect(direct.body.errors[0].message).toMatch(/nests brackets more than 64 levels deep/);
  expect(JSON.stringify(direct.body)).not.toMatch(/call stack/i);
  expect((await ask(gatewayUrl, NOT_GRANTS)).body.errors).toBeUndefined();
  const huge = await ask(gatewayUrl, '{ provider(id: $id) { name } }'.replace('$id', JSON.stringify('x'.repeat(900_000))));
  expect(JSON.stringify(huge.body).length).toBeLessThan(1_000);
  figure('deep-and-huge', {
    deepStatus: a.status,
    deepMessage: a.body.errors[0].message.slice(0, 120),
    subgraphDeepStatus: direct.status,
    subgraphDeepMessage: direct.body.errors[0].message.slice(0, 120),
    hugeIdResponseBytes: JSON.stringify(huge.body).length,
  });
});

test('gateway drain under 20 concurrent clients: no request is reset', async () => {
  const draining = await startGateway();
  let served = 0;
  let refused = 0;
  const resets: string[] = [];
  let stopAt = 0;
  const client = async () => {
    for (;;) {
      try {
        const res = await fetch(draining.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: NOT_GRANTS }) });
        await res.text();
        if (res.status === 200) served++;
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        if (cause?.code === 'ECONNREFUSED') {
          refused++;
          return;
        }
        resets.push(`${cause?.code ?? ''} ${cause?.message ?? (error as Error).message}`);
        if (Date.now() > stopAt && stopAt) return;
      }
    }
  };
  const clients = Array.from({ length: 20 }, client);
  await new Promise((r) => setTimeout(r, 1_000));
  stopAt = Date.now();
  const before = served;
  await draining.gateway.http.stop();
  const drainMs = Date.now() - stopAt;
  await Promise.all(clients);
  // Connections on which a request was sent are never reset. One that the kernel completed in the
  // listen backlog at the very moment the listener closes can be (the operating system resets it);
  // DRAIN_DELAY_MS with a load balancer that watches readiness keeps clients from connecting then.
  expect(resets.length).toBeLessThanOrEqual(1);
  expect(refused).toBe(20);
  figure('gateway-drain', { clients: 20, servedBeforeStop: before, servedInAll: served, resets: resets.length, refusedAfterClose: refused, drainMs });
});
