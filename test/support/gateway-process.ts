import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { testPort } from './ports';
import { composeSupergraph, localSubgraphSources } from '../../gateway/src/compose';
import { DIRECTORY } from '@qsmo/service-kit/subgraphs';
import { SUBGRAPHS, urlEnvName } from '../../gateway/src/subgraphs';
import type { RunningGraph } from './graph';
import { socketInodesOf, tcpSocketInodes } from '@qsmo/service-kit/ports';

/** A gateway started as its real entry point (`gateway/src/index.ts`) in a child process, in front of a test graph's subgraphs. */
export interface GatewayProcess {
  child: ChildProcess;
  port: number;
  /** http://127.0.0.1:<port> */
  base: string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** What the process wrote to stderr so far. */
  stderr(): string;
  /** The process ids of its cluster workers (none with GATEWAY_WORKERS=1). */
  workers(): number[];
  /** Kills it (if still running) and removes its files. */
  stop(): Promise<void>;
}

/** Child processes of `pid`, read from /proc. */
export function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A raw connection the test holds: whether its request was answered and whether the gateway closed it; `settled` resolves at the first of the two. */
export interface Held {
  socket: net.Socket;
  answered: boolean;
  closed: boolean;
  settled: Promise<void> /** Everything the gateway sent on it. */;
  received: string;
}

/** Opens a raw connection to the gateway from `localAddress` (any 127/8 address: another client as far as the gateway can tell) and writes `request`; the answer counts once it contains `until`. */
export function holdConnection(port: number, localAddress: string, request: string, until: string | RegExp = '{"status":"live"}'): Held {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  let settle!: () => void;
  const held: Held = {
    socket,
    answered: false,
    closed: false,
    settled: new Promise<void>((r) => {
      settle = r;
    }),
    received: '',
  };
  socket.setEncoding('utf8');
  socket.on('connect', () => socket.write(request));
  socket.on('data', (chunk: string) => {
    held.received += chunk;
    if (!held.answered && (typeof until === 'string' ? held.received.includes(until) : until.test(held.received))) {
      held.answered = true;
      settle();
    }
  });
  // A refused or reset connection is an outcome the tests look at, not an error.
  socket.on('error', () => undefined);
  socket.on('close', () => {
    held.closed = true;
    settle();
  });
  return held;
}

/** Sockets process `pid` holds now (client connections, its own to the subgraphs, its cluster channel). */
export function socketsOf(pid: number): number {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      /* closed meanwhile */
    }
  }
  return n;
}

/**
 * The connections accepted on local `port` that process `pid` holds. Unlike
 * a count of all its sockets, the process's own calls to subgraphs, opening
 * and closing meanwhile, do not move it.
 */
export function connectionsOn(pid: number, port: number): number {
  const accepted = tcpSocketInodes(port, 'connections');
  return [...socketInodesOf(pid)].filter((inode) => accepted.has(inode)).length;
}

/** One request on a connection of its own, closed after the answer: it leaves no keep-alive connection behind that the gateway would count. */
export function requestOnce(
  url: string,
  options: { method?: string; body?: string; headers?: Record<string, string>; localAddress?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', agent: false, localAddress: options.localAddress, headers: { connection: 'close', ...options.headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A GET with requestOnce, optionally from another loopback address. */
export const getOnce = (url: string, localAddress?: string) => requestOnce(url, { localAddress });

/**
 * Starts the gateway entry point on a free port with the graph's subgraphs
 * (a supergraph file composed here) and `env` on top; resolves once every
 * worker is up and /health/ready answers 200. `fdLimit` lowers its soft
 * file-descriptor limit (ulimit -n), so exhausting it takes a few thousand connections.
 */
export async function startGatewayProcess(graph: RunningGraph, env: Record<string, string> = {}, options: { fdLimit?: number } = {}): Promise<GatewayProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-gateway-'));
  const supergraphPath = path.join(dir, 'supergraph.graphql');
  const urls = [
    ...SUBGRAPHS.map((s) => ({ name: s.name, area: s.area, url: graph.subgraphs[s.name]!.url })),
    { name: DIRECTORY.name, area: DIRECTORY.area, url: graph.directory.url },
  ];
  fs.writeFileSync(supergraphPath, composeSupergraph(localSubgraphSources(urls)).supergraphSdl);
  const port = await testPort();
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    GATEWAY_WORKERS: '1',
    PORT: String(port),
    HOST: '127.0.0.1',
    SUPERGRAPH_PATH: supergraphPath,
    LOG_LEVEL: 'warn',
    IDE_ENABLED: 'false',
    ...env,
  };
  for (const u of urls) childEnv[urlEnvName(u.name)] = u.url;
  let stderr = '';
  const entry = [process.execPath, '--import', 'tsx', path.join(REPO_ROOT, 'gateway/src/index.ts')];
  // The shell sets the limit and is replaced by node (exec), so the process id is the gateway's.
  const child =
    options.fdLimit === undefined
      ? spawn(entry[0]!, entry.slice(1), { cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn('/bin/sh', ['-c', `ulimit -n ${options.fdLimit} && exec "$@"`, 'sh', ...entry], {
          cwd: REPO_ROOT,
          env: childEnv,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  const workers = Number(childEnv.GATEWAY_WORKERS);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 40_000;
  const ready = () =>
    getOnce(`${base}/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
  while ((workers > 1 && childrenOf(child.pid!).length < workers) || !(await ready())) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`the gateway did not become ready: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, port, base, exited, stderr: () => stderr, workers: () => childrenOf(child.pid!), stop };
}
