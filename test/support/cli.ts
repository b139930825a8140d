import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/service-kit/config';

/** A command run to its end as a child process: its exit status, what it printed on each stream, and how long it took. */
export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command's TypeScript entry point (relative to the repository) the way npm does (tsx), without npm's banner on stdout. */
export function runTsCommand(entry: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, entry), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, ms: Date.now() - started }));
  });
}

/** Runs `npm run query -- <args>`, the query command, for end-to-end tests and the benchmark. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runTsCommand('gateway/src/cli/query.ts', args, { GRAPHQL_URL: '', ...env });
}
