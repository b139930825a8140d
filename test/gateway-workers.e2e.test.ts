import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/shared';
import { freePort } from '@qsmo/shared/embedded/ferretdb';
import { composeSupergraph, localSubgraphSources } from '../gateway/src/compose';
import { SUBGRAPHS, urlEnvName } from '../gateway/src/subgraphs';
import { startGraph, type RunningGraph } from './support/graph';

process.env.APOLLO_TELEMETRY_DISABLED = '1';

/**
 * GATEWAY_WORKERS=2 as a real process: two workers behind one port answer
 * the graph, /metrics from whichever worker answers counts the requests of
 * both, and SIGTERM drains them and exits cleanly, leaving no worker behind.
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

test('two workers behind one port: aggregated /metrics, clean drain on SIGTERM', async () => {
  graph = await startGraph();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-workers-'));
  const supergraphPath = path.join(dir, 'supergraph.graphql');
  const urls = SUBGRAPHS.map((s) => ({ name: s.name, area: s.area, url: graph.subgraphs[s.name]!.url }));
  fs.writeFileSync(supergraphPath, composeSupergraph(localSubgraphSources(urls)).supergraphSdl);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, GATEWAY_WORKERS: '2', PORT: String(port), HOST: '127.0.0.1', SUPERGRAPH_PATH: supergraphPath, LOG_LEVEL: 'warn', IDE_ENABLED: 'false' };
  for (const u of urls) env[urlEnvName(u.name)] = u.url;
  let stderr = '';
  gateway = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'gateway/src/index.ts')], { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  gateway.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  const exited = new Promise<number | null>((resolve) => gateway!.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;

  // Ready when both workers answer (each counts one operation per probe it serves).
  const deadline = Date.now() + 40_000;
  while (children(gateway.pid!).length < 2 || !(await fetch(`${base}/health/ready`).then((r) => r.ok, () => false))) {
    if (Date.now() > deadline || gateway.exitCode !== null) throw new Error(`the gateway did not become ready: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const workers = children(gateway.pid!);
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
  gateway.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(Date.now() - started).toBeLessThan(20_000);
  for (const pid of workers) expect(alive(pid)).toBe(false);
}, 60_000);
