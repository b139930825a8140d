import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { envName, SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { testPort } from './support/ports';
import { composeSupergraph, localSubgraphSources } from '../gateway/src/compose';
import { startGraph, type RunningGraph } from './support/graph';
import { DIRECTORY } from '@qsmo/service-kit/subgraphs';

/**
 * SIGTERM to a real gateway process under 20 concurrent clients: requests in
 * flight finish, later ones are refused (connection refused), and no request
 * is reset mid-answer. The gateway is its own entry point (gateway/src/index.ts)
 * serving a static supergraph of the test's subgraphs.
 */
jest.setTimeout(90_000);

let graph: RunningGraph;
let dir: string;
beforeAll(async () => {
  graph = await startGraph();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-sigterm-'));
});
afterAll(async () => {
  await graph.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a SIGTERM under 20 concurrent clients resets no request', async () => {
  const supergraphPath = path.join(dir, 'supergraph.graphql');
  // The in-process test graph's supergraph, with its URLs: the gateway process routes to the test's subgraphs.
  fs.writeFileSync(
    supergraphPath,
    composeSupergraph(
      localSubgraphSources([
        ...SUBGRAPHS.map((s) => ({ name: s.name, url: graph.subgraphs[s.name]!.url })),
        { name: DIRECTORY.name, url: graph.directory.url },
      ]),
    ).supergraphSdl,
  );
  const port = await testPort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/index.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      SUPERGRAPH_SOURCE: 'file',
      SUPERGRAPH_PATH: supergraphPath,
      // One process: this is the process's own drain. With workers, Node's cluster primary resets a connection it accepted
      // but had not yet handed to a worker when the last worker stops listening (1–2 in 1,500 here); test/gateway-workers
      // covers the workers' drain, and DRAIN_DELAY_MS (a load balancer's notice) is what avoids that race in production.
      GATEWAY_WORKERS: '1',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_ANONYMOUS: '0',
      APOLLO_TELEMETRY_DISABLED: '1',
      ...Object.fromEntries(SUBGRAPHS.map((s) => [envName(s.name, 'URL'), graph.subgraphs[s.name]!.url])),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}/graphql`;
  const readyBy = Date.now() + 60_000;
  while (
    !(await fetch(url.replace(/graphql$/, 'health/ready')).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > readyBy || child.exitCode !== null) throw new Error(`the gateway did not start:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  const outcomes = { served: 0, refused: 0, other: [] as number[], reset: [] as string[] };
  let stopping = false;
  const client = async () => {
    while (!stopping) {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ humanResources { offerings(first: 2) { totalCount } } }' }),
        });
        await res.text();
        if (res.ok) outcomes.served++;
        else outcomes.other.push(res.status);
      } catch (error) {
        const code = String((error as { cause?: { code?: string; message?: string } }).cause?.code ?? (error as Error).message);
        if (code === 'ECONNREFUSED') outcomes.refused++;
        else outcomes.reset.push(code);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const clients = Array.from({ length: 20 }, client);
  await new Promise((r) => setTimeout(r, 1_000));
  const servedBefore = outcomes.served;
  const signalledAt = Date.now();
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  const exitMs = Date.now() - signalledAt;
  await new Promise((r) => setTimeout(r, 300));
  stopping = true;
  await Promise.all(clients);
  process.stdout.write(
    `FAULT gateway-process-sigterm ${JSON.stringify({ clients: 20, servedBefore, served: outcomes.served, refused: outcomes.refused, resets: outcomes.reset.length, exitMs })}\n`,
  );
  expect(servedBefore).toBeGreaterThan(0);
  expect(outcomes.reset).toEqual([]);
  expect(outcomes.other).toEqual([]);
  expect(outcomes.refused).toBeGreaterThan(0);
});
