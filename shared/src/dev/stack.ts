import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { EnvReader, REPO_ROOT } from '../config';
import { openDatabase, readDatabaseConfig } from '../database';
import { createLogger } from '../logger';
import { exitOnStartupError } from '../shutdown';

/**
 * `npm start`: the whole graph on one machine. Opens the database (the
 * embedded FerretDB unless MONGODB_URI is set), starts the four subgraphs and
 * then the gateway as child processes, and stops all of them, database last,
 * on Ctrl-C or SIGTERM. A child that dies is reported and left down, so the
 * rest of the graph keeps answering (that is how partial failure is tried).
 */
process.env.APOLLO_TELEMETRY_DISABLED ??= '1';

const SERVICES = [
  { name: 'financial-management', entry: 'subgraphs/financial-management/src/index.ts', port: 4001 },
  { name: 'human-resources', entry: 'subgraphs/human-resources/src/index.ts', port: 4002 },
  { name: 'grants-management', entry: 'subgraphs/grants-management/src/index.ts', port: 4003 },
  { name: 'cybersecurity', entry: 'subgraphs/cybersecurity/src/index.ts', port: 4004 },
] as const;

const envName = (name: string, suffix: string) => `${name.toUpperCase().replace(/-/g, '_')}_${suffix}`;

interface Running { name: string; url: string; child: ChildProcess; exited: Promise<number | null> }

function startService(name: string, entry: string, env: NodeJS.ProcessEnv): Omit<Running, 'url'> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, entry)], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  return { name, child, exited };
}

async function waitReady(service: Omit<Running, 'url'>, port: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  void service.exited.then(() => { done = true; });
  while (Date.now() < deadline) {
    if (done) throw new Error(`${service.name} exited during start-up; its log is above.`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${service.name} was not ready within ${timeoutMs / 1000}s.`);
}

const logger = createLogger('stack');
const running: Running[] = [];
let stopDatabase: () => Promise<void> = async () => undefined;
let stopping = false;

async function stopAll(): Promise<void> {
  stopping = true;
  // Gateway first so no request reaches a subgraph that is going away, database last.
  for (const service of [...running].reverse()) {
    if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGTERM');
    const timer = setTimeout(() => service.child.kill('SIGKILL'), 15_000);
    await service.exited;
    clearTimeout(timer);
  }
  await stopDatabase();
}

void (async () => {
  const env = new EnvReader();
  const dbConfig = readDatabaseConfig(env);
  const gatewayPort = env.port('PORT', 4000);
  const ports = SERVICES.map((s) => env.port(envName(s.name, 'PORT'), s.port));
  env.done();

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    logger.info(`${signal}: stopping the graph`);
    void stopAll().then(() => process.exit(0), (e) => { logger.error(e); process.exit(1); });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const database = await openDatabase(dbConfig, logger);
  stopDatabase = () => database.stop();

  const subgraphUrls: Record<string, string> = {};
  await Promise.all(SERVICES.map(async (s, i) => {
    const port = ports[i] as number;
    const service = startService(s.name, s.entry, { MONGODB_URI: database.uri, PORT: String(port) });
    const url = `http://localhost:${port}/graphql`;
    running.push({ ...service, url });
    subgraphUrls[envName(s.name, 'URL')] = url;
    await waitReady(service, port);
  }));
  const gateway = startService('gateway', 'gateway/src/index.ts', { ...subgraphUrls, PORT: String(gatewayPort) });
  running.push({ ...gateway, url: `http://localhost:${gatewayPort}/graphql` });
  await waitReady(gateway, gatewayPort);

  for (const s of running) {
    void s.exited.then((code) => { if (!stopping) logger.warn(`${s.name} stopped (exit ${code}); the rest of the graph keeps running`); });
  }
  const width = Math.max(...running.map((s) => s.name.length));
  process.stdout.write('\nThe QSMO shared-services graph is up:\n');
  for (const s of running) process.stdout.write(`  ${s.name.padEnd(width)}  ${s.url}\n`);
  process.stdout.write(`  ${'database'.padEnd(width)}  ${database.uri}${dbConfig.kind === 'embedded' ? ' (embedded FerretDB)' : ''}\n`);
  process.stdout.write('Press Ctrl-C to stop.\n\n');
})().catch(exitOnStartupError(logger, stopAll));
