import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { ErrorCode } from '@qsmo/service-kit/errors';
import { ANONYMOUS } from '@qsmo/service-kit/auth/identity';
import { IDENTITY_HEADER, secretBytes, signInternalToken, verifyInternalToken } from '@qsmo/service-kit/auth/internal-token';
import { subgraphNamed } from '@qsmo/service-kit/subgraphs';
import { testPort } from './support/ports';
import { composeSupergraph, localSubgraphSources } from '../gateway/src/compose';
import { testMongoUri, uniqueDbName } from './support/db';
import { requestOnce } from './support/gateway-process';
import { startServiceProcess, stopServiceProcess, type ServiceProcess } from './support/service-process';

/**
 * The rotation of GATEWAY_SIGNING_SECRET that docs/operators.md gives, with
 * real processes: gateway "pods" and subgraph "pods" (the grants-management
 * entry point) behind a round-robin Service, replaced one step at a time as
 * a rolling update replaces them. In every mixed state of the three steps,
 * every request either gateway signs reaches every subgraph pod and is
 * answered; after the third, the dropped secret is refused.
 */
jest.setTimeout(180_000);

const GRANTS = subgraphNamed('grants-management');
const OLD = 'old-signing-secret-'.padEnd(64, 'o');
const NEW = 'new-signing-secret-'.padEnd(64, 'n');
const READ = '{ grantsManagement { offerings(first: 1) { edges { node { id name } } } } }';
const databaseName = uniqueDbName('signing_rotation');

type Pod = ServiceProcess;

/** Starts a pod and remembers it, so afterAll stops whatever a failing test left running. */
async function startPod(name: string, entry: string, env: NodeJS.ProcessEnv): Promise<Pod> {
  const pod = await startServiceProcess(name, entry, env);
  pods.push(pod);
  return pod;
}
const stopPod = (pod: Pod) => stopServiceProcess(pod);

/** One request a subgraph pod answered through the Service: which pod, what it answered, and which secret the gateway's token was signed with. */
interface Served {
  pod: string;
  status: number;
  signedWith: 'old' | 'new' | 'neither' | 'unsigned';
}

async function signedWith(token: string | undefined): Promise<Served['signedWith']> {
  if (token === undefined) return 'unsigned';
  for (const [label, secret] of [
    ['old', OLD],
    ['new', NEW],
  ] as const) {
    if (
      await verifyInternalToken(token, secretBytes(secret), GRANTS.name).then(
        () => true,
        () => false,
      )
    ) {
      return label;
    }
  }
  return 'neither';
}

/**
 * The subgraph's Service: each request to the next ready pod, as kube-proxy
 * spreads connections over the endpoints (per request here, since the
 * gateway keeps its connections alive); a pod is taken out of `endpoints`
 * before it is stopped, as its endpoint is removed when it starts draining.
 */
function startService(): Promise<{ url: string; endpoints: Pod[]; served: Served[]; close: () => Promise<void> }> {
  const endpoints: Pod[] = [];
  const served: Served[] = [];
  let next = 0;
  const server = http.createServer((req, res) => {
    const pod = endpoints[next++ % endpoints.length]!;
    const header = req.headers[IDENTITY_HEADER];
    const upstream = http.request({ host: '127.0.0.1', port: pod.port, method: req.method, path: req.url, headers: req.headers, agent: false }, (answer) => {
      if (req.url === '/graphql') {
        void signedWith(Array.isArray(header) ? header[0] : header).then((secret) =>
          served.push({ pod: pod.name, status: answer.statusCode!, signedWith: secret }),
        );
      }
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
        endpoints,
        served,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      }),
    ),
  );
}

const pods: Pod[] = [];
let service: Awaited<ReturnType<typeof startService>>;
let dir: string;
let supergraphPath: string;

/** A subgraph pod of the rolling update: the real entry point, its signature required, with the given secrets. */
const subgraphPod = (name: string, signing: string, accepted?: string) =>
  startPod(name, `subgraphs/${GRANTS.name}/src/index.ts`, {
    MONGODB_URI: testMongoUri(),
    MONGODB_DATABASE: databaseName,
    REQUIRE_GATEWAY_SIGNATURE: 'true',
    GATEWAY_SIGNING_SECRET: signing,
    GATEWAY_SIGNING_SECRETS_ACCEPTED: accepted ?? '',
  });

/** A gateway pod signing with `signing`; no response cache, so every read reaches a subgraph pod. */
const gatewayPod = (name: string, signing: string) =>
  startPod(name, 'gateway/src/index.ts', {
    SUPERGRAPH_SOURCE: 'file',
    SUPERGRAPH_PATH: supergraphPath,
    GRANTS_MANAGEMENT_URL: service.url,
    GATEWAY_SIGNING_SECRET: signing,
    GATEWAY_WORKERS: '1',
    RESPONSE_CACHE: 'off',
    INBOUND_DEDUP: 'off',
    RATE_LIMIT_ANONYMOUS: '0',
    IDE_ENABLED: 'false',
    MCP_ENABLED: 'false',
  });

async function read(gateway: Pod): Promise<{ status: number; body: { data?: unknown; errors?: { message: string }[] } }> {
  const res = await requestOnce(`http://127.0.0.1:${gateway.port}/graphql`, {
    method: 'POST',
    body: JSON.stringify({ query: READ }),
    headers: { 'content-type': 'application/json' },
  });
  return { status: res.status, body: JSON.parse(res.body) };
}

/**
 * Reads through each gateway until its signed requests have been answered
 * by every pod of the Service (twice each, within a bound); returns what
 * the clients got and what the pods answered meanwhile.
 */
