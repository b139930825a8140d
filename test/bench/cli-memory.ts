import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { buildSchema, graphql } from 'graphql';
import { createLogger } from '@qsmo/service-kit/logger';
import { createMetrics } from '@qsmo/service-kit/metrics';
import { EnvReader, REPO_ROOT } from '@qsmo/service-kit/config';
import { openDatabase, readDatabaseConfig } from '@qsmo/service-kit/database';
import { type DomainDefinition } from '@qsmo/subgraph-kit/domain/definition';
import { createMongoClient } from '@qsmo/service-kit/mongo';
import { seedSynthetic, syntheticCatalogDescription, syntheticDatabaseName, syntheticNumberWidth } from '@qsmo/dev-tools/synthetic';
import { GENERATED_DIR } from '../../gateway/src/operations';
import { openSeededDatabase, type TestDatabase } from '../support/db';
import { startGraph } from '../support/graph';

/**
 * `npm run bench:cli`: does `npm run query -- --all-pages` stream with flat
 * memory? Runs the CLI over every page of a large Grants Management
 * marketplace, writing CSV to a file, and samples the CLI process's resident
 * memory. Memory is flat when it barely grows from the second to the last
 * quarter of the run while the CSV keeps growing; the exit status says so.
 *
 *   npm run bench:cli [-- --rows 200000 --page 100]
 *     against an in-process GraphQL server with the graph's API schema
 *     (gateway/operations/generated/schema.graphql) answering synthetic pages
 *     from memory: fast, so the data set can be large; only the CLI is measured.
 *   npm run bench:cli -- --graph [--offerings 20000 --customers 200000 --page 100]
 *     against the real gateway and subgraphs, Grants Management on
 *     qsmo_synthetic_grants_management (seeded when it does not hold that size).
 *     Slow on the embedded FerretDB, which scans the collection for every page
 *     (seconds per page at 20,000 offerings); fast on a real MongoDB (MONGODB_URI).
 */
const logger = createLogger('bench-cli');
const OPERATION = 'gateway/operations/grants-offerings-page.graphql';

interface Options {
  graph: boolean;
  rows: number;
  offerings: number;
  customers: number;
  page: number;
}

