import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DEV_AUDIENCE, DEV_ISSUER, ensureDevKeys, mintDevToken, type DevKeys } from '@qsmo/shared/dev/dev-keys';
import { CatalogStore } from '@qsmo/shared/domain/changes';
import { startGraph, type RunningGraph } from './support/graph';
import { requestOnce, startGatewayProcess, type GatewayProcess } from './support/gateway-process';
import { isRefusal, sseSubscribe, wsConnect, type HeldSubscription, type LiveSocket, type Received } from './support/live-clients';

process.env.APOLLO_TELEMETRY_DISABLED = '1';

/**
 * Subscription.catalogChanged at real gateway processes (the entry point,
 * with workers) in front of real subgraphs on their databases, over both
 * transports the contract names: GraphQL over SSE (distinct connections)
 * and graphql-transport-ws.
 */
const GRANTS = 'grants-management';
const OFFERING = 'grm-era';
const provenance = { sources: [{ title: 'Subscriptions test', url: 'https://example.gov/subscriptions' }], verification: 'UNVERIFIED' };
const RENAME = `mutation Rename($input: UpdateGrantsManagementOfferingInput!) {
  updateGrantsManagementOffering(input: $input) { offering { version name } userErrors { code message } }
}`;
/** The offering's provider's marketplaceCount is the directory's: a field another subgraph owns. */
const CHANGED = `subscription Changed($domains: [QsmoDomain!]) {
  catalogChanged(domains: $domains) {
    domain offeringId mutation version at
    offering { id name provider { id name marketplaceCount } }
  }
}`;

let graph: RunningGraph;
let keys: DevKeys;
let editor: string;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  const secret = randomBytes(32).toString('hex');
  graph = await startGraph({ subgraph: { gatewaySignature: { secret, required: true } }, readModel: true });
  keys = await ensureDevKeys(path.join(os.tmpdir(), `qsmo-subs-keys-${randomBytes(4).toString('hex')}`));
  keys.signingSecret = secret;
  editor = await mintDevToken(keys, { subject: 'grm-editor@hhs.gov', roles: ['editor'], qsmos: ['GRANTS_MANAGEMENT'], ttl: '30m' });
}, 120_000);

afterAll(async () => {
  for (const g of gateways) await g.stop();
  await graph?.stop();
  fs.rmSync(path.dirname(keys.jwksFile), { recursive: true, force: true });
});

async function startGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const gateway = await startGatewayProcess(graph, {
    GATEWAY_SIGNING_SECRET: keys.signingSecret, AUTH_JWKS_FILE: keys.jwksFile, AUTH_ISSUER: DEV_ISSUER, AUTH_AUDIENCE: DEV_AUDIENCE,
    SUBSCRIPTIONS_FEED_WAIT_MS: '10000', ...env,
  });
  gateways.push(gateway);
  return gateway;
}

/** The offering's current version, read through the gateway. */
async function versionOf(base: string, id = OFFERING): Promise<number> {
  const answer = await requestOnce(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ grantsManagement { offering(id: "${id}") { version } } }` }) });
  return JSON.parse(answer.body).data.grantsManagement.offering.version as number;
}

/** Renames the offering through the gateway on a connection of its own (so successive renames reach different workers); resolves with the new version and when the answer came. */
async function rename(base: string, name: string): Promise<{ version: number; answeredAt: number }> {
  const version = await versionOf(base);
  const answer = await requestOnce(`${base}/graphql`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${editor}` },
    body: JSON.stringify({ query: RENAME, variables: { input: { id: OFFERING, version, name, provenance } } }),
  });
  const answeredAt = performance.now();
  const body = JSON.parse(answer.body);
  expect(body.data.updateGrantsManagementOffering.userErrors).toEqual([]);
  return { version: body.data.updateGrantsManagementOffering.offering.version, answeredAt };
}

const eventOf = (r: Received) => r.payload.data?.catalogChanged;
const metric = (text: string, name: string, labels = ''): number =>
  text.split('\n').filter((l) => l.startsWith(`${name}{`) && l.includes(labels)).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);

