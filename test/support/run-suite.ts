import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * The jest part of `npm test`, in two passes:
 *
 * 1. every test file but those below, on two jest workers: most end-to-end
 *    files wait on processes, sockets and timers rather than the CPU, so two
 *    at once take about 60% of the time one after the other (7.3 instead of
 *    12.5 minutes on 2 cores);
 * 2. the files below, one at a time, each in a jest process of its own:
 *    each asserts how soon something answers while the machine is loaded on
 *    purpose (a hung subgraph, a connection flood, a burst past
 *    MAX_IN_FLIGHT, 1,000 subscriptions). A second test file sharing the two
 *    cores, or one run before it in the same process (whatever sockets,
 *    timers and garbage it left behind), would be measured too.
 *
 * Both passes always run, and the exit code is the first failure's, so one
 * CI run shows every failing file. Extra arguments go to both passes (e.g.
 * `--silent`).
 */
export const TIMING_SUITES: readonly { file: string; why: string }[] = [
  { file: 'test/faults.e2e.test.ts', why: 'answers within deadlines under hung subgraphs and databases; shedding "at once"' },
  { file: 'test/subscriptions.e2e.test.ts', why: "query p50 with 1,000 subscriptions open against the same process's idle p50" },
  { file: 'test/connection-admission.e2e.test.ts', why: 'another client served within a second during a 3,000-connection flood' },
  { file: 'test/security-limits.e2e.test.ts', why: 'hostile documents refused within a second of wall and CPU time' },
  { file: 'test/client-errors.e2e.test.ts', why: 'malformed requests refused within a second' },
  { file: 'test/demand-control.e2e.test.ts', why: 'an over-budget query refused within a second, before any subgraph is asked' },
  { file: 'test/response-cache.e2e.test.ts', why: 'max-age expiry and eviction observed within a second and a half' },
];

/** Workers for the first pass: the CI machine has two cores. */
const WORKERS = 2;

const ROOT = path.resolve(__dirname, '..', '..');
const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function jest(args: string[]): number {
  const bin = require.resolve('jest/bin/jest', { paths: [ROOT] });
  console.error(`test: jest ${args.join(' ')}`);
  const run = spawnSync(process.execPath, [bin, ...args], { cwd: ROOT, stdio: 'inherit' });
  if (run.error) throw run.error;
  return run.status ?? 1;
}

/** The first pass's jest arguments: everything but the timing files, on WORKERS workers. */
export function parallelPass(extra: readonly string[] = []): string[] {
  // The CLI's ignore list replaces the projects' own, so theirs come first again.
  const ignore = ['/node_modules/', '/\\.data/', '/\\.tools/', ...TIMING_SUITES.map((s) => `/${literal(s.file)}$`)];
  return [`--maxWorkers=${WORKERS}`, '--testPathIgnorePatterns', ...ignore, ...extra];
}

/** The second pass: one jest run per timing file, in band. */
export function serialPass(extra: readonly string[] = []): string[][] {
  return TIMING_SUITES.map((s) => ['--runInBand', '--selectProjects', 'integration', ...extra, '--', s.file]);
}

function main(extra: string[]): number {
  const started = Date.now();
  const parallel = jest(parallelPass(extra));
  const parallelSeconds = Math.round((Date.now() - started) / 1000);
  const serial = serialPass(extra)
    .map((args) => jest(args))
    .reduce((first, status) => (first !== 0 ? first : status), 0);
  console.error(
    `test: ${parallelSeconds} s for the files on ${WORKERS} workers (${parallel === 0 ? 'passed' : 'FAILED'}), ` +
      `${Math.round((Date.now() - started) / 1000) - parallelSeconds} s for the ${TIMING_SUITES.length} timing files one at a time (${serial === 0 ? 'passed' : 'FAILED'})`,
  );
  return parallel !== 0 ? parallel : serial;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