function parseArgs(argv: string[]): Options {
  const get = (flag: string, fallback: number) => {
    const i = argv.indexOf(flag);
    if (i < 0) return fallback;
    const n = Number(argv[i + 1]?.replace(/_/g, ''));
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} ${argv[i + 1]}: give a whole number above 0.`);
    return n;
  };
  const known = new Set(['--graph', '--rows', '--offerings', '--customers', '--page']);
  for (const a of argv) if (a.startsWith('--') && !known.has(a)) throw new Error(`unknown option ${a}: use ${[...known].join(', ')}.`);
  return {
    graph: argv.includes('--graph'),
    rows: get('--rows', 200_000),
    offerings: get('--offerings', 20_000),
    customers: get('--customers', 200_000),
    page: get('--page', 100),
  };
}

/** A GraphQL endpoint with the graph's API schema whose Grants Management offerings are generated per page. */
async function startSyntheticEndpoint(rows: number): Promise<{ url: string; close(): Promise<void> }> {
  const schema = buildSchema(fs.readFileSync(path.join(GENERATED_DIR, 'schema.graphql'), 'utf8'));
  const width = syntheticNumberWidth(rows);
  const cursor = (i: number) => Buffer.from(String(i)).toString('base64url');
  const offerings = ({ first = 20, after }: { first?: number; after?: string | null }) => {
    const start = after ? Number(Buffer.from(after, 'base64url').toString()) + 1 : 0;
    const end = Math.min(rows, start + first);
    const edges = [];
    for (let i = start; i < end; i++) {
      const n = String(i + 1).padStart(width, '0');
      edges.push({
        cursor: cursor(i),
        node: {
          id: `grm-synthetic-${n}`,
          name: `Synthetic offering ${n}`,
          category: `Synthetic category ${1 + (i % 7)}`,
          shelf: ['FEDERAL', 'COMMERCIAL', 'MANDATORY'][i % 3],
          verification: 'UNVERIFIED',
          launchedOn: null,
          provider: { id: 'synthetic-provider', name: 'Synthetic provider, "quoted" for CSV' },
        },
      });
    }
    return { totalCount: rows, edges, pageInfo: { hasNextPage: end < rows, endCursor: end > start ? cursor(end - 1) : (after ?? null) } };
  };
  const rootValue = { grantsManagement: () => ({ offerings }) };
  const server = http.createServer((req, res) => {
    let body = '';
    req
      .setEncoding('utf8')
      .on('data', (c: string) => {
        body += c;
      })
      .on('end', () => {
        const { query, variables, operationName } = JSON.parse(body) as { query: string; variables?: Record<string, unknown>; operationName?: string };
        void graphql({ schema, source: query, variableValues: variables, operationName, rootValue }).then((result) => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(result));
        });
      });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The whole graph, Grants Management on the synthetic database; the others on the real catalog in throwaway databases. */
async function startSyntheticGraph(options: Options): Promise<{ url: string; close(): Promise<void> }> {
  const env = new EnvReader();
  const dbConfig = readDatabaseConfig(env);
  env.done();
  const database = await openDatabase(dbConfig, logger);
  process.env.QSMO_TEST_MONGODB_URI = database.uri;
  const client = createMongoClient(database.uri, { appName: 'bench-cli' });
  await client.connect();
  const synthetic = { offerings: options.offerings, customers: options.customers, seed: 1 };
  const grantsDb = client.db(syntheticDatabaseName('GRANTS_MANAGEMENT'));
  const seeded = await grantsDb.collection<{ _id: string; description?: string }>('_meta').findOne({ _id: 'seed' });
  if (seeded?.description !== syntheticCatalogDescription('GRANTS_MANAGEMENT', synthetic)) {
    logger.info(`seeding ${grantsDb.databaseName}: ${options.offerings} offerings, ${options.customers} customer links (later runs reuse it)`);
    await seedSynthetic(grantsDb, 'GRANTS_MANAGEMENT', synthetic, logger);
  }
  const openDb = async (definition: DomainDefinition): Promise<TestDatabase> => {
    if (definition.domain !== 'GRANTS_MANAGEMENT') return openSeededDatabase(definition);
    // Kept after the run: the next bench reuses it.
    return { client, db: grantsDb, metrics: createMetrics(definition.serviceName, { defaultMetrics: false }), drop: async () => undefined };
  };
  const graph = await startGraph({ openDatabase: openDb });
  return {
    url: graph.gatewayUrl,
    async close() {
      await graph.stop();
      await client.close();
      await database.stop();
    },
  };
}

/** Resident memory of a process in MB (Linux /proc). */
function rssMb(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const mb = (n: number) => `${n.toFixed(1)} MB`;

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  if (!fs.existsSync('/proc/self/status')) throw new Error('the benchmark samples memory from /proc: run it on Linux.');
  const total = options.graph ? options.offerings : options.rows;
  const endpoint = options.graph ? await startSyntheticGraph(options) : await startSyntheticEndpoint(options.rows);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-bench-'));
  try {
    const out = path.join(dir, 'offerings.csv');
    const started = Date.now();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'gateway/src/cli/query.ts', OPERATION, '--all-pages', '--var', `first=${options.page}`, '--out', out, '--endpoint', endpoint.url],
      { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    const samples: { t: number; rss: number; bytes: number }[] = [];
    const timer = setInterval(() => {
      const rss = rssMb(child.pid!);
      if (rss !== undefined) samples.push({ t: Date.now() - started, rss, bytes: fs.existsSync(out) ? fs.statSync(out).size : 0 });
    }, 50);
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearInterval(timer);
    const ms = Date.now() - started;
    if (status !== 0) throw new Error(`the CLI exited with status ${status}`);
    const rows = fs.readFileSync(out, 'utf8').split('\r\n').length - 2;
    if (rows !== total) throw new Error(`the CSV holds ${rows} rows, not ${total}`);
    const quarter = (q: number) => samples.filter((s) => s.t >= (ms * q) / 4 && s.t < (ms * (q + 1)) / 4);
    if ([1, 2, 3].some((q) => quarter(q).length < 3)) throw new Error('the run was too short to sample its memory: ask for more --rows.');
    const stats = [0, 1, 2, 3].map((q) => ({
      q,
      peak: Math.max(...quarter(q).map((s) => s.rss)),
      output: Math.max(...quarter(q).map((s) => s.bytes)) / 1048576,
    }));
    process.stdout.write(
      `\n--all-pages against ${options.graph ? 'the graph on synthetic data' : 'a synthetic GraphQL endpoint'}: ` +
        `${rows} rows in ${Math.ceil(total / options.page)} pages of ${options.page}, ${(ms / 1000).toFixed(1)}s (${Math.round(rows / (ms / 1000))} rows/s)\n`,
    );
    process.stdout.write('  quarter of the run   peak RSS of the CLI   CSV written by then\n');
    for (const s of stats) process.stdout.write(`  ${String(s.q + 1).padEnd(18)}  ${mb(s.peak).padStart(19)}  ${mb(s.output).padStart(19)}\n`);
    // Quarter 1 is start-up (loading tsx and the CLI), not streaming.
    const growth = stats[3]!.peak - stats[1]!.peak;
    const outputGrowth = stats[3]!.output - stats[1]!.output;
    const flat = growth < Math.max(16, outputGrowth / 4);
    process.stdout.write(
      `\nRSS from quarter 2 to 4: ${growth >= 0 ? '+' : ''}${mb(growth)} while the CSV grew ${mb(outputGrowth)}: memory is ${flat ? 'flat' : 'NOT flat'}.\n`,
    );
    return flat ? 0 : 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await endpoint.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    logger.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
