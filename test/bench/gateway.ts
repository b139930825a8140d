import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { createLogger } from '@qsmo/service-kit/logger';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { DIRECTORY } from '@qsmo/service-kit/subgraphs';
import { ensureFerretDb, freePort, startFerretDb } from '@qsmo/embedded-db/ferretdb';
import { composeSupergraph, localSubgraphSources } from '../../gateway/src/compose';
import { urlEnvName } from '../../gateway/src/subgraphs';
import { ensureDevKeys, DEV_AUDIENCE, DEV_ISSUER, mintDevToken } from '@qsmo/dev-tools/dev-keys';
import { workloads, type BenchRequest, type Workload, type WriteTally } from './workloads';
import type { Identity } from '@qsmo/service-kit/auth/identity';
import { IDENTITY_HEADER, secretBytes, signInternalToken } from '@qsmo/service-kit/auth/internal-token';

/**
 * `npm run bench`: the project's gateway against stock gateways on the same
 * supergraph, on one machine. Starts the embedded FerretDB (its own data
 * directory and port), the four real subgraphs as child processes, composes
 * the supergraph once, starts every gateway as its own process (so its CPU
 * and memory can be read from /proc), then runs each workload against each
 * gateway in turn, round after round (A B C A B C ...), so the machine's
 * noise falls on all alike. Prints a table, writes JSON to .data/bench/.
 *
 *   npm run bench -- [--duration 10] [--rounds 3] [--connections 10] [--warmup 3]
 *                    [--workloads single,direct,deep,deep-large,varied,write-mix] [--targets project,project-nocache,project-nodedup,project-traced,apollo,hive,hive-dedup,hive-community]
 *                    [--project-env NAME=value ...] [--subgraph-env NAME=value ...] [--profile] [--pin CPU]
 *   npm run bench -- --soak 600 [--workloads varied] [--targets project]
 *
 * --soak SECONDS runs the first workload against the first project target
 * without pause for that long, sampling the gateway's memory (RSS of its
 * process tree) and its response cache's size every 10 s, and reports
 * whether memory stayed flat (the last sample within 20 % of the one at
 * the end of the first minute) and the cache within its configured size.
 *
 * The project's gateway runs as gateway/src/index.ts does in production
 * (NODE_ENV=production, the plugin list of index.ts, SUPERGRAPH_PATH; see
 * PROJECT_ENV for the two settings that would refuse the load itself). The
 * subgraphs verify its signature (GATEWAY_SIGNING_SECRET) but also answer
 * unsigned requests (REQUIRE_GATEWAY_SIGNATURE=false), because the stock
 * gateways sign nothing.
 */
process.env.APOLLO_TELEMETRY_DISABLED = '1';
const logger = createLogger('bench', 'info');

/**
 * The project's gateway as in production, with every plugin of index.ts
 * running, except that nothing refuses the benchmark itself: the rate limit
 * is counted but set above any rate reached here, and trusted documents are
 * resolved but not enforced, since the stock gateways run any document.
 */
const METRICS_TOKEN = crypto.randomBytes(16).toString('hex');
// Demand control likewise estimates every request, but deep-large (about 150,000) would be over the anonymous budget.
/**
 * The subgraphs' own demand control, the same for every gateway's fetches: estimated, but no fetch of deep-large refused.
 * READ_MODEL=on: the bench measures the embedded default, where `npm start` switches the read model on (it is off by
 * default with MONGODB_URI, which the bench uses to hand its FerretDB to the subgraphs).
 */
const SUBGRAPH_ENV = { COST_BUDGET_ANONYMOUS: '10000000', READ_MODEL: 'on' };
const PROJECT_ENV = { NODE_ENV: 'production', RATE_LIMIT_ANONYMOUS: '100000000', TRUSTED_DOCUMENTS: 'allow', COST_BUDGET_ANONYMOUS: '10000000', METRICS_TOKEN };

