import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { EnvReader } from '@qsmo/service-kit/config';
import { DIRECTORY, envName, REPO_ROOT, SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { directorySdl } from '@qsmo/directory/schema';
import { openDatabase, readDatabaseConfig } from '@qsmo/service-kit/database';
import { createLogger, type Logger } from '@qsmo/service-kit/logger';
import { connectMongo, createMongoClient } from '@qsmo/service-kit/mongo';
import { formatCheckReport } from '@qsmo/registry/cli';
import { defaultPublisher, publishSubgraphs } from '@qsmo/registry/publish';
import { DEFAULT_REGISTRY_DATABASE, SchemaRegistry } from '@qsmo/registry/store';
import { exitOnStartupError } from '@qsmo/service-kit/shutdown';
import { subgraphSdl } from '@qsmo/subgraph-kit/subgraph/schema';
import { DEV_AUDIENCE, DEV_ISSUER, DEV_KEYS_DIR, ensureDevKeys } from './dev-keys';
import { busyPorts } from '@qsmo/service-kit/ports';
import { STACK_PREFIXES, STACK_VARIABLES } from './stack-config-schema';

/**
 * `npm start`: the whole graph on one machine. Opens the database (the
 * embedded FerretDB unless MONGODB_URI is set), starts the subgraphs of the list,
 * publishes their local schemas to the schema registry (database
 * qsmo_registry on the same server), then starts the gateway following that
 * registry, all as child processes, and stops all of them, database last,
 * on Ctrl-C or SIGTERM. A child that crashes or is killed is restarted with
 * backoff (1 s, doubling to 30 s); one stopped on purpose (SIGTERM or
 * SIGINT sent to that child, or named in STACK_KEEP_DOWN) is left down, so
 * the rest of the graph keeps answering: that is how partial failure is tried.
 */
process.env.APOLLO_TELEMETRY_DISABLED ??= '1';

const SERVICES = SUBGRAPHS.map((s) => ({ name: s.name, entry: `subgraphs/${s.name}/src/index.ts`, port: s.port, subgraph: s }));

interface Running {
  name: string;
  url: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  restart?: () => Omit<Running, 'url'>;
}

function startService(name: string, entry: string, env: NodeJS.ProcessEnv): Omit<Running, 'url'> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, entry)], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  return { name, child, exited };
}

/** One readiness probe over node:http (fetch refuses ports such as 6000), with the reason when it is not ready. */
function probeReady(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health/ready', timeout: 2_000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? undefined : `/health/ready answered ${res.statusCode}`);
    });
    req.on('timeout', () => req.destroy(new Error('/health/ready gave no answer within 2 s')));
    req.on('error', (error) => resolve(error.message));
  });
}

async function waitReady(service: Omit<Running, 'url'>, port: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  let last = 'no probe yet';
  void service.exited.then(() => {
    done = true;
  });
  while (Date.now() < deadline) {
    if (done) throw new Error(`${service.name} exited during start-up; its log is above.`);
    const problem = await probeReady(port);
    if (problem === undefined) return;
    last = problem;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${service.name} was not ready within ${timeoutMs / 1000}s on port ${port}; last probe: ${last}.`);
}

const RESTART_FIRST_MS = 1_000;
const RESTART_MAX_MS = 30_000;
/** A child that has run this long since its last start is healthy again: its next crash restarts after the first delay. */
const RESTART_RESET_AFTER_MS = 60_000;

/**
 * Restarts a child that dies, with doubling backoff, unless it was stopped on
 * purpose: SIGTERM or SIGINT sent to it (`kill <pid>`), or its name in
 * STACK_KEEP_DOWN. Each restart and each decision to leave it down is logged.
 */
function supervise(service: Running, keepDown: ReadonlySet<string>, log: Logger): void {
  let delay = RESTART_FIRST_MS;
  let startedAt = Date.now();
  const watch = (): void => {
    const { child } = service;
    void service.exited.then(() => {
      if (stopping) return;
      const how = child.signalCode ? `signal ${child.signalCode}` : `exit ${child.exitCode}`;
      if (keepDown.has(service.name) || child.signalCode === 'SIGTERM' || child.signalCode === 'SIGINT') {
        log.warn(`${service.name} stopped (${how}) and is left down on purpose; the rest of the graph keeps running. Restart \`npm start\` to bring it back.`);
        return;
      }
      if (Date.now() - startedAt > RESTART_RESET_AFTER_MS) delay = RESTART_FIRST_MS;
      log.warn(`${service.name} died (${how}); restarting in ${delay / 1000} s`);
      setTimeout(() => {
        if (stopping || !service.restart) return;
        Object.assign(service, service.restart());
        startedAt = Date.now();
        log.info(`${service.name} restarted (pid ${service.child.pid})`);
        watch();
      }, delay);
      delay = Math.min(delay * 2, RESTART_MAX_MS);
    });
  };
  watch();
}

