import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DEV_AUDIENCE, DEV_ISSUER, ensureDevKeys, mintDevToken } from '@qsmo/dev-tools/dev-keys';
import { startGraph, type RunningGraph } from './support/graph';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy';

/**
 * Inbound in-flight deduplication in the gateway's own process (the entry
 * point's plugin list, INBOUND_DEDUP), over the real graph: the Grants
 * subgraph sits behind a proxy that holds each answer, so identical requests
 * sent together are certainly in flight together. What ran is read from the
 * gateway's /metrics (leaders executed, followers were answered by one) and
 * from the Grants subgraph's own /metrics (the operations it served).
 */
let graph: RunningGraph;
let proxy: FaultProxy;
let gateway: GatewayProcess | undefined;
let grantsDirect: string;
let editor: string;
let analyst: string;
const SECRET = randomBytes(32).toString('hex');

const PAGE = `query DedupPage { grantsManagement { offerings(first: 5) { totalCount edges { node { id name } } } } }`;
const RENAME = `mutation DedupRename($input: UpdateGrantsManagementOfferingInput!) { updateGrantsManagementOffering(input: $input) { offering { version name } userErrors { code currentVersion } } }`;

beforeAll(async () => {
  graph = await startGraph({ subgraph: { gatewaySignature: { secret: SECRET, required: true } }, readModel: true });
  const grants = graph.subgraphs['grants-management']!;
  grantsDirect = grants.url;
  proxy = await startFaultProxy(Number(new URL(grants.url).port));
  // The gateway process is composed with the proxy as the Grants subgraph's URL.
  grants.url = `http://${proxy.address}/graphql`;
  const keys = await ensureDevKeys(path.join(os.tmpdir(), `qsmo-dedup-keys-${randomBytes(4).toString('hex')}`));
  editor = await mintDevToken(keys, { subject: 'dedup-editor@hhs.gov', roles: ['editor'], qsmos: ['GRANTS_MANAGEMENT'], ttl: '10m' });
  analyst = await mintDevToken(keys, { subject: 'dedup-analyst@gsa.gov', roles: ['analyst'], qsmos: [], ttl: '10m' });
  gateway = await startGatewayProcess(graph, {
    RESPONSE_CACHE: 'off',
    GATEWAY_SIGNING_SECRET: SECRET,
    AUTH_JWKS_FILE: keys.jwksFile,
    AUTH_ISSUER: DEV_ISSUER,
    AUTH_AUDIENCE: DEV_AUDIENCE,
    // A Grants call that is held longer than this fails on its own, well within every request's deadline.
    GRANTS_MANAGEMENT_TIMEOUT_MS: '1500',
    SUBGRAPH_RETRIES: '0',
  });
}, 90_000);
afterEach(() => proxy.setMode({ kind: 'pass' }));
afterAll(async () => {
  await gateway?.stop();
  await proxy?.close();
  await graph?.stop();
});

