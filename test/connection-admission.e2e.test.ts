import fs from 'node:fs';
import { startGraph, type RunningGraph } from './support/graph';
import { getOnce, holdConnection, requestOnce, socketsOf, startGatewayProcess, type GatewayProcess, type Held } from './support/gateway-process';

process.env.APOLLO_TELEMETRY_DISABLED = '1';

/**
 * Connection exhaustion against the real gateway process over loopback: one
 * address opening thousands of keep-alive connections (each after one
 * `GET /health/live`, then held) no longer takes the process's file
 * descriptors; it keeps at most its per-client cap, and a client from
 * another address (127.0.0.2: Linux answers all of 127/8 on loopback) is
 * served promptly throughout. At the global cap, idle connections are
 * closed oldest first to make room, and only when every connection has a
 * request in progress is a new one refused.
 */
let graph: RunningGraph;
let gateway: GatewayProcess | undefined;

beforeAll(async () => {
  graph = await startGraph();
}, 60_000);
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});
afterAll(async () => {
  await graph?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function open(port: number, localAddress: string, request: string): Promise<Held> {
  const held = holdConnection(port, localAddress, request);
  await held.settled;
  return held;
}

const LIVE = 'GET /health/live HTTP/1.1\r\nHost: gateway\r\n\r\n';

/** `count` connections from one address, `concurrency` being opened at a time, each held after its answer. */
async function flood(port: number, localAddress: string, count: number, concurrency = 200): Promise<Held[]> {
  const held: Held[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        held.push(await open(port, localAddress, LIVE));
      }
    }),
  );
  return held;
}

/** A GraphQL request and a liveness probe from another address, each on a new connection, timed. */
async function otherClient(base: string): Promise<{ statuses: number[]; ms: number }> {
  const started = performance.now();
  const live = await getOnce(`${base}/health/live`, '127.0.0.2');
  const graphql = await requestOnce(`${base}/graphql`, {
    method: 'POST',
    body: '{"query":"{ __typename }"}',
    headers: { 'content-type': 'application/json' },
    localAddress: '127.0.0.2',
  });
  return { statuses: [live.status, graphql.status], ms: performance.now() - started };
}

async function shedCounts(base: string): Promise<Record<string, number>> {
  const text = (await getOnce(`${base}/metrics`, '127.0.0.2')).body;
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^http_connections_shed_total\{([^}]*)\} (\d+)$/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    counts[`${labels.cap}/${labels.action}`] = Number(m[2]);
  }
  return counts;
}

test("3,000 held keep-alive connections from one address, past the gateway's 2,048 descriptors: it keeps at most its cap, another address is served promptly throughout", async () => {
  const PER_CLIENT = 256;
  // The 20,000 connections against 20,000 descriptors, at a tenth of the scale.
  gateway = await startGatewayProcess(graph, {}, { fdLimit: 2_048 });
  expect(fs.readFileSync(`/proc/${gateway.child.pid}/limits`, 'utf8')).toMatch(/^Max open files\s+2048\s/m);
  const pid = gateway.child.pid!;
  const socketsBefore = socketsOf(pid);
  const started = performance.now();
  let flooding = true;
  const floodDone = flood(gateway.port, '127.0.0.1', 3_000).finally(() => {
    flooding = false;
  });
  const probes: { statuses: number[]; ms: number }[] = [];
  while (flooding) {
    probes.push(await otherClient(gateway.base));
    await sleep(100);
  }
  const held = await floodDone;
  const floodMs = performance.now() - started;
  await sleep(300);
  probes.push(await otherClient(gateway.base));

  const stillOpen = held.filter((h) => !h.closed).length;
  const answered = held.filter((h) => h.answered).length;
  const socketsAfter = socketsOf(pid);
  console.log(
    `flood: 3000 connections in ${floodMs.toFixed(0)} ms, ${answered} answered, ${stillOpen} still open; gateway sockets ${socketsBefore} before, ${socketsAfter} after; ` +
      `other client: ${probes.length} probes, slowest ${Math.max(...probes.map((p) => p.ms)).toFixed(0)} ms`,
  );

  expect(held).toHaveLength(3_000);
  // The flood keeps its cap's worth; everything beyond it was closed (its oldest idle ones first).
  expect(stillOpen).toBeLessThanOrEqual(PER_CLIENT);
  expect(stillOpen).toBeGreaterThan(PER_CLIENT / 2);
  expect(answered).toBeGreaterThan(2_000);
  // The gateway's descriptors stay bounded: its cap plus its own sockets to subgraphs.
  expect(socketsAfter - socketsBefore).toBeLessThanOrEqual(PER_CLIENT + 10);
  expect(probes.length).toBeGreaterThanOrEqual(2);
  for (const probe of probes) {
    expect(probe.statuses).toEqual([200, 200]);
    expect(probe.ms).toBeLessThan(1_000);
  }
  expect((await shedCounts(gateway.base))['client/evicted']).toBeGreaterThan(2_000);
  for (const h of held) h.socket.destroy();
}, 60_000);

test('at the global cap the oldest idle connection is closed for a new one; with every connection busy, the new one is refused at once', async () => {
  gateway = await startGatewayProcess(graph, { MAX_CONNECTIONS: '60', MAX_CONNECTIONS_PER_CLIENT: '40' });
  const { port, base } = gateway;
  // 60 idle keep-alive connections from two addresses, the first of them the oldest idle.
  const idle = [...(await flood(port, '127.0.0.3', 40, 1)), ...(await flood(port, '127.0.0.4', 20, 1))];
  expect(idle.every((h) => h.answered && !h.closed)).toBe(true);

  const started = performance.now();
  const served = await getOnce(`${base}/health/live`, '127.0.0.2');
  expect(served.status).toBe(200);
  expect(performance.now() - started).toBeLessThan(1_000);
  await sleep(200);
  // Exactly one made room, the one idle longest.
  expect(idle.map((h, i) => (h.closed ? i : -1)).filter((i) => i >= 0)).toEqual([0]);
  for (const h of idle) h.socket.destroy();
  await sleep(200);

  // 60 connections each in the middle of a request (headers sent, body not yet): none is idle.
  const BODY = '{"query":"{ __typename }"}';
  const partial = `POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY.slice(0, 5)}`;
  const busy = Array.from({ length: 60 }, (_, i) => holdConnection(port, i % 2 ? '127.0.0.3' : '127.0.0.4', partial, '"__typename":"Query"'));
  await sleep(500);
  expect(busy.filter((h) => h.closed || h.answered).length).toBe(0);

  const refusedAt = performance.now();
  const refused = await open(port, '127.0.0.2', LIVE);
  expect(refused.answered).toBe(false);
  expect(refused.closed).toBe(true);
  expect(performance.now() - refusedAt).toBeLessThan(1_000);

  // The requests finish; their connections turn idle and make room again.
  for (const h of busy) h.socket.write(BODY.slice(5));
  await Promise.all(busy.map((h) => h.settled));
  expect(busy.every((h) => h.answered)).toBe(true);
  expect((await getOnce(`${base}/health/live`, '127.0.0.2')).status).toBe(200);
  const counts = await shedCounts(base);
  expect(counts['global/evicted']).toBeGreaterThanOrEqual(2);
  expect(counts['global/refused']).toBeGreaterThanOrEqual(1);
  for (const h of busy) h.socket.destroy();
}, 60_000);