describe('two gateway workers', () => {
  let gateway: GatewayProcess;
  beforeAll(async () => { gateway = await startGateway({ GATEWAY_WORKERS: '2', RESPONSE_CACHE: 'on' }); }, 60_000);

  test('SSE and WebSocket subscribers on either worker get each mutation made through any worker within 2 s, with a field another subgraph owns; other marketplaces\' subscribers get none', async () => {
    const url = `${gateway.base}/graphql`;
    const sse: HeldSubscription[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await sseSubscribe(url, CHANGED, { domains: ['GRANTS_MANAGEMENT'] }, i % 2 ? { authorization: `Bearer ${editor}` } : {});
      if (isRefusal(s)) throw new Error(`SSE subscription refused: ${JSON.stringify(s)}`);
      sse.push(s);
    }
    const sockets: LiveSocket[] = [];
    for (let i = 0; i < 2; i++) sockets.push(await wsConnect(`ws://127.0.0.1:${gateway.port}/graphql`, i ? `Bearer ${editor}` : undefined));
    const ws = sockets.map((s) => s.subscribe(CHANGED, {}));
    const cyber = await sseSubscribe(url, CHANGED, { domains: ['CYBERSECURITY'] });
    if (isRefusal(cyber)) throw new Error('refused');
    // Both workers hold subscriptions: the primary hands connections to them in turn.
    await new Promise((r) => setTimeout(r, 300));

    const latencies: number[] = [];
    for (let round = 1; round <= 3; round++) {
      const name = `eRA live ${round} ${randomBytes(2).toString('hex')}`;
      const { version, answeredAt } = await rename(gateway.base, name);
      for (const s of [...sse, ...ws]) {
        const got = await s.waitFor((r) => eventOf(r)?.version === version, 2_000);
        latencies.push(got.at - answeredAt);
        expect(got.payload.errors).toBeUndefined();
        expect(eventOf(got)).toMatchObject({
          domain: 'GRANTS_MANAGEMENT', offeringId: OFFERING, mutation: 'updateGrantsManagementOffering', version,
          offering: { id: OFFERING, name, provider: { id: expect.any(String), name: expect.any(String), marketplaceCount: expect.any(Number) } },
        });
        expect(Date.parse(eventOf(got).at)).not.toBeNaN();
      }
    }
    // Measured, not asserted beyond the 2 s above: how long after the mutation's answer each subscriber had the event.
    latencies.sort((a, b) => a - b);
    console.log(`catalogChanged after a mutation: p50 ${latencies[Math.floor(latencies.length / 2)]!.toFixed(0)} ms, max ${latencies.at(-1)!.toFixed(0)} ms over ${latencies.length} deliveries`);
    expect(cyber.received).toEqual([]);

    const metrics = await (await fetch(`${gateway.base}/metrics`)).text();
    expect(metric(metrics, 'gateway_subscriptions_active')).toBe(7);
    expect(metric(metrics, 'gateway_subscription_events_delivered_total', 'transport="sse"')).toBeGreaterThanOrEqual(12);
    expect(metric(metrics, 'gateway_subscription_events_delivered_total', 'transport="websocket"')).toBeGreaterThanOrEqual(6);
    for (const s of [...sse, cyber]) s.close();
    for (const s of sockets) await s.dispose();
  }, 60_000);

  test('a change made elsewhere (written straight into the marketplace\'s database, as an import does) reaches subscribers within 5 s', async () => {
    const sse = await sseSubscribe(`${gateway.base}/graphql`, CHANGED);
    if (isRefusal(sse)) throw new Error('refused');
    const socket = await wsConnect(`ws://127.0.0.1:${gateway.port}/graphql`);
    const ws = socket.subscribe(CHANGED, { domains: ['GRANTS_MANAGEMENT', 'HUMAN_RESOURCES'] });
    await new Promise((r) => setTimeout(r, 300));
    const store = new CatalogStore({ db: graph.subgraphs[GRANTS]!.database.db });
    const { version } = await store.current(OFFERING);
    const name = `eRA imported ${randomBytes(2).toString('hex')}`;
    const result = await store.write({
      offeringId: OFFERING, expectedVersion: version, mutation: 'catalog:import', actor: { subject: 'import-test', issuer: null },
      sources: [{ key: 'subscriptions-test', title: 'Subscriptions test', url: 'https://example.gov/subscriptions' }], verification: 'UNVERIFIED',
      compute: (before) => ({ offering: { ...before!.offering, name }, listings: before!.listings }),
    });
    expect('change' in result).toBe(true);
    const written = performance.now();
    for (const s of [sse, ws]) {
      const got = await s.waitFor((r) => eventOf(r)?.version === version + 1, 5_000);
      console.log(`catalogChanged after a direct write: ${(got.at - written).toFixed(0)} ms`);
      expect(eventOf(got)).toMatchObject({ mutation: 'catalog:import', offeringId: OFFERING, offering: { name, provider: { marketplaceCount: expect.any(Number) } } });
    }
    sse.close();
    await socket.dispose();
  }, 30_000);
});