interface Options {
  duration: number;
  rounds: number;
  connections: number;
  warmup: number;
  workloads: string[];
  targets: string[];
  projectEnv: Record<string, string>;
  subgraphEnv: Record<string, string>;
  /** Write CPU profiles of the project's gateway and of each subgraph to .data/bench/profiles (node --cpu-prof). */
  profile: boolean;
  /** Seconds of one uninterrupted run watching memory and the cache's size (see the usage above); 0 for the comparison. */
  soak: number;
  /** --pin CPU: every gateway runs on that one core (taskset -c), the project's as one worker, as the community benchmark pins its gateways. */
  pin?: string;
}

const TARGETS: Record<string, { entry: string; description: string }> = {
  project: { entry: 'gateway/src/index.ts', description: "this project's gateway (gateway/src/index.ts, NODE_ENV=production)" },
  'project-nocache': { entry: 'gateway/src/index.ts', description: 'the same with its response cache off (RESPONSE_CACHE=off)' },
  'project-nodedup': {
    entry: 'gateway/src/index.ts',
    description: 'project-nocache with inbound deduplication off too (INBOUND_DEDUP=off): what one execution per request costs',
  },
  'project-traced': {
    entry: 'gateway/src/index.ts',
    description: 'project-nocache with tracing on: every span exported over OTLP/HTTP to a sink the bench runs (what tracing costs)',
  },
  apollo: {
    entry: 'test/bench/stock-apollo.ts',
    description: "stock @apollo/gateway + @apollo/server, no tuning (it passes on the identity header of write-mix's renames)",
  },
  hive: {
    entry: 'test/bench/stock-hive.ts',
    description: "stock Hive Gateway (createGatewayRuntime + node:http; it passes on the identity header of write-mix's renames)",
  },
  'hive-community': {
    entry: 'test/bench/stock-hive.ts',
    description:
      'stock Hive Gateway as the community federation benchmark configures it: inboundInflightRequestDeduplication and jit on (HIVE_BENCH_CONFIG=community; its JIT answers wrong here, see stock-hive.ts)',
  },
  'hive-dedup': {
    entry: 'test/bench/stock-hive.ts',
    description: 'stock Hive Gateway with inboundInflightRequestDeduplication on, JIT off (HIVE_BENCH_CONFIG=dedup)',
  },
};

function parseArgs(argv: string[]): Options {
  const known = [
    '--profile',
    '--pin',
    '--soak',
    '--duration',
    '--rounds',
    '--connections',
    '--warmup',
    '--workloads',
    '--targets',
    '--project-env',
    '--subgraph-env',
  ];
  const value = (i: number) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${argv[i]} needs a value.`);
    return v;
  };
  const o: Options = {
    duration: 10,
    rounds: 3,
    connections: 10,
    warmup: 3,
    workloads: ['single', 'direct', 'deep', 'deep-large', 'varied', 'write-mix'],
    targets: ['project', 'project-nocache', 'apollo', 'hive'],
    projectEnv: {},
    subgraphEnv: {},
    profile: false,
    soak: 0,
  };
  const whole = (flag: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} ${v}: give a whole number of at least ${min}.`);
    return n;
  };
  const pair = (flag: string, v: string, into: Record<string, string>) => {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new Error(`${flag} ${v}: write NAME=value.`);
    into[v.slice(0, eq)] = v.slice(eq + 1);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!known.includes(a)) throw new Error(`unknown option ${a}: use ${known.join(', ')}.`);
    if (a === '--profile') {
      o.profile = true;
      continue;
    }
    const v = value(i++);
    if (a === '--duration') o.duration = whole(a, v, 1);
    else if (a === '--rounds') o.rounds = whole(a, v, 1);
    else if (a === '--connections') o.connections = whole(a, v, 1);
    else if (a === '--warmup') o.warmup = whole(a, v, 0);
    else if (a === '--soak') o.soak = whole(a, v, 60);
    else if (a === '--pin') o.pin = String(whole(a, v, 0));
    else if (a === '--workloads') o.workloads = v.split(',');
    else if (a === '--targets') o.targets = v.split(',');
    else if (a === '--project-env') pair(a, v, o.projectEnv);
    else if (a === '--subgraph-env') pair(a, v, o.subgraphEnv);
  }
  const names = workloads().map((w) => w.name);
  for (const w of o.workloads) if (!names.includes(w)) throw new Error(`--workloads: unknown workload "${w}"; known: ${names.join(', ')}.`);
  for (const t of o.targets) if (!TARGETS[t]) throw new Error(`--targets: unknown target "${t}"; known: ${Object.keys(TARGETS).join(', ')}.`);
  if (o.soak > 0) {
    if (!argv.includes('--workloads')) o.workloads = ['varied'];
    if (!argv.includes('--targets')) o.targets = ['project'];
    if (!o.targets[0]!.startsWith('project')) throw new Error("--soak watches the project's gateway: list a project target first in --targets.");
    return o;
  }
  if (!o.targets.includes('apollo')) throw new Error('--targets must include apollo: every ratio is to stock Apollo.');
  return o;
}

