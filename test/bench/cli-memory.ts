import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, createMetrics, EnvReader, openDatabase, readDatabaseConfig, REPO_ROOT, type DomainDefinition } from '../../shared/src';
import { createMongoClient } from '../../shared/src/mongo';
import { seedSynthetic, syntheticCatalogDescription, syntheticDatabaseName, type SyntheticOptions } from '../../shared/src/dev/synthetic';
import { openSeededDatabase, type TestDatabase } from '../support/db';
import { startGraph } from '../support/graph';

/**
 * `npm run bench:cli [-- --offerings 20000 --customers 200000 --page 100]`:
 * does `npm run query -- --all-pages` stream with flat memory? Runs the CLI
 * over every page of a synthetic Grants Management marketplace (seeded into
 * qsmo_synthetic_grants_management when it does not hold that size yet) and
 * samples the CLI process's resident memory while it writes the CSV. Memory
 * is flat when what it holds in the last stretch of the run is about what it
 * held early on, while the output keeps growing; the exit status says so.
 */
const logger = createLogger('bench-cli');

function parseArgs(argv: string[]): SyntheticOptions & { page: number } {
  const get = (flag: string, fallback: number) => {
    const i = argv.indexOf(flag);
    if (i < 0) return fallback;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} ${argv[i + 1]}: give a whole number above 0.`);
    return n;
  };
  return { offerings: get('--offerings', 20_000), customers: get('--customers', 200_000), page: get('--page', 100), seed: 1 };
}

/** Resident memory of a process in MB, from /proc on Linux, ps elsewhere. */
function rssMb(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const mb = (n: number) => `${n.toFixed(1)} MB`;

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const env = new EnvReader();
  const dbConfig = readDatabaseConfig(env);
  env.done();
  const database = await openDatabase(dbConfig, logger);
  // The other three subgraphs run on the real catalog in throwaway test databases on the same server.
  process.env.QSMO_TEST_MONGODB_URI = database.uri;
  const client = createMongoClient(database.uri, { appName: 'bench-cli' });
  await client.connect();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-bench-'));
  try {
    const grantsDb = client.db(syntheticDatabaseName('GRANTS_MANAGEMENT'));
    const seeded = await grantsDb.collection<{ _id: string; description?: string }>('_meta').findOne({ _id: 'seed' });
    if (seeded?.description !== syntheticCatalogDescription('GRANTS_MANAGEMENT', options)) {
      logger.info(`seeding ${grantsDb.databaseName} with ${options.offerings} offerings and ${options.customers} customer links (once; later runs reuse it)`);
      await seedSynthetic(grantsDb, 'GRANTS_MANAGEMENT', options, logger);
    }
    const synthetic = async (definition: DomainDefinition): Promise<TestDatabase> => {
      if (definition.domain !== 'GRANTS_MANAGEMENT') return openSeededDatabase(definition);
      return { client, db: grantsDb, metrics: createMetrics(definition.serviceName, { defaultMetrics: false }), drop: async () => undefined };
    };
    const graph = await startGraph({ openDatabase: synthetic });
    try {
      const out = path.join(dir, 'offerings.csv');
      const started = Date.now();
      const child = spawn(process.execPath, [
        '--import', 'tsx', 'gateway/src/cli/query.ts', 'gateway/operations/grants-offerings-page.graphql',
        '--all-pages', '--var', `first=${options.page}`, '--out', out, '--endpoint', graph.gatewayUrl,
      ], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
      const samples: { t: number; rss: number; bytes: number }[] = [];
      const timer = setInterval(() => {
        const rss = rssMb(child.pid!);
        if (rss !== undefined) samples.push({ t: Date.now() - started, rss, bytes: fs.existsSync(out) ? fs.statSync(out).size : 0 });
      }, 100);
      const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
      clearInterval(timer);
      const seconds = (Date.now() - started) / 1000;
      if (status !== 0) throw new Error(`the CLI exited with status ${status}`);
      const lines = fs.readFileSync(out, 'utf8').split('\r\n').length - 2;
      if (samples.length < 10) throw new Error('the run was too short to sample its memory: use more --offerings.');
      // Start-up (loading tsx, the first page) is not streaming: compare from the first quarter of the run on.
      const quarter = (q: number) => samples.filter((s) => s.t >= (seconds * 1000 * q) / 4 && s.t < (seconds * 1000 * (q + 1)) / 4);
      const peak = (list: typeof samples) => Math.max(...list.map((s) => s.rss));
      const rows = [1, 2, 3].map((q) => ({ q, peak: peak(quarter(q)), output: Math.max(...quarter(q).map((s) => s.bytes)) / 1024 / 1024 }));
      process.stdout.write(`\n--all-pages, ${lines} rows in ${Math.ceil(options.offerings / options.page)} pages of ${options.page}, ${seconds.toFixed(1)}s (${Math.round(lines / seconds)} rows/s)\n`);
      process.stdout.write('  run quarter   peak RSS of the CLI   CSV written so far\n');
      for (const r of rows) process.stdout.write(`  ${String(r.q + 1).padEnd(12)}  ${mb(r.peak).padStart(18)}  ${mb(r.output).padStart(18)}\n`);
      const growth = rows[2]!.peak - rows[0]!.peak;
      const outputGrowth = rows[2]!.output - rows[0]!.output;
      // Flat: memory grows far less than the output does (and stays within a few MB of garbage-collector noise).
      const flat = growth < Math.max(16, outputGrowth / 4);
      process.stdout.write(`\nRSS from quarter 2 to 4: ${growth >= 0 ? '+' : ''}${mb(growth)} while the CSV grew ${mb(outputGrowth)}: memory is ${flat ? 'flat' : 'NOT flat'}.\n`);
      return flat ? 0 : 1;
    } finally {
      await graph.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await client.close();
    await database.stop();
  }
}

main().then((code) => { process.exitCode = code; }, (error: unknown) => {
  logger.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
