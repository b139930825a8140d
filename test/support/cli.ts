import { spawn } from 'node:child_process';
import { REPO_ROOT } from '@qsmo/service-kit/config';

/** The query CLI run as a child process, for end-to-end tests and the benchmark. */
export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run query -- <args>` the way npm does (tsx), without npm's banner on stdout. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/cli/query.ts', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, GRAPHQL_URL: '', ...env },
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
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
