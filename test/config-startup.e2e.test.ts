import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/service-kit/config';

/**
 * The gateway's real entry point reading its configuration: a misspelt
 * variable is warned about by name while the gateway starts, and bad values
 * stop it with every problem listed. No subgraph is needed for either.
 */
interface Run {
  code: number | null;
  stderr: string;
}

function runGateway(env: Record<string, string>, until?: RegExp): Promise<Run> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-config-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/index.ts'], {
    cwd: REPO_ROOT,
    // Only what the gateway needs: the test runner's own variables stay out of its warnings.
    env: {
      PATH: process.env.PATH ?? '',
      APOLLO_TELEMETRY_DISABLED: '1',
      GATEWAY_WORKERS: '1',
      PORT: '0',
      HOST: '127.0.0.1',
      IDE_ENABLED: 'false',
      MCP_ENABLED: 'false',
      SUPERGRAPH_OUT: path.join(out, 'supergraph.graphql'),
      LOG_FORMAT: 'json',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const seen = (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    if (until?.test(stderr)) child.kill('SIGTERM');
  };
  child.stdout!.on('data', seen);
  child.stderr!.on('data', seen);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      fs.rmSync(out, { recursive: true, force: true });
      resolve({ code, stderr });
    }),
  );
}

test('a misspelt variable is warned about by name at start-up, and the gateway still starts (printing its plugin order at debug level)', async () => {
  const run = await runGateway({ CORS_ORIGIN: 'https://grants.example.gov', LOG_LEVEL: 'debug' }, /gateway ready at/);
  expect(run.stderr).toContain('CORS_ORIGIN is not a setting of the gateway and is ignored: did you mean CORS_ORIGINS?');
  expect(run.stderr).toContain('Gateway plugins by phase:');
  expect(run.stderr).toContain('fetcher wrappers, outermost first: dedupe -> subgraph-health -> retries');
  expect(run.stderr).toMatch(/gateway ready at/);
}, 60_000);

test('bad values stop start-up with every problem in one message', async () => {
  const run = await runGateway({ MAX_COST: '1000', SUBGRAPH_RETRIES: 'two', RESPONSE_CACHE: 'maybe' });
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('MAX_COST is no longer read');
  expect(run.stderr).toContain('SUBGRAPH_RETRIES=\\"two\\" must be a whole number of 0 or more.');
  expect(run.stderr).toContain('RESPONSE_CACHE=\\"maybe\\" is not one of: on, off.');
  expect(run.stderr).not.toMatch(/gateway ready at/);
}, 60_000);
