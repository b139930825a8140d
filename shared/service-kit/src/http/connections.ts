import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import type net from 'node:net';
import ipaddr from 'ipaddr.js';
import type { EnvReader } from '../config';

/**
 * Connection admission: what a service holds open for its clients. Every
 * connection costs a file descriptor, and a process out of descriptors
 * resets every client (and cannot reach its subgraphs or database either),
 * so admission happens at TCP accept, before anything is read:
 *
 * - at most `perClient` connections per client address (an IPv6 client per
 *   /64, the block one subscriber gets), and
 * - at most `max` connections in the process, below its descriptor limit.
 *
 * At a cap, the oldest idle connection (of that client, or of anyone for the
 * global cap) is closed to make room; only when every counted connection has
 * a request in progress is the new one refused, by closing it at once.
 * Accept only sees the socket's address: behind a proxy that is the proxy's,
 * which is why the gateway leaves the per-client cap off by default when
 * TRUST_PROXY_HOPS is set (the proxy bounds its clients; the global cap
 * still protects the process).
 */
export interface ConnectionLimits {
  /** Connections open at once in this process (MAX_CONNECTIONS); 0: no cap. */
  max: number;
  /** Connections open at once per client address (MAX_CONNECTIONS_PER_CLIENT); 0: no cap. */
  perClient: number;
}

/** One address never needs more connections than the requests a process serves at once (MAX_IN_FLIGHT's default). */
export const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 256;
/** Used when the descriptor limit cannot be read (not Linux, no shell): safe under the common 1024 limit raised a little. */
const FALLBACK_MAX_CONNECTIONS = 4_096;

/** The soft RLIMIT_NOFILE of this process; undefined when it cannot be read or is unlimited. */
export function fileDescriptorLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\S+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))?.[1];
    if (line !== undefined) return /^\d+$/.test(line) ? Number(line) : undefined;
  } catch {
    // No /proc (macOS): a shell started by this process inherits its limits.
  }
  const out = spawnSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8', timeout: 2_000 });
  const text = out.stdout?.trim() ?? '';
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * The default global cap for a descriptor limit: what is left after a
 * reserve for everything else the process opens (the gateway's sockets to
 * its subgraphs, 64 per subgraph, the registry's database pool, files, the
 * cluster channel), a tenth of the limit and at least 512 (half of a small one).
 */
export function defaultMaxConnections(descriptorLimit: number | undefined): number {
  if (descriptorLimit === undefined) return FALLBACK_MAX_CONNECTIONS;
  const reserve = Math.max(Math.min(512, Math.floor(descriptorLimit / 2)), Math.floor(descriptorLimit / 10));
  return Math.max(1, descriptorLimit - reserve);
}

/**
 * Reads MAX_CONNECTIONS (default: from the descriptor limit, see
 * defaultMaxConnections) and MAX_CONNECTIONS_PER_CLIENT (default given by
 * the caller: a gateway facing clients directly caps them, services behind
 * a proxy or the gateway do not). A cap at or above the descriptor limit is
 * reported: it could not hold.
 */
export function readConnectionLimits(env: EnvReader, defaults: { perClient: number }, descriptorLimit = fileDescriptorLimit()): ConnectionLimits {
  const max = env.nonNegativeInt('MAX_CONNECTIONS', defaultMaxConnections(descriptorLimit));
  if (descriptorLimit !== undefined && max >= descriptorLimit) {
    env.problem(
      `MAX_CONNECTIONS=${max} is not below this process's file-descriptor limit (ulimit -n: ${descriptorLimit}), so the process would run out of descriptors first: lower it to ${defaultMaxConnections(descriptorLimit)} or less, or raise the limit.`,
    );
  }
  const perClient = env.nonNegativeInt('MAX_CONNECTIONS_PER_CLIENT', defaults.perClient);
  if (max > 0 && perClient > max)
    env.problem(`MAX_CONNECTIONS_PER_CLIENT=${perClient} is above MAX_CONNECTIONS=${max}: one client could never reach it; lower it.`);
  return { max, perClient };
}

/**
 * The key a client is counted under: its address, an IPv4-mapped IPv6
 * address as the IPv4 one, and an IPv6 address by its /64, since one
 * subscriber gets a whole /64 and could otherwise open connections from
 * 2^64 addresses.
 */
export function clientKey(address: string | undefined): string {
  if (!address) return '';
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return address;
  }
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}

