import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';

const execFileAsync = promisify(execFile);

/** What the launcher logs through: any service's logger fits (this package depends on no other of the project's). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * The embedded database: FerretDB v1 (MongoDB wire protocol over SQLite),
 * built from the Go module proxy into a project-local, git-ignored folder and
 * run as a child process. Used whenever MONGODB_URI is unset.
 */
export const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
export const FERRETDB_VERSION = 'v1.24.2';

export class EmbeddedDatabaseUnavailable extends Error {
  override readonly name = 'EmbeddedDatabaseUnavailable';
}

const NO_GO_MESSAGE = [
  'No database is configured and the embedded one cannot be built: Go is not installed.',
  'Pick one of:',
  '  1. set MONGODB_URI to a MongoDB you can reach (e.g. MONGODB_URI=mongodb://localhost:27017);',
  '  2. run `docker compose up` to start MongoDB and the whole graph in containers;',
  `  3. install Go (https://go.dev/dl/) so the project can build FerretDB ${FERRETDB_VERSION} itself.`,
].join('\n');

export function ferretDbBinaryPath(toolsDir: string): string {
  return path.join(toolsDir, 'ferretdb', FERRETDB_VERSION, 'bin', 'ferretdb');
}

async function hasGo(): Promise<boolean> {
  try {
    // The env is passed explicitly so `go` is looked up on the PATH as the process sees it now.
    await execFileAsync('go', ['version'], { env: process.env });
    return true;
  } catch {
    return false;
  }
}

async function binaryIsCurrent(binary: string): Promise<boolean> {
  if (!fs.existsSync(binary)) return false;
  try {
    const { stdout } = await execFileAsync(binary, ['--version']);
    return stdout.includes(`version: ${FERRETDB_VERSION}`);
  } catch {
    return false;
  }
}

/**
 * Builds FerretDB once; later calls find the binary and return at once.
 *
 * Why not a plain `go install …@v1.24.2`: that command looks up the module's
 * deprecation notice through the proxy's version list, which this network's
 * proxy refuses (403), and the resulting binary panics at start because the
 * module zip lacks `build/version/version.txt` (FerretDB's release tooling
 * generates it). So we fetch the exact module version through the Go module
 * proxy (checksums verified against go.sum), add the version file as
 * FerretDB's own `task gen-version` would, and `go build` it.
 */
export async function ensureFerretDb(toolsDir: string, logger: Logger): Promise<string> {
  const binary = ferretDbBinaryPath(toolsDir);
  if (await binaryIsCurrent(binary)) return binary;
  if (!(await hasGo())) throw new EmbeddedDatabaseUnavailable(NO_GO_MESSAGE);

  logger.info(
    `building FerretDB ${FERRETDB_VERSION} into ${path.relative(process.cwd(), binary)} (first run only, about two minutes on 2 cores with empty Go caches)`,
  );
  const env = { ...process.env, GOFLAGS: '-mod=readonly -buildvcs=false', GOTOOLCHAIN: 'local' };
  const run = async (args: string[], cwd?: string) => {
    try {
      return await execFileAsync('go', args, { env, cwd, maxBuffer: 64 * 1024 * 1024 });
    } catch (error) {
      const e = error as Error & { stderr?: string };
      throw new EmbeddedDatabaseUnavailable(`Building FerretDB failed at \`go ${args.join(' ')}\`:\n${e.stderr || e.message}`);
    }
  };
  const { stdout } = await run(['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`]);
  const moduleDir = (JSON.parse(stdout) as { Dir?: string }).Dir;
  if (!moduleDir) throw new EmbeddedDatabaseUnavailable(`go mod download gave no directory for ${FERRETDB_MODULE}`);

  const root = path.dirname(path.dirname(binary));
  const srcDir = path.join(root, `src-${process.pid}`);
  fs.rmSync(srcDir, { recursive: true, force: true });
  fs.cpSync(moduleDir, srcDir, { recursive: true });
  makeWritable(srcDir);
  fs.writeFileSync(path.join(srcDir, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  // Build to a private name and rename, so concurrent first runs never see half a binary.
  const tmp = `${binary}.${process.pid}.tmp`;
  try {
    await run(['build', '-trimpath', '-o', tmp, './cmd/ferretdb'], srcDir);
    fs.renameSync(tmp, binary);
  } finally {
    fs.rmSync(srcDir, { recursive: true, force: true });
    fs.rmSync(tmp, { force: true });
  }
  if (!(await binaryIsCurrent(binary))) throw new EmbeddedDatabaseUnavailable(`The FerretDB build at ${binary} does not report ${FERRETDB_VERSION}.`);
  logger.info(`FerretDB ${FERRETDB_VERSION} built`);
  return binary;
}

function makeWritable(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    fs.chmodSync(p, entry.isDirectory() ? 0o755 : 0o644);
    if (entry.isDirectory()) makeWritable(p);
  }
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

export interface EmbeddedDatabase {
  uri: string;
  /** False when an instance started by another process was reused: stop() then leaves it running. */
  owned: boolean;
  stop(): Promise<void>;
}

interface PidFile {
  pid: number;
  port: number;
}

function readPidFile(file: string): PidFile | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as PidFile;
    return Number.isInteger(parsed.pid) && Number.isInteger(parsed.port) ? parsed : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A recycled pid must never be mistaken for our database and killed.
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('ferretdb');
  } catch {
    return process.platform !== 'linux';
  }
}

async function pingUri(uri: string, timeoutMs: number): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs, directConnection: true });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => undefined);
  }
}

