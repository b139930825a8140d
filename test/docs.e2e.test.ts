import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { envName, SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { testPort } from './support/ports';
import { DIRECTORY } from '@qsmo/service-kit/subgraphs';
import { docFiles, extractBlocks, isSubscription, sseEvents, where, type DocBlock } from './support/doc-blocks';

/**
 * Every example in README.md and docs/ works: shell blocks run against a
 * graph started as `npm start` starts it (embedded database, real catalog,
 * every subgraph, the gateway) and must exit 0; GraphQL blocks are sent to
 * its gateway and must answer without errors (a subscription over SSE, its
 * stream opened without errors); TypeScript blocks type-check with the
 * repository's compiler options. A block that cannot run here is
 * marked `<!-- not-runnable: <reason> -->` right before its fence. The test
 * prints which blocks ran, and each failure names the block's file:line.
 *
 * The examples are written for the default ports: `localhost:4000` and the
 * subgraphs' `localhost:400N` are rewritten to the free ports this graph got.
 */
jest.setTimeout(600_000);

const BLOCK_TIMEOUT_MS = 90_000;
const blocks: DocBlock[] = docFiles(REPO_ROOT).flatMap((file) => extractBlocks(file, fs.readFileSync(path.join(REPO_ROOT, file), 'utf8')));
const runnable = blocks.filter((b) => !b.notRunnable);
const shell = runnable.filter((b) => b.language === 'bash' || b.language === 'sh');
const graphql = runnable.filter((b) => b.language === 'graphql');
const typescript = runnable.filter((b) => b.language === 'ts');

interface Stack {
  child: ChildProcess;
  output: () => string;
}
let stack: Stack | undefined;
let scratch = '';
/** A directory that looks like the repository (its entries are links to it), where commands run and leave their files. */
let workspace = '';
let commandEnv: NodeJS.ProcessEnv = {};
const defaultPorts = new Map<number, number>();
const report: string[] = [];

/** The example as it runs here: the default ports rewritten to this graph's. */
const localize = (text: string) =>
  text.replace(/(localhost|127\.0\.0\.1):(40\d\d)\b/g, (all, host: string, port: string) => {
    const to = defaultPorts.get(Number(port));
    return to === undefined ? all : `${host}:${to}`;
  });

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; input?: string }) {
  const started = Date.now();
  const result = spawnSync(command, args, {
    ...options,
    encoding: 'utf8',
    timeout: BLOCK_TIMEOUT_MS + 15_000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { ...result, ms: Date.now() - started };
}

/**
 * Commands an example must not run here, whatever its marker says: they
 * change the checkout the examples share (its node_modules are linked, not
 * copied) or run for minutes. Such a block must be marked not runnable.
 */
const FORBIDDEN: { pattern: RegExp; why: string }[] = [
  { pattern: /\bnpm\s+(ci|install|i|update|uninstall)\b/, why: 'it would reinstall the packages of the checkout the examples share' },
  { pattern: /\bgit\s+\w/, why: 'it would change the checkout' },
  { pattern: /\brm\s+-\w*r/, why: 'it deletes files' },
  { pattern: /\bnpm\s+(start|test)\b|\bnpm\s+run\s+(test|bench)\S*|\bdocker\b/, why: 'it runs for minutes or needs a service this test does not start' },
];

function forbiddenIn(code: string): string | undefined {
  const commands = code
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n');
  return FORBIDDEN.find((f) => f.pattern.test(commands))?.why;
}

const tail = (text: string | null | undefined, lines = 25) => (text ?? '').trimEnd().split('\n').slice(-lines).join('\n');

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-docs-'));
  workspace = path.join(scratch, 'repo');
  fs.mkdirSync(workspace);
  for (const entry of fs.readdirSync(REPO_ROOT)) {
    if (entry === '.git' || entry === '.data') continue;
    fs.symlinkSync(path.join(REPO_ROOT, entry), path.join(workspace, entry));
  }
  const gatewayPort = await testPort();
  defaultPorts.set(4000, gatewayPort);
  const subgraphPorts = await Promise.all(SUBGRAPHS.map(() => testPort()));
  SUBGRAPHS.forEach((s, i) => defaultPorts.set(s.port, subgraphPorts[i]!));
  const directoryPort = await testPort();
  defaultPorts.set(DIRECTORY.port, directoryPort);
  const env: NodeJS.ProcessEnv = {
    MONGODB_URI: '',
    EMBEDDED_DB_DIR: path.join(scratch, 'ferretdb'),
    EMBEDDED_DB_PORT: String(await testPort()),
    DEV_KEYS_DIR: path.join(scratch, 'dev-keys'),
    SUPERGRAPH_OUT: path.join(scratch, 'supergraph.graphql'),
    PORT: String(gatewayPort),
    ...Object.fromEntries(SUBGRAPHS.map((s, i) => [envName(s.name, 'PORT'), String(subgraphPorts[i])])),
    [envName(DIRECTORY.name, 'PORT')]: String(directoryPort),
  };
  commandEnv = {
    ...process.env,
    ...env,
    NODE_ENV: 'development',
    GRAPHQL_URL: `http://localhost:${gatewayPort}/graphql`,
    // The commands' own ports and URLs are rewritten in the text; a command must not inherit the gateway's PORT.
    PORT: '',
    FORCE_COLOR: '0',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'shared/dev-tools/src/stack.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_ENV: 'development', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  stack = { child, output: () => out };
  const deadline = Date.now() + 240_000;
  while (!out.includes('Press Ctrl-C to stop')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the graph did not start:\n${tail(out, 60)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
});

afterAll(async () => {
  if (stack?.child.pid && stack.child.exitCode === null) {
    const exited = new Promise((resolve) => stack!.child.once('exit', resolve));
    // Ctrl-C as a terminal sends it: to the whole process group, so the database stops last, as in npm start.
    process.kill(-stack.child.pid, 'SIGINT');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      exited,
      new Promise((r) => {
        timer = setTimeout(r, 30_000);
      }),
    ]);
    clearTimeout(timer);
    if (stack.child.exitCode === null && stack.child.signalCode === null) process.kill(-stack.child.pid, 'SIGKILL');
  }
  stack?.child.stdout?.destroy();
  stack?.child.stderr?.destroy();
  const notRun = blocks.filter((b) => b.notRunnable);
  process.stdout.write(
    `DOCS examples: ${report.length} run, ${notRun.length} marked not runnable\n` +
      `${report.map((l) => `  ran ${l}`).join('\n')}\n` +
      `${notRun.map((b) => `  not run ${where(b)} (${b.language}): ${b.notRunnable}`).join('\n')}\n`,
  );
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

test('the docs have examples to run, and every one is run or marked not runnable with a reason', () => {
  expect(shell.length).toBeGreaterThan(0);
  expect(graphql.length).toBeGreaterThan(0);
  expect(typescript.length).toBeGreaterThan(0);
  for (const b of blocks) expect(b.notRunnable === undefined || b.notRunnable.length > 0).toBe(true);
});

const shellCases = shell.map((b) => [`${where(b)} (${b.language})`, b] as const);
test.each(shellCases)('shell example %s exits 0', (_name, block) => {
  const forbidden = forbiddenIn(block.code);
  if (forbidden)
    throw new Error(`${where(block)}: this example is not run because ${forbidden}; mark it <!-- not-runnable: <reason> --> right before its fence.`);
  const script = `set -euo pipefail\n${localize(block.code)}\n`;
  // timeout(1) kills the example's whole process group, so a command that outlives it leaves nothing behind.
  const r = run('timeout', ['-k', '5', String(BLOCK_TIMEOUT_MS / 1000), 'bash', '-c', script], { cwd: workspace, env: commandEnv });
  const status = r.error ? r.error.message : r.status === 124 ? `timed out after ${BLOCK_TIMEOUT_MS / 1000} s` : `exit ${r.status ?? r.signal}`;
  const errors = graphqlErrorsIn(r.stdout);
  if (r.status !== 0 || errors) {
    throw new Error(
      `${where(block)}: the ${block.language} example ${errors ? 'printed a GraphQL answer with errors' : 'failed'} (${status} after ${r.ms} ms)\n--- stdout\n${tail(r.stdout)}\n--- stderr\n${tail(r.stderr)}`,
    );
  }
  report.push(`${where(block)} (${block.language}) in ${r.ms} ms`);
});

/** A command's output that is a GraphQL answer with errors: the example "worked" only as far as curl is concerned. */
function graphqlErrorsIn(stdout: string): boolean {
  for (const text of [stdout, ...stdout.split('\n')]) {
    try {
      const parsed = JSON.parse(text) as { errors?: unknown[] };
      if (parsed && Array.isArray(parsed.errors) && parsed.errors.length > 0) return true;
    } catch {
      /* not JSON */
    }
  }
  return false;
}

const tokens = new Map<string, string>();
function tokenFor(role: string): string {
  if (!tokens.has(role)) {
    const r = run(process.execPath, ['--import', 'tsx', 'shared/dev-tools/src/token-cli.ts', '--role', role], { cwd: REPO_ROOT, env: commandEnv });
    if (r.status !== 0) throw new Error(`could not mint a ${role} token: ${r.stderr}`);
    tokens.set(role, r.stdout.trim());
  }
  return tokens.get(role)!;
}

/**
 * An accepted subscription waits for the next change, which nothing here
 * makes, so its stream is read this long: the gateway refuses a bad one with
 * an HTTP error, or answers its errors at once as a `next` and a `complete`.
 */
const SUBSCRIPTION_READ_MS = 3_000;

async function subscriptionAnswer(block: DocBlock, headers: Record<string, string>, variables: unknown): Promise<string | undefined> {
  const stop = new AbortController();
  const unanswered = setTimeout(() => stop.abort(), BLOCK_TIMEOUT_MS);
  const response = await fetch(`http://localhost:${defaultPorts.get(4000)}/graphql`, {
    method: 'POST',
    headers: { ...headers, accept: 'text/event-stream' },
    body: JSON.stringify({ query: block.code, variables }),
    signal: stop.signal,
  }).finally(() => clearTimeout(unanswered));
  if (response.status !== 200 || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    return `answered HTTP ${response.status} (${response.headers.get('content-type')}) instead of an event stream:\n${(await response.text()).slice(0, 3000)}`;
  }
  let text = '';
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const timer = setTimeout(() => stop.abort(), SUBSCRIPTION_READ_MS);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (sseEvents(text).some((e) => e.event === 'complete')) break;
    }
  } catch (error) {
    if (!stop.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
  const events = sseEvents(text);
  const failed = events.filter((e) => e.event === 'complete' || (e.event === 'next' && /"errors"\s*:/.test(e.data)));
  return failed.length > 0
    ? `answered instead of subscribing:\n${events
        .map((e) => `event: ${e.event}\ndata: ${e.data}`)
        .join('\n')
        .slice(0, 3000)}`
    : undefined;
}

const graphqlCases = graphql.map((b) => [where(b), b] as const);
test.each(graphqlCases)('GraphQL example %s answers without errors', async (_name, block) => {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (block.settings.role) headers.authorization = `Bearer ${tokenFor(block.settings.role)}`;
  const variables = block.settings.variables ? (JSON.parse(block.settings.variables) as unknown) : undefined;
  const started = Date.now();
  if (isSubscription(block.code)) {
    const problem = await subscriptionAnswer(block, headers, variables);
    if (problem) throw new Error(`${where(block)}: the GraphQL subscription sent over SSE ${problem}`);
    report.push(`${where(block)} (graphql subscription over SSE, open for ${Date.now() - started} ms)`);
    return;
  }
  const response = await fetch(`http://localhost:${defaultPorts.get(4000)}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: block.code, variables }),
    signal: AbortSignal.timeout(BLOCK_TIMEOUT_MS),
  });
  const body = await response.text();
  let parsed: { data?: unknown; errors?: unknown[] } = {};
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    /* reported below */
  }
  if (response.status !== 200 || parsed.errors || !parsed.data) {
    throw new Error(
      `${where(block)}: the GraphQL example answered HTTP ${response.status} with ${parsed.errors ? 'errors' : 'no data'}:\n${body.slice(0, 3000)}`,
    );
  }
  report.push(`${where(block)} (graphql) in ${Date.now() - started} ms`);
});

/**
 * For an example marked `in=<directory>`: a copy of the repository made of
 * links (the directory and each of its ancestors real folders, every other
 * entry linked), so the example is a file of that directory: its relative
 * imports, `..` included, reach the repository's files, and the nearest
 * package.json decides its module format as it would there. Returns where to
 * write the example, relative to `dir`.
 */
function mirrorOf(block: DocBlock, dir: string, name: string): string {
  const target = path.join(REPO_ROOT, block.settings.in!);
  if (!fs.existsSync(target) || !fs.statSync(target).isDirectory())
    throw new Error(`${where(block)}: docs-test: in=${block.settings.in} is not a directory of the repository.`);
  const parts = block.settings.in!.split('/');
  let source = REPO_ROOT;
  let at = path.join(dir, name);
  fs.mkdirSync(at);
  for (let depth = 0; ; depth++) {
    const next = parts[depth];
    for (const entry of fs.readdirSync(source)) {
      if (entry === next || entry === '.git' || entry === '.data') continue;
      fs.symlinkSync(path.join(source, entry), path.join(at, entry));
    }
    if (next === undefined) break;
    source = path.join(source, next);
    at = path.join(at, next);
    fs.mkdirSync(at);
  }
  return path.posix.join(name, ...parts);
}

test("every TypeScript example type-checks with the repository's compiler options", () => {
  if (typescript.length === 0) return;
  // Inside the repository (ignored by git) so the compiler finds its node_modules and the repository's tsconfig.
  const dir = path.join(REPO_ROOT, '.data', `docs-snippets-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  try {
    // The examples import the generated operation types as code next to gateway/operations does.
    fs.symlinkSync(path.join(REPO_ROOT, 'gateway/operations/generated'), path.join(dir, 'generated'));
    const files = typescript.map((b, i) => {
      const folder = b.settings.in ? mirrorOf(b, dir, `in-${i}`) : '';
      const name = path.posix.join(folder, `${b.file.replace(/[^\w]+/g, '_')}_${b.line}.ts`);
      fs.writeFileSync(path.join(dir, name), `${b.code}\n`);
      return { name, block: b };
    });
    // ES modules, as a frontend's or an agent's code is: top-level await, and imports spelled with their .js extension.
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    // The examples alone (not the files linked beside them), and whatever they import.
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: path.join(REPO_ROOT, 'tsconfig.json'), files: files.map((f) => f.name), include: [] }),
    );
    const r = run(process.execPath, [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.json'), '--noEmit'], {
      cwd: dir,
      env: process.env,
    });
    const problems = (r.stdout + r.stderr).split('\n').filter((l) => l.trim());
    const failed = files.filter((f) => problems.some((p) => p.startsWith(f.name)));
    if (r.status !== 0) {
      const named = problems.map((p) => {
        const f = files.find((x) => p.startsWith(x.name));
        const m = f && /^[^(]+\((\d+),\d+\)/.exec(p);
        return f && m ? `${f.block.file}:${f.block.line + Number(m[1])}: ${p.slice(p.indexOf(':', f.name.length) + 1).trim()}` : p;
      });
      throw new Error(`TypeScript examples do not type-check (${failed.map((f) => where(f.block)).join(', ') || 'see below'}):\n${named.join('\n')}`);
    }
    for (const f of files) report.push(`${where(f.block)} (ts) type-checked`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
