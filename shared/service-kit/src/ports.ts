import fs from 'node:fs';
import net from 'node:net';

/**
 * Busy ports found before anything starts, with the process holding each, so
 * a second `npm start` (or a subgraph started next to the stack on the
 * stack's port) stops at once with what to do instead of half-starting.
 */
export interface PortHolder {
  pid: number;
  command: string;
}

/** Whether `port` can be listened on at `host` (tried, then released). */
export function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error)));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Inodes of the TCP sockets on local `port` (Linux's /proc/net/tcp and tcp6;
 * none elsewhere): the listening ones, or the connections accepted on it.
 */
export function tcpSocketInodes(port: number, kind: 'listening' | 'connections'): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; the inode is the tenth column.
      if (cols.length <= 9 || Number.parseInt(cols[1]!.split(':').at(-1)!, 16) !== port) continue;
      if ((cols[3] === '0A') === (kind === 'listening')) inodes.add(cols[9]!);
    }
  }
  return inodes;
}

/** Inodes of the sockets process `pid` holds open (Linux; none when this user may not see them). */
export function socketInodesOf(pid: number | string): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      /* closed meanwhile */
    }
  }
  return inodes;
}

/** The process listening on `port`, when this user may see it (Linux only); undefined otherwise. */
export function portHolder(port: number): PortHolder | undefined {
  const listening = tcpSocketInodes(port, 'listening');
  if (listening.size === 0) return undefined;
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    if (![...socketInodesOf(pid)].some((inode) => listening.has(inode))) continue;
    let command = '';
    try {
      command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    } catch {
      /* the process just exited */
    }
    return { pid: Number(pid), command };
  }
  return undefined;
}

/** One port a service is about to listen on, and the variable that moves it. */
export interface PlannedPort {
  service: string;
  port: number;
  host: string;
  variable: string;
}

/** Lines saying which planned ports are taken, by whom, and what to do; empty when all are free. */
export async function busyPorts(planned: readonly PlannedPort[]): Promise<string[]> {
  const problems: string[] = [];
  for (const p of planned) {
    if (await portIsFree(p.port, p.host)) continue;
    const holder = portHolder(p.port);
    const who = holder ? `process ${holder.pid} (${holder.command.slice(0, 160)})` : 'another process';
    const stop = holder ? `stop it (kill ${holder.pid}; if it is another \`npm start\`, Ctrl-C in its terminal)` : 'stop it';
    problems.push(`port ${p.port} for ${p.service} is already in use by ${who}: ${stop}, or set ${p.variable} to a free port.`);
  }
  return problems;
}