interface Process {
  name: string;
  child: ChildProcess;
  url: string;
  exited: Promise<unknown>;
}
const children: Process[] = [];

function start(name: string, entry: string, port: number, env: Record<string, string>, nodeArgs: string[] = [], pin?: string): Process {
  const command = [process.execPath, ...nodeArgs, '--import', 'tsx', path.join(REPO_ROOT, entry)];
  // taskset execs node, so the child's process id is the gateway's own and /proc reads it as before.
  const child = spawn(pin === undefined ? command[0]! : 'taskset', pin === undefined ? command.slice(1) : ['-c', pin, ...command], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const p = { name, child, url: `http://127.0.0.1:${port}/graphql`, exited };
  children.push(p);
  return p;
}

async function post(url: string, body: BenchRequest): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json().catch(() => null) };
}

async function waitAnswering(p: Process, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  let last = 'no answer';
  void p.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${p.name} exited during start-up; its log is above.`);
    try {
      const r = await post(p.url, { query: '{ __typename }' });
      if (r.status === 200) return;
      last = `${r.status} ${JSON.stringify(r.json).slice(0, 300)}`;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${p.name} did not answer within ${timeoutMs / 1000}s (last: ${last}).`);
}

/** A process and its descendants (a gateway with GATEWAY_WORKERS is a primary and its workers). */
function processTree(pid: number): number[] {
  let kids: number[] = [];
  try {
    kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    /* exited */
  }
  return [pid, ...kids.flatMap(processTree)];
}

/** CPU seconds (user + system) and resident memory of a process and its descendants, from /proc: the honest view from outside. */
function sample(pid: number): { cpuSeconds: number; rssMb: number } {
  let cpuSeconds = 0;
  let rssMb = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpuSeconds += (Number(fields[11]) + Number(fields[12])) / 100;
      const rss = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      rssMb += rss ? Number(rss[1]) / 1024 : 0;
    } catch {
      /* exited between the listing and the read */
    }
  }
  return { cpuSeconds, rssMb };
}

