import fs from 'node:fs';
import { portIsFree } from '@qsmo/service-kit/ports';

/**
 * Ports for what a test starts later on an address it picked first (a service in a child process, a
 * subgraph that comes up after its publish names it) or for an address that must stay dead.
 *
 * Picking with listen(0) and closing does not hold: the kernel hands that port out again to the next
 * listen(0) or outgoing connection, and with two jest workers another file's server took such a port
 * between one test's pick and its use (EADDRINUSE, and a "dead" subgraph that answered). These come
 * from below the kernel's ephemeral range, which it never hands out, in a block per jest worker, so
 * the other worker never picks them either.
 */
const BLOCK = 1500;
const LOWEST = 1024;

function ephemeralLow(): number {
  try {
    const [low] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const n = Number(low);
    if (Number.isInteger(n) && n > LOWEST + BLOCK) return n;
  } catch {
    // Not Linux: the IANA ephemeral range starts at 49152 (macOS uses it).
  }
  return 49152;
}

const worker = Math.max(1, Number(process.env.JEST_WORKER_ID ?? '1') || 1);
const blockEnd = ephemeralLow() - (worker - 1) * BLOCK;
const blockStart = Math.max(LOWEST, blockEnd - BLOCK);
// The timing pass runs files one after another, each in a process of its own with worker id 1: start
// each process somewhere else in the block so that a child a previous file left closing is not asked
// for its port again at once.
let next = blockStart + (process.pid % (blockEnd - blockStart));

/** A port nothing listens on now and no other test process picks; each call gives a different one. */
export async function testPort(): Promise<number> {
  for (let tried = 0; tried < blockEnd - blockStart; tried++) {
    const port = next;
    next = next + 1 >= blockEnd ? blockStart : next + 1;
    if (await portIsFree(port, '127.0.0.1').catch(() => false)) return port;
  }
  throw new Error(`No free port in ${blockStart}-${blockEnd - 1} for jest worker ${worker}: something holds all of them.`);
}