async function exercise(gateways: { pod: Pod; signs: 'old' | 'new' }[]) {
  service.served.length = 0;
  const answers: string[] = [];
  for (const { pod, signs } of gateways) {
    const reached = () => service.endpoints.every((e) => service.served.filter((s) => s.pod === e.name && s.signedWith === signs).length >= 2);
    for (let i = 0; i < 40 && !reached(); i++) {
      const answer = await read(pod);
      answers.push(`${pod.name}: ${answer.status}${answer.body.errors ? ` ${JSON.stringify(answer.body.errors)}` : ''}`);
      // The proxy records a request once its answer's head is back, a moment after the client has it.
      await new Promise((r) => setImmediate(r));
    }
  }
  await new Promise((r) => setTimeout(r, 50));
  const pairs = [...new Set(service.served.map((s) => `${s.signedWith} secret → ${s.pod}: ${s.status}`))].sort();
  return { answers: [...new Set(answers)].sort(), pairs };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-rotation-'));
  service = await startService();
  supergraphPath = path.join(dir, 'supergraph.graphql');
  fs.writeFileSync(supergraphPath, composeSupergraph(localSubgraphSources([{ name: GRANTS.name, url: service.url }])).supergraphSdl);
});

afterAll(async () => {
  for (const pod of pods) await stopPod(pod);
  await service?.close();
  const client = new MongoClient(testMongoUri());
  await client
    .db(databaseName)
    .dropDatabase()
    .catch(() => undefined);
  await client.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a bad accepted secret stops the subgraph at start-up, naming its position and not its text', async () => {
  const short = 'short-accepted-secret';
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, `subgraphs/${GRANTS.name}/src/index.ts`)], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(await testPort()),
      MONGODB_URI: testMongoUri(),
      MONGODB_DATABASE: databaseName,
      GATEWAY_SIGNING_SECRET: OLD,
      GATEWAY_SIGNING_SECRETS_ACCEPTED: `${NEW},${short}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  expect(code).not.toBe(0);
  expect(output).toContain(`GATEWAY_SIGNING_SECRETS_ACCEPTED entry 2 of 2 is ${short.length} characters long`);
  for (const secret of [short, OLD, NEW]) expect(output).not.toContain(secret);
});

test('the three steps, pod by pod: every request of every mixed state is answered, and the dropped secret is refused after the last', async () => {
  // Before: gateway and subgraph on the old secret. The first subgraph pod seeds the database the others share.
  const old1 = await subgraphPod('subgraph (old)', OLD);
  service.endpoints.push(old1);
  const gatewayOld = await gatewayPod('gateway (signs old)', OLD);

  // Step 1: the subgraphs also accept the new secret. Mid-rollout: one pod of each.
  const step1 = await subgraphPod('subgraph (old, accepts new)', OLD, NEW);
  service.endpoints.push(step1);
  expect(await exercise([{ pod: gatewayOld, signs: 'old' }])).toEqual({
    answers: ['gateway (signs old): 200'],
    pairs: ['old secret → subgraph (old): 200', 'old secret → subgraph (old, accepts new): 200'],
  });
  service.endpoints.splice(service.endpoints.indexOf(old1), 1);
  await stopPod(old1);

  // Step 2: the new secret signs, the old one is accepted; gateways and subgraphs roll at once. Mid-rollout: both kinds of each.
  const [gatewayNew, step2] = await Promise.all([gatewayPod('gateway (signs new)', NEW), subgraphPod('subgraph (new, accepts old)', NEW, OLD)]);
  service.endpoints.push(step2);
  expect(
    await exercise([
      { pod: gatewayOld, signs: 'old' },
      { pod: gatewayNew, signs: 'new' },
    ]),
  ).toEqual({
    answers: ['gateway (signs new): 200', 'gateway (signs old): 200'],
    pairs: [
      'new secret → subgraph (new, accepts old): 200',
      'new secret → subgraph (old, accepts new): 200',
      'old secret → subgraph (new, accepts old): 200',
      'old secret → subgraph (old, accepts new): 200',
    ],
  });
  service.endpoints.splice(service.endpoints.indexOf(step1), 1);
  await stopPod(step1);

  // Step 3: the old secret is dropped, once no gateway signs with it any more. Mid-rollout: one pod of each.
  const step3 = await subgraphPod('subgraph (new)', NEW);
  service.endpoints.push(step3);
  expect(await exercise([{ pod: gatewayNew, signs: 'new' }])).toEqual({
    answers: ['gateway (signs new): 200'],
    pairs: ['new secret → subgraph (new): 200', 'new secret → subgraph (new, accepts old): 200'],
  });
  service.endpoints.splice(service.endpoints.indexOf(step2), 1);
  await stopPod(step2);

  // After: a token signed with the dropped secret is refused, without a word of either secret...
  const forged = await requestOnce(`http://127.0.0.1:${step3.port}/graphql`, {
    method: 'POST',
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
    headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: await signInternalToken(ANONYMOUS, secretBytes(OLD), GRANTS.name) },
  });
  expect(forged.status).toBe(401);
  const refusal = JSON.parse(forged.body) as { errors: { message: string; extensions: { code: string } }[] };
  expect(refusal.errors).toEqual([{ message: expect.stringContaining('is not signed by the gateway'), extensions: { code: ErrorCode.UNAUTHENTICATED } }]);
  for (const secret of [OLD, NEW]) expect(forged.body).not.toContain(secret);
  // ...and so is a gateway left on it, which is why step 3 waits for step 2's rollout to finish.
  expect(await exercise([{ pod: gatewayOld, signs: 'old' }])).toMatchObject({ pairs: ['old secret → subgraph (new): 401'] });
  expect(await read(gatewayNew)).toMatchObject({ status: 200, body: { data: { grantsManagement: { offerings: { edges: [expect.anything()] } } } } });
});
