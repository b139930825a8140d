import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DEV_AUDIENCE, DEV_ISSUER, ensureDevKeys, mintDevToken } from '@qsmo/dev-tools/dev-keys';
import { startGraph, type RunningGraph } from './support/graph';
import { requestOnce, startGatewayProcess, type GatewayProcess } from './support/gateway-process';

process.env.APOLLO_TELEMETRY_DISABLED = '1';

/**
 * A client flooding forged tokens, against the real gateway process with
 * two workers: after RATE_LIMIT_AUTH_FAILURES failures a minute (counted
 * across both workers) it gets 429 RATE_LIMITED with Retry-After before its
 * next token is verified, while callers at other addresses, with a token or
 * without, are served as before.
 */
const FAILURES_PER_MINUTE = 20;
let graph: RunningGraph;
let gateway: GatewayProcess;
let keysDir: string;

beforeAll(async () => {
  graph = await startGraph();
  keysDir = path.join(os.tmpdir(), `qsmo-auth-failures-${randomBytes(4).toString('hex')}`);
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await graph?.stop();
  fs.rmSync(keysDir, { recursive: true, force: true });
});

/** CPU time (user + system, ms) of the gateway's processes, read from /proc. */
function cpuMs(pids: number[]): number {
  const ticks = pids.reduce((sum, pid) => {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return sum + Number(fields[11]) + Number(fields[12]);
  }, 0);
  return ticks * 10;
}

test('forged tokens from one address: 429 after the allowance, checked across workers; other addresses are served', async () => {
  const keys = await ensureDevKeys(keysDir);
  gateway = await startGatewayProcess(graph, {
    GATEWAY_WORKERS: '2',
    AUTH_JWKS_FILE: keys.jwksFile,
    AUTH_ISSUER: DEV_ISSUER,
    AUTH_AUDIENCE: DEV_AUDIENCE,
    RATE_LIMIT_AUTH_FAILURES: String(FAILURES_PER_MINUTE),
  });
  const valid = await mintDevToken(keys, { subject: 'analyst@hhs.gov', roles: ['analyst'], qsmos: [], ttl: '10m' });
  // The issue's forgery: a real token's payload rewritten to claim the editor role, its signature kept.
  const [header, , signature] = valid.split('.');
  const forged = `${header}.${Buffer.from(JSON.stringify({ sub: 'mallory', roles: ['editor'], iss: DEV_ISSUER, aud: DEV_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url')}.${signature}`;
  const post = (token: string | undefined, localAddress: string) =>
    requestOnce(`${gateway.base}/graphql`, {
      method: 'POST',
      localAddress,
      body: JSON.stringify({ query: '{ __typename }' }),
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });

  const pids = gateway.workers();
  const cpuBefore = cpuMs(pids);
  const started = performance.now();
  // 400 forged requests, 16 at a time, each on a new connection (so both workers get them).
  const statuses: number[] = [];
  const limited: Awaited<ReturnType<typeof post>>[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < 400) {
        next++;
        const answer = await post(forged, '127.0.0.1');
        statuses.push(answer.status);
        if (answer.status === 429) limited.push(answer);
      }
    }),
  );
  const floodMs = performance.now() - started;
  const floodCpuMs = cpuMs(pids) - cpuBefore;
  const verified = statuses.filter((s) => s === 401).length;
  console.log(
    `400 forged tokens in ${floodMs.toFixed(0)} ms: ${verified} answered 401 (verified), ${limited.length} answered 429; gateway CPU ${floodCpuMs} ms in all`,
  );

  expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
  // The allowance, at most one more per worker (each blocks on its own first refusal), and the refill while the flood ran.
  expect(verified).toBeGreaterThanOrEqual(FAILURES_PER_MINUTE);
  expect(verified).toBeLessThanOrEqual(FAILURES_PER_MINUTE + 2 + Math.ceil(floodMs / (60_000 / FAILURES_PER_MINUTE)));
  expect(limited.length).toBe(400 - verified);
  for (const answer of limited) {
    expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(answer.body).errors[0]).toMatchObject({
      message: expect.stringContaining(`at most ${FAILURES_PER_MINUTE} a minute`),
      extensions: { code: 'RATE_LIMITED' },
    });
  }

  // Other addresses are unaffected, with a token and without one.
  const elsewhere = await post(valid, '127.0.0.2');
  expect(elsewhere.status).toBe(200);
  expect(JSON.parse(elsewhere.body)).toMatchObject({ data: { __typename: 'Query' } });
  expect((await post(undefined, '127.0.0.3')).status).toBe(200);
  // The flooding address itself is served without credentials (the anonymous limits apply)...
  expect((await post(undefined, '127.0.0.1')).status).toBe(200);
  // ...but a token from it waits too: it cannot be told from a forgery without verifying it.
  expect((await post(valid, '127.0.0.1')).status).toBe(429);
}, 90_000);
