import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { testPort } from './ports';
import { getOnce } from './gateway-process';

/** One of the graph's services running as its own process, as a pod runs it. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  port: number;
  /** Everything it printed so far, for a failure's message. */
  output: () => string;
  exited: Promise<void>;
}

/** A TypeScript entry point run as its own process, as npm runs it (tsx), with what it prints collected. */
export interface TsProcess {
  child: ChildProcess;
  /** stdout and stderr as they came, for a check or a failure's message. */
  output: () => string;
  /** Its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

/** Runs `entry` (relative to the repository) with `args`; `env` goes on top of this process's environment. */
export function spawnTs(entry: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}, options: { detached?: boolean } = {}): TsProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, entry), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, APOLLO_TELEMETRY_DISABLED: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached,
  });
  let output = '';
  const collect = (c: Buffer) => {
    output += c.toString();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Starts an entry point (e.g. `gateway/src/index.ts`) on a free loopback port; resolves once its /health/ready answers 200. */
export async function startServiceProcess(name: string, entry: string, env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
  const port = await testPort();
  const { child, output, exited } = spawnTs(entry, [], { HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env });
  const deadline = Date.now() + 90_000;
  while (
    !(await getOnce(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    ))
  ) {
    if (Date.now() > deadline || child.exitCode !== null) {
      // Not left running behind the failure.
      child.kill('SIGKILL');
      throw new Error(`${name} did not become ready: ${output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name, child, port, output, exited: exited.then(() => undefined) };
}

/** SIGTERM, and SIGKILL if it is still draining after `graceMs`, so a suite never waits on it. */
export async function stopServiceProcess(p: ServiceProcess, graceMs = 10_000): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}