/**
 * Publishes every local schema with its local URL as one supergraph
 * (a no-op when nothing changed since the last start). Breaking changes are
 * only warned about: this registry is the developer's own, and a schema being
 * edited must not stop the graph from starting. Composition errors stop it:
 * the gateway could not serve such a graph.
 */
async function publishLocalSchemas(uri: string, databaseName: string, urls: Record<string, string>, log: Logger): Promise<void> {
  const client = createMongoClient(uri, { appName: 'stack-publish' });
  try {
    await connectMongo(client, log, 'the schema registry');
    const registry = new SchemaRegistry(client.db(databaseName));
    const candidates = [
      ...SERVICES.map((s) => ({
        name: s.name,
        url: urls[s.name] as string,
        sdl: subgraphSdl(s.subgraph),
      })),
      { name: DIRECTORY.name, url: urls[DIRECTORY.name] as string, sdl: directorySdl() },
    ];
    const result = await publishSubgraphs(registry, candidates, { publisher: `${defaultPublisher()} (npm start)`, allowBreaking: true });
    if (result.status === 'refused') {
      throw new Error(`The local schemas cannot be served:\n${formatCheckReport(result.report)}`);
    }
    for (const s of result.report.subgraphs) {
      for (const c of s.breaking) log.warn(`${s.name}: breaking change published to the local registry only: ${c.description}`);
    }
    if (result.status === 'unchanged') {
      log.info(`schema registry ${databaseName}: the local schemas are already published (supergraph v${result.supergraph.version})`);
    } else {
      const changed = result.subgraphs.filter((v) => result.supergraph.changed.includes(v.subgraph)).map((v) => `${v.subgraph} v${v.version}`);
      log.info(`schema registry ${databaseName}: published supergraph v${result.supergraph.version} (new: ${changed.join(', ')})`);
    }
  } finally {
    await client.close();
  }
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
  const env = new EnvReader(process.env, STACK_VARIABLES);
  const dbConfig = readDatabaseConfig(env);
  const gatewayPort = env.port('PORT', 4000);
  const ports = SERVICES.map((s) => env.port(envName(s.name, 'PORT'), s.port));
  const databases = SERVICES.map((s) => {
    const name = envName(s.name, 'MONGODB_DATABASE');
    return env.databaseName(name, '') || undefined;
  });
  const registryUri = env.mongoUri('REGISTRY_MONGODB_URI');
  const registryDatabase = env.databaseName('REGISTRY_DATABASE', DEFAULT_REGISTRY_DATABASE);
  const keepDown = new Set(
    (env.string('STACK_KEEP_DOWN') ?? '')
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean),
  );
  const directoryPort = env.port(envName(DIRECTORY.name, 'PORT'), DIRECTORY.port);
  const names = new Set([...SERVICES.map((s) => s.name), DIRECTORY.name, 'gateway']);
  for (const name of keepDown)
    if (!names.has(name)) env.problem(`STACK_KEEP_DOWN names "${name}", which npm start does not run: use one of ${[...names].join(', ')}.`);
  const keysDir = env.string('DEV_KEYS_DIR', DEV_KEYS_DIR);
  // A configured identity provider wins; otherwise the local development key pair stands in for one.
  const ownKeys = env.string('AUTH_JWKS_URL') === undefined && env.string('AUTH_JWKS_FILE') === undefined;
  // The subgraphs get the database as MONGODB_URI even when it is the embedded one, where the read model is on by default.
  const readModel = env.oneOf('READ_MODEL', ['on', 'off'], dbConfig.kind === 'embedded' ? 'on' : 'off');
  const workers = env.positiveInt('GATEWAY_WORKERS', 1);
  const signingSecretSet = env.string('GATEWAY_SIGNING_SECRET');
  // The stack's environment goes on to the services, which warn about what they do not read themselves; here only the stack's own prefix.
  for (const warning of env.warnings({
    service: 'npm start',
    prefixes: STACK_PREFIXES,
    knownElsewhere: Object.keys(process.env).filter((name) => !name.startsWith('STACK_')),
  }))
    logger.warn(warning);
  env.done();

  // Another stack (or anything else) on one of these ports would answer our readiness probes and our
  // children would die and restart forever: stop before starting anything, naming the process to stop.
  const busy = await busyPorts([
    { service: 'the gateway', port: gatewayPort, host: '0.0.0.0', variable: 'PORT' },
    ...SERVICES.map((s, i) => ({ service: s.name, port: ports[i] as number, host: '0.0.0.0', variable: envName(s.name, 'PORT') })),
    { service: DIRECTORY.name, port: directoryPort, host: '0.0.0.0', variable: envName(DIRECTORY.name, 'PORT') },
  ]);
  if (busy.length > 0) {
    process.stderr.write(
      `npm start did not start the graph: ${busy.length === 1 ? 'a port it needs is' : 'ports it needs are'} taken.\n${busy.map((line) => `  - ${line}`).join('\n')}\n`,
    );
    process.exit(1);
  }

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    logger.info(`${signal}: stopping the graph`);
    void stopAll().then(
      () => process.exit(0),
      (e) => {
        logger.error(e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const database = await openDatabase(dbConfig, logger);
  stopDatabase = () => database.stop();
  const keys = await ensureDevKeys(keysDir);
  const signingSecret = signingSecretSet || keys.signingSecret;

  const subgraphUrls: Record<string, string> = {};
  await Promise.all(
    SERVICES.map(async (s, i) => {
      const port = ports[i] as number;
      const serviceEnv = {
        MONGODB_URI: database.uri,
        PORT: String(port),
        // Per-service database names (e.g. a synthetic data set for one subgraph); unset keeps each subgraph's default.
        MONGODB_DATABASE: databases[i] ?? '',
        // Only the gateway, on this machine, talks to the subgraphs; it signs every request.
        HOST: '127.0.0.1',
        GATEWAY_SIGNING_SECRET: signingSecret,
        READ_MODEL: readModel,
      };
      const service = startService(s.name, s.entry, serviceEnv);
      const url = `http://localhost:${port}/graphql`;
      running.push({ ...service, url, restart: () => startService(s.name, s.entry, serviceEnv) });
      subgraphUrls[s.name] = `http://127.0.0.1:${port}/graphql`;
      await waitReady(service, port);
    }),
  );
  // The directory reads every marketplace at start, so it starts once they answer.
  const directoryEnv = {
    PORT: String(directoryPort),
    HOST: '127.0.0.1',
    GATEWAY_SIGNING_SECRET: signingSecret,
    ...Object.fromEntries(SUBGRAPHS.map((s) => [envName(s.name, 'URL'), subgraphUrls[s.name]])),
  };
  const directoryEntry = 'shared/directory/src/main.ts';
  const directory = startService(DIRECTORY.name, directoryEntry, directoryEnv);
  running.push({ ...directory, url: `http://localhost:${directoryPort}/graphql`, restart: () => startService(DIRECTORY.name, directoryEntry, directoryEnv) });
  subgraphUrls[DIRECTORY.name] = `http://127.0.0.1:${directoryPort}/graphql`;
  await waitReady(directory, directoryPort);
  await publishLocalSchemas(registryUri ?? database.uri, registryDatabase, subgraphUrls, logger);
  const gatewayEnv = {
    PORT: String(gatewayPort),
    SUPERGRAPH_SOURCE: 'registry',
    SUPERGRAPH_PATH: '',
    REGISTRY_MONGODB_URI: registryUri ?? database.uri,
    REGISTRY_DATABASE: registryDatabase,
    GATEWAY_SIGNING_SECRET: signingSecret,
    // One gateway process: the local stack shares its cores with four subgraphs and the database; GATEWAY_WORKERS overrides.
    GATEWAY_WORKERS: String(workers),
    ...(ownKeys ? { AUTH_JWKS_FILE: keys.jwksFile, AUTH_ISSUER: DEV_ISSUER, AUTH_AUDIENCE: DEV_AUDIENCE } : {}),
  };
  const gateway = startService('gateway', 'gateway/src/index.ts', gatewayEnv);
  running.push({ ...gateway, url: `http://localhost:${gatewayPort}/graphql`, restart: () => startService('gateway', 'gateway/src/index.ts', gatewayEnv) });
  await waitReady(gateway, gatewayPort);

  for (const s of running) supervise(s, keepDown, logger);
  const width = Math.max(...running.map((s) => s.name.length));
  process.stdout.write('\nThe QSMO shared-services graph is up:\n');
  for (const s of running) process.stdout.write(`  ${s.name.padEnd(width)}  ${s.url}\n`);
  process.stdout.write(`  ${'database'.padEnd(width)}  ${database.uri}${dbConfig.kind === 'embedded' ? ' (embedded FerretDB)' : ''}\n`);
  process.stdout.write(`  ${'registry'.padEnd(width)}  ${registryDatabase} (the gateway follows it: \`npm run schema:publish -w subgraphs/<name>\`)\n`);
  if (ownKeys)
    process.stdout.write(`  ${'tokens'.padEnd(width)}  npm run -s token -- --role editor --qsmo GRANTS_MANAGEMENT (development keys in ${keysDir})\n`);
  process.stdout.write('Press Ctrl-C to stop.\n\n');
})().catch(exitOnStartupError(logger, stopAll));