async function post(query: string, variables: Record<string, unknown> = {}, bearer?: string) {
  const res = await fetch(`${gateway!.base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: res.status,
    traceId: res.headers.get('traceparent') ?? res.headers.get('x-trace-id'),
    body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string; traceId?: string } }[] },
  };
}

/** The gateway's dedup counters, by role. */
async function dedup(): Promise<Record<string, number>> {
  const text = await (await fetch(`${gateway!.base}/metrics`)).text();
  const out: Record<string, number> = { leader: 0, follower: 0, follower_timeout: 0, over_cap: 0 };
  for (const m of text.matchAll(/^gateway_inbound_dedup_total\{[^}]*role="(\w+)"[^}]*\} (\S+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

/** The gateway's fetches of this test's operations the Grants subgraph executed, from its own /metrics (the directory's reads of it are not counted). */
async function grantsOperations(type: 'query' | 'mutation'): Promise<number> {
  const text = await (await fetch(grantsDirect.replace(/graphql$/, 'metrics'))).text();
  let total = 0;
  for (const m of text.matchAll(/^graphql_operations_total\{([^}]*)\} (\S+)$/gm))
    if (m[1]!.includes(`type="${type}"`) && m[1]!.includes('operation="Dedup')) total += Number(m[2]);
  return total;
}

const delta = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(Object.keys(after).map((k) => [k, after[k]! - (before[k] ?? 0)]));

test('twenty identical queries sent together run once: one leader, nineteen followers, one Grants call, the same answer for each', async () => {
  await post(PAGE); // planned and warm
  const before = await dedup();
  const grantsBefore = await grantsOperations('query');
  proxy.setMode({ kind: 'delay', ms: 400 });
  const answers = await Promise.all(Array.from({ length: 20 }, () => post(PAGE)));
  for (const a of answers) {
    expect(a.status).toBe(200);
    expect(a.body.errors).toBeUndefined();
    expect(a.body).toEqual(answers[0]!.body);
  }
  expect(answers[0]!.body.data.grantsManagement.offerings.edges).toHaveLength(5);
  expect(delta(await dedup(), before)).toMatchObject({ leader: 1, follower: 19, follower_timeout: 0 });
  expect((await grantsOperations('query')) - grantsBefore).toBe(1);
});

test('callers of different scope never share: the anonymous reader and an analyst each run their own', async () => {
  await post(PAGE, {}, analyst);
  const before = await dedup();
  proxy.setMode({ kind: 'delay', ms: 400 });
  const [anonymous, signedIn, anonymous2] = await Promise.all([post(PAGE), post(PAGE, {}, analyst), post(PAGE)]);
  for (const a of [anonymous, signedIn, anonymous2]) expect(a.body.errors).toBeUndefined();
  // Two scopes, two executions; the second anonymous caller joined the first.
  expect(delta(await dedup(), before)).toMatchObject({ leader: 2, follower: 1 });
});

test("a failed leader's followers get the same error without a second execution", async () => {
  const before = await dedup();
  const grantsBefore = await grantsOperations('query');
  // Held past GRANTS_MANAGEMENT_TIMEOUT_MS: the leader's Grants call times out.
  proxy.setMode({ kind: 'hang' });
  const answers = await Promise.all(Array.from({ length: 8 }, () => post(PAGE)));
  proxy.setMode({ kind: 'pass' });
  // The same error for each, with each request's own trace id.
  const withoutTrace = (a: (typeof answers)[number]) => a.body.errors!.map(({ extensions: { traceId, ...rest } = {}, ...e }) => ({ ...e, extensions: rest }));
  for (const a of answers) {
    expect(a.body.errors?.[0]?.extensions?.code).toBe('SUBGRAPH_TIMEOUT');
    expect(withoutTrace(a)).toEqual(withoutTrace(answers[0]!));
    expect(a.body.data).toEqual(answers[0]!.body.data);
  }
  expect(new Set(answers.map((a) => (a.body.errors![0]!.extensions as { traceId?: string }).traceId)).size).toBe(answers.length);
  expect(delta(await dedup(), before)).toMatchObject({ leader: 1, follower: 7, follower_timeout: 0 });
  // The held call reaches the subgraph once released, or never: at most one, never eight.
  await new Promise((r) => setTimeout(r, 300));
  expect((await grantsOperations('query')) - grantsBefore).toBeLessThanOrEqual(1);
});

test("mutations never share: two identical renames sent together both run, the second meets the first one's version", async () => {
  const read = await post(`query DedupEra { grantsManagement { offering(id: "grm-era") { version } } }`);
  const version = read.body.data.grantsManagement.offering.version as number;
  const before = await dedup();
  const mutationsBefore = await grantsOperations('mutation');
  proxy.setMode({ kind: 'delay', ms: 300 });
  const input = {
    id: 'grm-era',
    version,
    name: 'eRA (dedup test)',
    provenance: { sources: [{ title: 'test', url: 'https://example.gov/t' }], verification: 'UNVERIFIED' },
  };
  const [a, b] = await Promise.all([post(RENAME, { input }, editor), post(RENAME, { input }, editor)]);
  const payloads = [a, b].map((r) => r.body.data.updateGrantsManagementOffering);
  // One rename wins, the other is refused as a version conflict: each was executed.
  expect(payloads.filter((p) => p.userErrors.length === 0)).toHaveLength(1);
  expect(payloads.filter((p) => p.userErrors.length === 1)).toHaveLength(1);
  expect((await grantsOperations('mutation')) - mutationsBefore).toBe(2);
  expect(delta(await dedup(), before)).toMatchObject({ leader: 0, follower: 0 });
});

test('with INBOUND_DEDUP=off every identical query is its own execution', async () => {
  await gateway!.stop();
  gateway = await startGatewayProcess(graph, { RESPONSE_CACHE: 'off', INBOUND_DEDUP: 'off', GATEWAY_SIGNING_SECRET: SECRET });
  await post(PAGE);
  proxy.setMode({ kind: 'delay', ms: 300 });
  const answers = await Promise.all(Array.from({ length: 6 }, () => post(PAGE)));
  for (const a of answers) expect(a.body).toEqual(answers[0]!.body);
  expect(await dedup()).toEqual({ leader: 0, follower: 0, follower_timeout: 0, over_cap: 0 });
}, 60_000);
