import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, SUBGRAPHS } from '@qsmo/shared';
import { parseSchemaCli } from '@qsmo/shared/registry/cli';
import { definition as grants } from '../subgraphs/grants-management/src/definition';

/**
 * A QSMO team's day next to the local stack, run as the team runs it: the
 * subgraph alone, the schema commands, a second `npm start`, codegen for one
 * subgraph. Each used to surprise (a silent 401, a guessed routing URL, a
 * restart loop, pull requests touching other teams' files).
 */
jest.setTimeout(180_000);

interface Run { status: number | null; stdout: string; stderr: string; ms: number }

function runTs(entry: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, ms: Date.now() - started }));
  });
}

/** A port held by this test process, as another stack would hold it. */
async function holdPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

async function freePort(): Promise<number> {
  const held = await holdPort();
  await held.close();
  return held.port;
}

let keysDir: string;
beforeAll(() => {
  keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-dev-keys-'));
  fs.writeFileSync(path.join(keysDir, 'signing-secret'), 'b'.repeat(64));
});
afterAll(() => fs.rmSync(keysDir, { recursive: true, force: true }));

test("a subgraph started alone takes the local stack's signing secret, and on a busy port stops at once naming the process holding it", async () => {
  const held = await holdPort();
  try {
    const run = await runTs(`subgraphs/${grants.serviceName}/src/index.ts`, [], {
      PORT: String(held.port), DEV_KEYS_DIR: keysDir, GATEWAY_SIGNING_SECRET: '', NODE_ENV: 'development', MONGODB_URI: 'mongodb://127.0.0.1:1/',
    });
    const output = run.stdout + run.stderr;
    expect(output).toContain("GATEWAY_SIGNING_SECRET is unset: using the local stack's");
    expect(output).toContain(`port ${held.port} for grants-management is already in use by process ${process.pid}`);
    expect(output).toContain(`kill ${process.pid}`);
    expect(run.status).not.toBe(0);
  } finally {
    await held.close();
  }
});

test('a subgraph started alone with no local keys says what to set for mutations through a gateway', async () => {
  const held = await holdPort();
  try {
    const run = await runTs(`subgraphs/${grants.serviceName}/src/index.ts`, [], {
      PORT: String(held.port), DEV_KEYS_DIR: path.join(keysDir, 'none'), GATEWAY_SIGNING_SECRET: '', NODE_ENV: 'development', MONGODB_URI: 'mongodb://127.0.0.1:1/',
    });
    expect(run.stdout + run.stderr).toContain('mutations through a gateway answer 401. Run `npm start` once (it creates the local keys), or set GATEWAY_SIGNING_SECRET');
  } finally {
    await held.close();
  }
});

test('a second npm start on a busy port exits at once, naming the port and the process to stop, before starting anything', async () => {
  const held = await holdPort();
  const others = await Promise.all([...SUBGRAPHS, { name: 'directory' }].map(() => freePort()));
  const env: NodeJS.ProcessEnv = { PORT: String(held.port), MONGODB_URI: 'mongodb://127.0.0.1:1/', DEV_KEYS_DIR: keysDir, DIRECTORY_PORT: String(others[SUBGRAPHS.length]) };
  SUBGRAPHS.forEach((s, i) => { env[`${s.name.toUpperCase().replace(/-/g, '_')}_PORT`] = String(others[i]); });
  try {
    const run = await runTs('shared/src/dev/stack.ts', [], env);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`port ${held.port} for the gateway is already in use by process ${process.pid}`);
    expect(run.stderr).toContain('or set PORT to a free port');
    expect(run.stdout).not.toContain('is up');
  } finally {
    await held.close();
  }
});

test('schema:publish refuses to guess a routing URL; check may use the local port', () => {
  expect(() => parseSchemaCli(grants, ['publish'], { PORT: '4703' })).toThrow(
    'schema:publish records the URL the gateways route grants-management to, so it needs one: add -- --url <the URL your deployed grants-management answers at, ending in /graphql> (running locally on port 4703: -- --url http://localhost:4703/graphql), or set ROUTING_URL.');
  expect(parseSchemaCli(grants, ['publish', '--url', 'http://grants.internal:8080/graphql'], {}).candidate.url).toBe('http://grants.internal:8080/graphql');
  expect(parseSchemaCli(grants, ['publish'], { ROUTING_URL: 'http://grants.internal:8080/graphql' }).candidate.url).toBe('http://grants.internal:8080/graphql');
  expect(parseSchemaCli(grants, ['check'], { PORT: '4703' }).candidate.url).toBe('http://localhost:4703/graphql');
});

test("codegen for one subgraph writes only that team's files", async () => {
  const run = await runTs('gateway/src/codegen-cli.ts', ['--subgraph', 'grants-management'], {});
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const written = run.stdout.split('\n').filter((l) => l.startsWith('wrote ')).map((l) => l.slice('wrote '.length));
  expect(written.length).toBeGreaterThan(0);
  expect(written.filter((f) => !f.startsWith('subgraphs/grants-management/'))).toEqual([]);
  const unknown = await runTs('gateway/src/codegen-cli.ts', ['--subgraph', 'grants'], {});
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toContain('--subgraph needs the name of a subgraph: one of financial-management');
});
