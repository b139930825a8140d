import net from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

/** What the proxy does to traffic: pass it, hold it (a SIGSTOP'd peer), or delay each answer. */
export type FaultMode = { kind: 'pass' } | { kind: 'hang' } | { kind: 'delay'; ms: number };

/**
 * A TCP proxy on loopback that injects faults between two real processes:
 * `hang` holds every byte in both directions on open and new connections,
 * as a stopped (SIGSTOP) server looks from outside (connections are still
 * accepted by the kernel, nothing comes back), and releases them on `pass`;
 * `delay` holds each answer for a while. It counts connections, so tests can
 * bound what a client keeps open.
 */
export interface FaultProxy {
  readonly port: number;
  /** host:port of the proxy. */
  readonly address: string;
  setMode(mode: FaultMode): void;
  /** Points new connections elsewhere (a restarted server on a new port). */
  setTarget(port: number): void;
  /** Connections open now, and the most seen at once. */
  connections(): { open: number; peak: number };
  resetPeak(): void;
  close(): Promise<void>;
}

/** Starts a fault proxy in front of 127.0.0.1:`targetPort`. */
export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  let mode: FaultMode = { kind: 'pass' };
  let target = targetPort;
  let peak = 0;
  const links = new Set<{ flush(): void; destroy(): void }>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    const held: { to: net.Socket; chunk: Buffer }[] = [];
    // Answers keep their order when the mode changes: each chunk waits for the ones before it.
    let answers = Promise.resolve();
    const forward = (to: net.Socket) => (chunk: Buffer) => {
      if (mode.kind === 'hang') held.push({ to, chunk });
      else if (to === client) {
        const due = Date.now() + (mode.kind === 'delay' ? mode.ms : 0);
        answers = answers
          .then(() => new Promise<void>((r) => setTimeout(r, Math.max(0, due - Date.now()))))
          .then(() => {
            if (!to.destroyed) to.write(chunk);
          });
      } else to.write(chunk);
    };
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
    const link = {
      flush() {
        for (const { to, chunk } of held.splice(0)) if (!to.destroyed) to.write(chunk);
      },
      destroy() {
        client.destroy();
        upstream.destroy();
      },
    };
    links.add(link);
    peak = Math.max(peak, links.size);
    const end = () => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    // After the answers already under way: a server that closes right after answering (Connection: close) must not lose its answer.
    upstream.on('close', () => {
      if (mode.kind === 'pass' || held.length === 0) void answers.then(end);
    });
    client.on('error', end);
    upstream.on('error', end);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    setMode(next) {
      mode = next;
      if (next.kind === 'pass') for (const link of links) link.flush();
    },
    setTarget(next) {
      target = next;
    },
    connections: () => ({ open: links.size, peak }),
    resetPeak() {
      peak = links.size;
    },
    async close() {
      for (const link of links) link.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