/** An OTLP/HTTP endpoint that accepts and counts exports: the collector's part, at no cost to the gateway. */
async function startOtlpSink(): Promise<{ url: string; server: http.Server; received: { requests: number; bytes: number } }> {
  const received = { requests: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    req.on('data', (c: Buffer) => {
      received.bytes += c.length;
    });
    req.on('end', () => {
      received.requests++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, received };
}

interface Run {
  round: number;
  workload: string;
  target: string;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  cpuPercent: number;
  rssMb: number;
  /** CPU of the four subgraph processes together during the run: work a gateway causes downstream. */
  subgraphCpuPercent: number;
  /** The first failed response of the run, to say what went wrong. */
  sampleError?: string;
  /** write-mix only: renames made and refused, reads checked and stale. */
  writes?: WriteTally;
}

async function load(
  url: string,
  workload: Workload,
  seconds: number,
  connections: number,
  credentials: () => Record<string, string> = () => ({}),
): Promise<Omit<Run, 'round' | 'workload' | 'target' | 'cpuPercent' | 'rssMb' | 'subgraphCpuPercent'>> {
  let graphqlErrors = 0;
  let sampleError: string | undefined;
  const tally: WriteTally = { writes: 0, refusedWrites: 0, checkedReads: 0, staleReads: 0 };
  const mix = workload.writes;
  type Conn = ReturnType<NonNullable<Workload['writes']>['connection']>;
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    initialContext: {},
    requests: [
      {
        setupRequest: (req, context) => {
          if (!mix) return { ...req, body: JSON.stringify(workload.next()) };
          const conn = ((context as { conn?: Conn }).conn ??= mix.connection(tally, credentials));
          const { headers, ...body } = conn.next();
          (context as { writing?: boolean }).writing = body.query.startsWith('mutation');
          return { ...req, headers: { ...(req.headers as Record<string, string>), ...headers }, body: JSON.stringify(body) };
        },
        onResponse: (status, body, context, headers) => {
          if (mix) {
            (context as { conn: Conn }).conn.answered(status, body, headers);
            // A rename's outcome is tallied (a stock gateway's are refused by the subgraph), not counted as an error.
            if ((context as { writing?: boolean }).writing) return;
          }
          if (status === 200 && !body.includes('"errors"')) return;
          if (body.includes('"errors"')) graphqlErrors++;
          sampleError ??= `${status} ${body.slice(0, 300)}`;
        },
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts + result.non2xx + graphqlErrors,
    ...(sampleError ? { sampleError } : {}),
    ...(mix ? { writes: tally } : {}),
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The same answer from every gateway for each workload's first request: a benchmark of wrong answers proves nothing. */
async function checkAgreement(targets: Process[], subgraphUrl: string, list: Workload[]): Promise<void> {
  for (const w of list) {
    const body = w.next();
    const urls = w.target === 'gateway' ? targets.map((t) => [t.name, t.url] as const) : [['grants-management', subgraphUrl] as const];
    let first: string | undefined;
    for (const [name, url] of urls) {
      const { status, json } = await post(url, body);
      if (status !== 200 || json?.errors)
        throw new Error(`${name} answered workload ${w.name} with ${status}: ${JSON.stringify(json?.errors ?? json).slice(0, 500)}`);
      // Keys sorted: the order of an object's fields is not part of the answer (a JIT-compiled executor may write them in another).
      const data = JSON.stringify(json.data, (_key, value) =>
        value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b))) : value,
      );
      if (first === undefined) first = data;
      else if (data !== first) {
        let at = 0;
        while (at < data.length && data[at] === first[at]) at++;
        throw new Error(
          `${name} answered workload ${w.name} differently from ${urls[0]![0]}, from character ${at}: ${data.slice(Math.max(0, at - 80), at + 80)} / ${first.slice(Math.max(0, at - 80), at + 80)}`,
        );
      }
    }
    logger.info(`workload ${w.name}: the answer's data is ${(Buffer.byteLength(first!) / 1024).toFixed(1)} KB`);
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const benchDir = path.join(REPO_ROOT, '.data', 'bench');
  fs.mkdirSync(benchDir, { recursive: true });

  const binary = await ensureFerretDb(path.join(REPO_ROOT, '.tools'), logger);
  const database = await startFerretDb({ binary, dataDir: path.join(benchDir, 'ferretdb'), port: 0, logger, reuse: false });
  // Production's signed identity on the project's gateway; the subgraphs verify a signature when there is one and
  // still answer the stock gateways, which sign nothing.
  const secret = crypto.randomBytes(32).toString('hex');
  // write-mix: an editor of the Grants QSMO, with keys the project's gateway is configured to trust.
  const keys = await ensureDevKeys(path.join(benchDir, 'keys'));
  const editor = await mintDevToken(keys, { subject: 'bench-editor@hhs.gov', roles: ['editor'], qsmos: ['GRANTS_MANAGEMENT'], ttl: '12h' });
  const asEditor = () => ({ authorization: `Bearer ${editor}` });
  // The stock gateways verify no token: they pass on the identity the subgraphs trust (what the project's gateway
  // signs for this editor), renewed well within its lifetime, so their renames are real writes too.
  const editorIdentity: Identity = { subject: 'bench-editor@hhs.gov', issuer: DEV_ISSUER, roles: ['editor'], qsmos: ['GRANTS_MANAGEMENT'] };
  let internal = await signInternalToken(editorIdentity, secretBytes(secret), 'grants-management');
  const renew = setInterval(
    () =>
      void signInternalToken(editorIdentity, secretBytes(secret), 'grants-management').then((t) => {
        internal = t;
      }),
    10_000,
  );
  renew.unref();
  const signedEditor = () => ({ [IDENTITY_HEADER]: internal });
  try {
    const subgraphs = await Promise.all(
      SUBGRAPHS.map(async (s) => {
        const profile = o.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(benchDir, 'profiles', s.name)}`] : [];
        const p = start(
          s.name,
          `subgraphs/${s.name}/src/index.ts`,
          await freePort(),
          { MONGODB_URI: database.uri, GATEWAY_SIGNING_SECRET: secret, REQUIRE_GATEWAY_SIGNATURE: 'false', ...SUBGRAPH_ENV, ...o.subgraphEnv },
          profile,
        );
        await waitAnswering(p);
        return p;
      }),
    );
    // The cross-QSMO lists (agencies, providers, offerings) are the directory's: it reads every marketplace at start.
    const directory = start(DIRECTORY.name, 'shared/directory/src/main.ts', await freePort(), {
      GATEWAY_SIGNING_SECRET: secret,
      REQUIRE_GATEWAY_SIGNATURE: 'false',
      ...SUBGRAPH_ENV,
      ...Object.fromEntries(SUBGRAPHS.map((s, i) => [urlEnvName(s.name), subgraphs[i]!.url])),
      ...o.subgraphEnv,
    });
    await waitAnswering(directory);
    const served = [...SUBGRAPHS.map((s, i) => ({ name: s.name, url: subgraphs[i]!.url })), { name: DIRECTORY.name, url: directory.url }];
    const { supergraphSdl } = composeSupergraph(localSubgraphSources(served));
    const supergraphPath = path.join(benchDir, 'supergraph.graphql');
    fs.writeFileSync(supergraphPath, supergraphSdl);

    const targets: Process[] = [];
    let sink: Awaited<ReturnType<typeof startOtlpSink>> | undefined;
    for (const name of o.targets) {
      const env: Record<string, string> = { SUPERGRAPH_PATH: supergraphPath };
      if (name.startsWith('project')) {
        Object.assign(env, {
          ...PROJECT_ENV,
          GATEWAY_SIGNING_SECRET: secret,
          AUTH_JWKS_FILE: keys.jwksFile,
          AUTH_ISSUER: DEV_ISSUER,
          AUTH_AUDIENCE: DEV_AUDIENCE,
          ...o.projectEnv,
        });
      }
      if (name === 'project-nocache' || name === 'project-nodedup' || name === 'project-traced') env.RESPONSE_CACHE = 'off';
      if (name === 'project-nodedup') env.INBOUND_DEDUP = 'off';
      if (name === 'hive-community') env.HIVE_BENCH_CONFIG = 'community';
      if (name === 'hive-dedup') env.HIVE_BENCH_CONFIG = 'dedup';
      // One core: the project's gateway as one worker, unless --project-env says otherwise.
      if (o.pin !== undefined && name.startsWith('project')) env.GATEWAY_WORKERS = o.projectEnv.GATEWAY_WORKERS ?? '1';
      if (name === 'project-traced') env.OTEL_EXPORTER_OTLP_ENDPOINT = (sink ??= await startOtlpSink()).url;
      // Environment URL overrides would otherwise point the project's gateway at the default ports.
      for (const s of served) env[urlEnvName(s.name)] = s.url;
      const profile = name.startsWith('project') && o.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(benchDir, 'profiles')}`] : [];
      const p = start(name, TARGETS[name]!.entry, await freePort(), env, profile, o.pin);
      await waitAnswering(p);
      targets.push(p);
    }
    const grants = subgraphs[SUBGRAPHS.findIndex((s) => s.name === 'grants-management')]!;
    const chosen = workloads().filter((w) => o.workloads.includes(w.name));
    await checkAgreement(targets, grants.url, chosen);
    if (o.soak > 0) {
      await soak(targets[0]!, chosen[0]!, o, benchDir, asEditor);
      return;
    }

    // Each gateway drives its own copy of every workload: write-mix checks each read against the renames
    // confirmed through the same gateway. A rename through another gateway is, to this one, a change made
    // elsewhere, which its cache may serve for the max-age it declares.
    const own = new Map(targets.map((t) => [t.name, new Map(workloads().map((w) => [w.name, w]))]));
    const pass = async (round: number, seconds: number, runs: Run[]) => {
      for (const w of chosen) {
        // Each round starts with the next gateway (A B C, B C A, ...): the first to run meets the subgraphs' coldest read models.
        const list = w.target === 'gateway' ? targets.map((_, i) => targets[(i + round) % targets.length]!) : [grants];
        for (const t of list) {
          const before = sample(t.child.pid!);
          const subgraphsBefore = subgraphs.reduce((n, s) => n + sample(s.child.pid!).cpuSeconds, 0);
          const started = process.hrtime.bigint();
          const r = await load(
            t.url,
            own.get(t.name)?.get(w.name) ?? w,
            seconds,
            w.connections ?? o.connections,
            t.name.startsWith('project') ? asEditor : signedEditor,
          );
          const wall = Number(process.hrtime.bigint() - started) / 1e9;
          const after = sample(t.child.pid!);
          const subgraphsAfter = subgraphs.reduce((n, s) => n + sample(s.child.pid!).cpuSeconds, 0);
          const run: Run = {
            round,
            workload: w.name,
            target: w.target === 'gateway' ? t.name : 'direct',
            ...r,
            cpuPercent: (100 * (after.cpuSeconds - before.cpuSeconds)) / wall,
            rssMb: after.rssMb,
            subgraphCpuPercent: (100 * (subgraphsAfter - subgraphsBefore)) / wall,
          };
          runs.push(run);
          if (round > 0)
            logger.info(
              `round ${round} ${w.name.padEnd(7)} ${run.target.padEnd(8)} ${run.rps.toFixed(0).padStart(6)} req/s  p50 ${run.p50} ms  p99 ${run.p99} ms  errors ${run.errors}${run.writes ? `  renames ${run.writes.writes} (refused ${run.writes.refusedWrites}), reads checked ${run.writes.checkedReads}, stale ${run.writes.staleReads}${run.writes.firstStale ? ` (${run.writes.firstStale})` : ''}` : ''}  CPU ${run.cpuPercent.toFixed(0)} % (subgraphs ${run.subgraphCpuPercent.toFixed(0)} %)${run.sampleError ? ` (first: ${run.sampleError})` : ''}`,
            );
        }
      }
    };
    if (o.warmup > 0) {
      logger.info(`warm-up: ${o.warmup} s per workload and gateway`);
      await pass(0, o.warmup, []);
    }
    const runs: Run[] = [];
    for (let round = 1; round <= o.rounds; round++) await pass(round, o.duration, runs);

    const summary = summarize(runs, chosen, o);
    const file = path.join(benchDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          machine: {
            cpus: os.cpus().length,
            model: os.cpus()[0]?.model,
            memoryGb: Math.round(os.totalmem() / 2 ** 30),
            node: process.version,
            platform: `${os.type()} ${os.release()}`,
          },
          command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
          options: o,
          targets: Object.fromEntries(o.targets.map((t) => [t, TARGETS[t]!.description])),
          workloads: Object.fromEntries(chosen.map((w) => [w.name, w.description])),
          summary,
          runs,
        },
        null,
        2,
      ),
    );
    const writeLines = o.targets
      .map((t) => {
        const tallies = runs.filter((r) => r.target === t && r.writes).map((r) => r.writes!);
        if (!tallies.length) return '';
        const sum = (k: 'writes' | 'refusedWrites' | 'checkedReads' | 'staleReads') => tallies.reduce((n, x) => n + x[k], 0);
        return `write-mix ${t}: renames ${sum('writes')} (refused ${sum('refusedWrites')}), reads checked after a rename ${sum('checkedReads')}, stale ${sum('staleReads')}\n`;
      })
      .join('');
    if (sink) logger.info(`OTLP sink: ${sink.received.requests} exports, ${(sink.received.bytes / 2 ** 20).toFixed(1)} MB of spans from project-traced`);
    sink?.server.close();
    process.stdout.write(`\n${formatTable(summary)}\n${writeLines}JSON: ${path.relative(process.cwd(), file)}\n`);
  } finally {
    for (const c of [...children].reverse()) {
      if (c.child.exitCode === null) c.child.kill('SIGTERM');
      const timer = setTimeout(() => c.child.kill('SIGKILL'), 10_000);
      await c.exited;
      clearTimeout(timer);
    }
    await database.stop();
  }
}

/** A gateway's /metrics (summed over its workers) as a lookup of one sample per metric name. */
async function gatewayMetrics(url: string): Promise<(name: string) => number | undefined> {
  const res = await fetch(url.replace(/\/graphql$/, '/metrics'), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const text = await res.text();
  return (name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
}

/** The response cache's bytes and entries from a gateway's /metrics; undefined when it has no cache. */
async function cacheSize(url: string): Promise<{ bytes: number; entries: number } | undefined> {
  const value = await gatewayMetrics(url);
  const bytes = value('gateway_response_cache_bytes');
  const entries = value('gateway_response_cache_entries');
  return bytes === undefined || entries === undefined ? undefined : { bytes, entries };
}

/**
 * The V8 heap of the gateway's workers (Node's default metrics, summed): what
 * of the RSS is JavaScript objects in use, and what V8 has reserved for them.
 */
async function heapSize(url: string): Promise<{ usedMb: number; totalMb: number } | undefined> {
  const value = await gatewayMetrics(url);
  const used = value('nodejs_heap_size_used_bytes');
  const total = value('nodejs_heap_size_total_bytes');
  return used === undefined || total === undefined ? undefined : { usedMb: used / 2 ** 20, totalMb: total / 2 ** 20 };
}

/** --soak: one long run, memory and the cache's size sampled every 10 s. */
async function soak(target: Process, workload: Workload, o: Options, benchDir: string, credentials: () => Record<string, string>): Promise<void> {
  const limitMb = Number(o.projectEnv.RESPONSE_CACHE_MAX_MB ?? 64);
  const samples: { second: number; rssMb: number; heapUsedMb?: number; heapTotalMb?: number; cacheMb?: number; cacheEntries?: number }[] = [];
  const started = Date.now();
  const take = async () => {
    const { rssMb } = sample(target.child.pid!);
    const cache = await cacheSize(target.url).catch(() => undefined);
    const heap = await heapSize(target.url).catch(() => undefined);
    const s = {
      second: Math.round((Date.now() - started) / 1000),
      rssMb,
      ...(heap ? { heapUsedMb: heap.usedMb, heapTotalMb: heap.totalMb } : {}),
      ...(cache ? { cacheMb: cache.bytes / 2 ** 20, cacheEntries: cache.entries } : {}),
    };
    samples.push(s);
    logger.info(
      `soak ${String(s.second).padStart(4)} s  RSS ${rssMb.toFixed(0)} MB` +
        (heap ? `  heap ${heap.usedMb.toFixed(0)} of ${heap.totalMb.toFixed(0)} MB` : '') +
        (cache ? `  cache ${s.cacheMb!.toFixed(1)} MB in ${cache.entries} responses` : ''),
    );
  };
  await take();
  const timer = setInterval(() => void take(), 10_000);
  const cpuBefore = sample(target.child.pid!).cpuSeconds;
  const r = await load(target.url, workload, o.soak, o.connections, credentials).finally(() => clearInterval(timer));
  await take();
  const wall = (Date.now() - started) / 1000;
  const afterMinute = samples.find((x) => x.second >= 60) ?? samples[0]!;
  const last = samples.at(-1)!;
  const growth = (last.rssMb - afterMinute.rssMb) / afterMinute.rssMb;
  const peakRss = Math.max(...samples.map((x) => x.rssMb));
  const peakCache = Math.max(0, ...samples.map((x) => x.cacheMb ?? 0));
  const verdict = {
    rssFlat: Math.abs(growth) <= 0.2,
    rssGrowth: growth,
    rssAfterFirstMinuteMb: afterMinute.rssMb,
    rssLastMb: last.rssMb,
    rssPeakMb: peakRss,
    cacheWithinLimit: peakCache <= limitMb,
    cachePeakMb: peakCache,
    cacheLimitMb: limitMb,
  };
  const file = path.join(benchDir, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
        target: target.name,
        workload: workload.name,
        seconds: o.soak,
        connections: o.connections,
        load: { ...r, cpuPercent: (100 * (sample(target.child.pid!).cpuSeconds - cpuBefore)) / wall },
        verdict,
        samples,
      },
      null,
      2,
    ),
  );
  process.stdout.write(
    `\nsoak: ${target.name}, ${workload.name}, ${o.soak} s, ${o.connections} connections: ${r.requests} requests (${r.rps.toFixed(0)} req/s), p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}\n` +
      `RSS ${afterMinute.rssMb.toFixed(0)} MB after the first minute, ${last.rssMb.toFixed(0)} MB at the end (${(100 * growth).toFixed(1)} %, peak ${peakRss.toFixed(0)} MB): ${verdict.rssFlat ? 'flat' : 'NOT flat'} (within 20 %)\n` +
      `response cache: peak ${peakCache.toFixed(1)} MB of ${limitMb} MB: ${verdict.cacheWithinLimit ? 'within' : 'OVER'} its size\n` +
      `JSON: ${path.relative(process.cwd(), file)}\n`,
  );
}

interface Row {
  workload: string;
  target: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  cpuPercent: number;
  rssMb: number;
  /** The subgraphs' CPU per 1,000 requests of this gateway (CPU seconds): what the gateway makes the subgraphs do. */
  subgraphCpuPerKilo: number;
  /** This target's RPS over stock Apollo's, per round, and their median; undefined for the direct row. */
  ratios?: number[];
  ratio?: number;
}

function summarize(runs: Run[], chosen: Workload[], o: Options): Row[] {
  const rows: Row[] = [];
  for (const w of chosen) {
    const names = w.target === 'gateway' ? o.targets : ['direct'];
    for (const target of names) {
      const mine = runs.filter((r) => r.workload === w.name && r.target === target);
      const row: Row = {
        workload: w.name,
        target,
        rps: median(mine.map((r) => r.rps)),
        p50: median(mine.map((r) => r.p50)),
        p99: median(mine.map((r) => r.p99)),
        errors: mine.reduce((n, r) => n + r.errors, 0),
        cpuPercent: median(mine.map((r) => r.cpuPercent)),
        rssMb: Math.max(...mine.map((r) => r.rssMb)),
        subgraphCpuPerKilo: median(mine.map((r) => (r.rps > 0 ? (10 * r.subgraphCpuPercent) / r.rps : NaN))),
      };
      if (w.target === 'gateway') {
        row.ratios = mine.map((r) => {
          const ref = runs.find((x) => x.workload === w.name && x.target === 'apollo' && x.round === r.round);
          return ref && ref.rps > 0 ? r.rps / ref.rps : NaN;
        });
        row.ratio = median(row.ratios);
      }
      rows.push(row);
    }
  }
  return rows;
}

function formatTable(rows: Row[]): string {
  const head = ['workload', 'gateway', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'CPU %', 'RSS MB', 'subgraph CPU s/1k req', '/ apollo (rounds)', 'median'];
  const body = rows.map((r) => [
    r.workload,
    r.target,
    r.rps.toFixed(0),
    String(r.p50),
    String(r.p99),
    String(r.errors),
    r.cpuPercent.toFixed(0),
    r.rssMb.toFixed(0),
    r.subgraphCpuPerKilo.toFixed(2),
    r.ratios ? r.ratios.map((x) => x.toFixed(2)).join(' ') : '',
    r.ratio !== undefined ? r.ratio.toFixed(2) : '',
  ]);
  return [head, head.map(() => '---'), ...body].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

main().catch((error) => {
  logger.error(error instanceof Error ? error.message : String(error));
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  process.exit(1);
});