describe('one gateway process', () => {
  let gateway: GatewayProcess;
  const wsUrl = () => `ws://127.0.0.1:${gateway.port}/graphql`;
  beforeAll(async () => { gateway = await startGateway({ GATEWAY_WORKERS: '1', SUBSCRIPTIONS_MAX_PER_CLIENT: '3' }); }, 60_000);

  test('a subscription sent as a plain POST is refused with 400 naming the SSE and WebSocket endpoints', async () => {
    const answer = await requestOnce(`${gateway.base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: CHANGED }) });
    expect(answer.status).toBe(400);
    const body = JSON.parse(answer.body);
    expect(body.errors[0].extensions.code).toBe('SUBSCRIPTIONS_NOT_SUPPORTED');
    expect(body.errors[0].message).toMatch(/"Accept: text\/event-stream".*WebSocket to \/graphql with the graphql-transport-ws subprotocol/);
  });

  test('authenticated like queries: a bad token is 401 over SSE and closes the WebSocket with 4401; the subscriber\'s identity decides what each event may read', async () => {
    const bad = await sseSubscribe(`${gateway.base}/graphql`, CHANGED, {}, { authorization: 'Bearer not-a-token' });
    expect(isRefusal(bad) && bad.status).toBe(401);
    expect(isRefusal(bad) && bad.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const refused = await wsConnect(wsUrl(), 'Bearer not-a-token');
    const closed = await refused.closed;
    expect(closed.code).toBe(4401);
    expect(closed.reason).toMatch(/token/i);
    await refused.dispose();

    // An offering's history needs an editor or analyst: the editor's events carry it, the anonymous reader's say FORBIDDEN.
    const HISTORY = 'subscription { catalogChanged(domains: [GRANTS_MANAGEMENT]) { version offering { ... on GrantsManagementOffering { history { version } } } } }';
    const editorSocket = await wsConnect(wsUrl(), `Bearer ${editor}`);
    const asEditor = editorSocket.subscribe(HISTORY);
    const asAnonymous = await sseSubscribe(`${gateway.base}/graphql`, HISTORY);
    if (isRefusal(asAnonymous)) throw new Error('refused');
    await new Promise((r) => setTimeout(r, 200));
    const { version } = await rename(gateway.base, `eRA auth ${randomBytes(2).toString('hex')}`);
    const editors = await asEditor.waitFor((r) => r.payload.data?.catalogChanged?.version === version, 2_000);
    expect(editors.payload.errors).toBeUndefined();
    expect(editors.payload.data.catalogChanged.offering.history.at(-1).version).toBe(version);
    const anonymous = await asAnonymous.waitFor((r) => r.payload.data?.catalogChanged?.version === version, 2_000);
    expect(anonymous.payload.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    asAnonymous.close();
    await editorSocket.dispose();
  }, 30_000);

  test('per-client limit: the fourth subscription of one client is refused naming SUBSCRIPTIONS_MAX_PER_CLIENT (SSE 429, WebSocket error); ending one frees its place', async () => {
    const socket = await wsConnect(wsUrl());
    const held = [socket.subscribe(CHANGED), socket.subscribe(CHANGED)];
    const third = await sseSubscribe(`${gateway.base}/graphql`, CHANGED);
    if (isRefusal(third)) throw new Error(`refused: ${JSON.stringify(third)}`);
    await new Promise((r) => setTimeout(r, 200));
    const overSse = await sseSubscribe(`${gateway.base}/graphql`, CHANGED);
    expect(isRefusal(overSse) && overSse.status).toBe(429);
    expect(isRefusal(overSse) && overSse.body.errors[0]).toMatchObject({ extensions: { code: 'SUBSCRIPTION_LIMIT_EXCEEDED' }, message: expect.stringContaining('SUBSCRIPTIONS_MAX_PER_CLIENT=3') });
    const overWs = socket.subscribe(CHANGED);
    await overWs.done;
    expect(JSON.stringify(overWs.error)).toMatch(/SUBSCRIPTIONS_MAX_PER_CLIENT=3/);
    // A signed-in caller is counted by subject, not by address: the editor may still subscribe.
    const editorSse = await sseSubscribe(`${gateway.base}/graphql`, CHANGED, {}, { authorization: `Bearer ${editor}` });
    expect(isRefusal(editorSse)).toBe(false);
    (editorSse as HeldSubscription).close();

    third.close();
    await new Promise((r) => setTimeout(r, 300));
    const again = await sseSubscribe(`${gateway.base}/graphql`, CHANGED);
    expect(isRefusal(again)).toBe(false);
    (again as HeldSubscription).close();
    for (const h of held) h.close();
    await socket.dispose();
  }, 30_000);

  test('SIGTERM: each SSE stream gets `complete` and ends, each WebSocket operation completes and its socket closes with 1001; the process exits 0', async () => {
    const sse = await sseSubscribe(`${gateway.base}/graphql`, CHANGED);
    if (isRefusal(sse)) throw new Error('refused');
    const socket = await wsConnect(wsUrl());
    const ws = socket.subscribe(CHANGED);
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    gateway.child.kill('SIGTERM');
    await Promise.all([sse.done, ws.done]);
    expect(sse.completed).toBe(true);
    expect(ws.completed).toBe(true);
    expect((await socket.closed).code).toBe(1001);
    expect(await gateway.exited).toBe(0);
    // Well inside the drain timeout (10 s): nothing waited on the streams.
    expect(Date.now() - started).toBeLessThan(8_000);
  }, 30_000);
});