/** Why a connection was closed by admission: which cap, and whether an idle one made room or the new one was refused. */
export type ShedCap = 'client' | 'global';
export type ShedAction = 'evicted' | 'refused';

interface Tracked {
  socket: net.Socket;
  client: ClientConnections;
  /** Requests in progress on it. */
  busy: number;
  /** When it was accepted or last finished a request. */
  since: number;
}

interface ClientConnections {
  key: string;
  open: number;
  /** Its idle connections, oldest idle first (a Set keeps insertion order). */
  idle: Set<Tracked>;
}

/**
 * Every open connection of an HTTP server, with its requests in progress:
 * admission (the caps above) and draining (close idle connections, keep the
 * busy ones) both read it. Idle sets are kept in the order connections went
 * idle, so the oldest idle one is found in constant time, however many are open.
 */
export class ConnectionTracker {
  private readonly open = new Map<net.Socket, Tracked>();
  private readonly idle = new Set<Tracked>();
  private readonly clients = new Map<string, ClientConnections>();

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly onShed: (cap: ShedCap, action: ShedAction, client: string) => void = () => undefined,
  ) {}

  /** Admits a just-accepted socket, closing an idle one first if a cap is reached; false (and the socket destroyed) when it is refused. */
  admit(socket: net.Socket): boolean {
    const key = clientKey(socket.remoteAddress);
    const client = this.clients.get(key);
    if (this.limits.perClient > 0 && client && client.open >= this.limits.perClient && !this.makeRoom(client.idle, 'client', socket, key)) return false;
    if (this.limits.max > 0 && this.open.size >= this.limits.max && !this.makeRoom(this.idle, 'global', socket, key)) return false;
    this.track(socket, key);
    return true;
  }

  /** A request started on the socket: it is no longer idle. */
  requestStarted(socket: net.Socket): void {
    const tracked = this.open.get(socket);
    if (!tracked) return;
    if (tracked.busy++ === 0) {
      this.idle.delete(tracked);
      tracked.client.idle.delete(tracked);
    }
  }

  /** A request on the socket was answered (or abandoned): with none left, it is idle from now. */
  requestEnded(socket: net.Socket): void {
    const tracked = this.open.get(socket);
    if (!tracked) return;
    tracked.since = Date.now();
    if (--tracked.busy === 0) {
      this.idle.add(tracked);
      tracked.client.idle.add(tracked);
    }
  }

  /** Closes idle connections idle for at least `minIdleMs` (0: all of them). */
  closeIdle(minIdleMs: number, now = Date.now()): void {
    for (const tracked of this.idle) {
      // Oldest idle first: the rest went idle later.
      if (now - tracked.since < minIdleMs) break;
      this.close(tracked);
    }
  }

  /** Connections open now. */
  get size(): number {
    return this.open.size;
  }

  private makeRoom(idle: Set<Tracked>, cap: ShedCap, socket: net.Socket, key: string): boolean {
    const oldest = idle.values().next().value;
    if (oldest) {
      this.close(oldest);
      this.onShed(cap, 'evicted', oldest.client.key);
      return true;
    }
    // Nothing to read, nothing to answer: the cheapest refusal is closing it.
    socket.destroy();
    this.onShed(cap, 'refused', key);
    return false;
  }

  private track(socket: net.Socket, key: string): void {
    let client = this.clients.get(key);
    if (!client) {
      client = { key, open: 0, idle: new Set() };
      this.clients.set(key, client);
    }
    const tracked: Tracked = { socket, client, busy: 0, since: Date.now() };
    client.open++;
    this.open.set(socket, tracked);
    // Until its first request arrives a connection holds nothing: it counts as idle (a silent one is closed first under pressure).
    this.idle.add(tracked);
    client.idle.add(tracked);
    socket.once('close', () => this.forget(tracked));
  }

  /** Closes a tracked connection and forgets it at once, so the count is right before its 'close' event. */
  private close(tracked: Tracked): void {
    this.forget(tracked);
    tracked.socket.destroy();
  }

  private forget(tracked: Tracked): void {
    if (this.open.get(tracked.socket) !== tracked) return;
    this.open.delete(tracked.socket);
    this.idle.delete(tracked);
    const client = tracked.client;
    client.idle.delete(tracked);
    if (--client.open === 0) this.clients.delete(client.key);
  }
}