export interface StartOptions {
  binary: string;
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  /** Reuse an instance another process already runs on this data directory. */
  reuse?: boolean;
}

/**
 * Starts FerretDB on loopback with its SQLite files under dataDir, waits until
 * it answers a ping, and returns how to stop it. One instance per data
 * directory: a pid file lets a second process reuse a running instance, and
 * lets a new run clean up an instance orphaned by a crash.
 */
export async function startFerretDb(options: StartOptions): Promise<EmbeddedDatabase> {
  const { binary, dataDir, logger } = options;
  fs.mkdirSync(path.join(dataDir, 'sqlite'), { recursive: true });
  const pidFile = path.join(dataDir, 'ferretdb.pid');
  const previous = readPidFile(pidFile);
  if (previous && isAlive(previous.pid)) {
    const uri = `mongodb://127.0.0.1:${previous.port}/`;
    if (options.reuse && (await pingUri(uri, 1_000))) {
      logger.info(`reusing the embedded database already running at ${uri}`);
      return { uri, owned: false, stop: async () => undefined };
    }
    logger.warn(`stopping an orphaned embedded database (pid ${previous.pid})`);
    await terminate(previous.pid);
  }

  const port = options.port === 0 ? await freePort() : options.port;
  const logFile = path.join(dataDir, 'ferretdb.log');
  const log = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    binary,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${path.join(dataDir, 'sqlite')}/`,
      `--state-dir=${dataDir}`,
      `--listen-addr=127.0.0.1:${port}`,
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=warn',
      // Its own process group: a terminal's Ctrl-C must not stop the database
      // before the services using it have drained; its owner stops it last.
    ],
    { stdio: ['ignore', log, log], detached: true },
  );
  fs.closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (child.pid === undefined) throw new EmbeddedDatabaseUnavailable(`Could not start ${binary}: no process was created.`);
  fs.writeFileSync(pidFile, JSON.stringify({ pid: child.pid, port } satisfies PidFile));

  const uri = `mongodb://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  while (!(await pingUri(uri, 500))) {
    if (exitCode !== undefined || Date.now() > deadline) {
      child.kill('SIGKILL');
      const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
      throw new EmbeddedDatabaseUnavailable(`FerretDB did not become ready on port ${port}. Last log lines (${logFile}):\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (exitCode === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(pidFile, { force: true });
    })();
    return stopping;
  };
  // Last resort for abrupt exits: a synchronous kill so no FerretDB outlives us.
  process.once('exit', () => {
    if (exitCode === undefined) child.kill('SIGKILL');
  });
  return { uri, owned: true, stop };
}

async function terminate(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 5_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid))
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
}
