import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/shared';
import { freePort } from '@qsmo/shared/embedded/ferretdb';
import { composeSupergraph, localSubgraphSources } from '../gateway/src/compose';
import { SUBGRAPHS, urlEnvName } from '../gateway/src/subgraphs';
import { randomBytes } from 'node:crypto';
import { DEV_AUDIENCE, DEV_ISSUER, ensureDevKeys, mintDevToken } from '@qsmo/shared/dev/dev-keys';
import { startGraph, type RunningGraph } from './support/graph';
import { DIRECTORY } from '@qsmo/shared/subgraphs';

process.env.APOLLO_TELEMETRY_DISABLED = '1';

/**
 * GATEWAY_WORKERS=2 as a real process: two workers behind one port answer
 * the graph, /metrics from whichever worker answers counts the requests of
 * both, and SIGTERM drains them and exits cleanly, leaving no worker behind;
 * with the response cache on, a rename through one worker is seen by every
 * read sent after its answer, whichever worker serves it.
 */
let graph: RunningGraph;
let gateway: ChildProcess | undefined;
let dir: string;

afterEach(async () => {
  if (gateway && gateway.exitCode === null && gateway.signalCode === null) gateway.kill('SIGKILL');
  await graph?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const children = (pid: number): number[] => {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch { return []; }
};
const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true; } catch { return false; } };

async function operations(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith('graphql_operations_total{')).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
}

/** A gateway process with two workers in front of the test graph; resolves once both answer. */
async function startWorkers(extraEnv: Record<string, string> = {}) {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-workers-'));
  const supergraphPath = path.join(dir, 'supergraph.graphql');
  const urls = [...SUBGRAPHS.map((s) => ({ name: s.name, area: s.area, url: graph.subgraphs[s.name]!.url })), { name: DIRECTORY.name, area: DIRECTORY.area, url: graph.directory.url }];
  fs.writeFileSync(supergraphPath, composeSupergraph(localSubgraphSources(urls)).supergraphSdl);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, GATEWAY_WORKERS: '2', PORT: String(port), HOST: '127.0.0.1', SUPERGRAPH_PATH: supergraphPath, LOG_LEVEL: 'warn', IDE_ENABLED: 'false', ...extraEnv };
  for (const u of urls) env[urlEnvName(u.name)] = u.url;
  let stderr = '';
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'gateway/src/index.ts')], { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  gateway = child;
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;

  // Ready when both workers answer.
  const deadline = Date.now() + 40_000;
  while (children(child.pid!).length < 2 || !(await fetch(`${base}/health/ready`).then((r) => r.ok, () => false))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the gateway did not become ready: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, base, exited };
}

test('two workers behind one port: aggregated /metrics, clean drain on SIGTERM', async () => {
  graph = await startGraph();
  const { base, exited } = await startWorkers();
  const workers = children(gateway!.pid!);
  expect(workers).toHaveLength(2);

  const before = await operations(base);
  const query = '{ grantsManagement { offerings(first: 2) { totalCount } } }';
  const answers = await Promise.all(Array.from({ length: 40 }, () =>
    fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }).then(async (r) => [r.status, await r.json()] as const)));
  for (const [status, body] of answers) {
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
  }
  // Every scrape reports both workers' operations, whichever worker answers it.
  for (let i = 0; i < 4; i++) expect((await operations(base)) - before).toBe(40);

  const started = Date.now();
  gateway!.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(Date.now() - started).toBeLessThan(20_000);
  for (const pid of workers) expect(alive(pid)).toBe(false);
}, 60_000);

test('response cache across workers: after a rename through one worker, no worker serves the old answer', async () => {
  const secret = randomBytes(32).toString('hex');
  graph = await startGraph({ subgraph: { gatewaySignature: { secret, required: true } }, readModel: true });
  const keys = await ensureDevKeys(path.join(os.tmpdir(), `qsmo-workers-keys-${randomBytes(4).toString('hex')}`));
  const editor = await mintDevToken(keys, { subject: 'workers-test@hhs.gov', roles: ['editor'], qsmos: ['GRANTS_MANAGEMENT'], ttl: '10m' });
  const { base } = await startWorkers({ RESPONSE_CACHE: 'on', GATEWAY_SIGNING_SECRET: secret, AUTH_JWKS_FILE: keys.jwksFile, AUTH_ISSUER: DEV_ISSUER, AUTH_AUDIENCE: DEV_AUDIENCE });
  const post = async (query: string, variables: Record<string, unknown> = {}, bearer?: string) => {
    const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) }, body: JSON.stringify({ query, variables }) });
    return (await res.json()) as { data?: any; errors?: unknown[] };
  };
  const READ = `query Era { grantsManagement { offering(id: "grm-era") { version name } } }`;
  const RENAME = `mutation Rename($input: UpdateGrantsManagementOfferingInput!) { updateGrantsManagementOffering(input: $input) { offering { version } userErrors { code message } } }`;
  // Many concurrent reads reach both workers, so both hold the answer.
  const readAll = async () => (await Promise.all(Array.from({ length: 24 }, () => post(READ)))).map((r) => {
    expect(r.errors).toBeUndefined();
    return r.data.grantsManagement.offering as { version: number; name: string };
  });
  let version = (await readAll())[0]!.version;
  for (let round = 1; round <= 4; round++) {
    await readAll();
    const renamed = await post(RENAME, { input: { id: 'grm-era', version, name: `eRA round ${round}`, provenance: { sources: [{ title: 'test', url: 'https://example.gov/t' }], verification: 'UNVERIFIED' } } }, editor);
    expect(renamed.errors).toBeUndefined();
    expect(renamed.data.updateGrantsManagementOffering.userErrors).toEqual([]);
    version = renamed.data.updateGrantsManagementOffering.offering.version;
    // Every read sent after the rename's answer shows it, whichever worker answers.
    for (const seen of await readAll()) expect(seen).toEqual({ version, name: `eRA round ${round}` });
  }
}, 90_000);
