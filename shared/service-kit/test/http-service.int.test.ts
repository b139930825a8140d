import { ApolloServer, type BaseContext } from '@apollo/server';
import { MongoClient } from 'mongodb';
import { createHttpService, type HttpService } from '@qsmo/service-kit/http/service';
import { createLogger } from '@qsmo/service-kit/logger';
import { createMetrics } from '@qsmo/service-kit/metrics';
import { testPort } from '../../../test/support/ports';
import { spawnTs } from '../../../test/support/service-process';
import { definition as grants } from '../../../subgraphs/grants-management/src/definition';
import { createServer as createGrants } from '../../../subgraphs/grants-management/src/server';
import { testMongoUri, uniqueDbName } from '../../../test/support/db';

/**
 * Probes and draining of the HTTP layer every service shares: 503 while
 * starting and while draining, in-flight requests finish during a drain,
 * and a real subgraph process drains on SIGTERM and exits cleanly.
 */
const typeDefs = `type Query { "Answers after ms milliseconds." slow(ms: Int!): String "Answers at once." fast: String }`;
const resolvers = {
  Query: {
    slow: async (_: unknown, { ms }: { ms: number }) => {
      await new Promise((r) => setTimeout(r, ms));
      return 'done';
    },
    fast: () => 'ok',
  },
};
const logger = createLogger('http-test', 'silent');

function service(options: { apollo?: ApolloServer<BaseContext>; drainDelayMs?: number; isReady?: () => boolean } = {}): HttpService {
  return createHttpService({
    apollo: options.apollo ?? new ApolloServer<BaseContext>({ typeDefs, resolvers, logger }),
    context: async () => ({}),
    metrics: createMetrics('http-test', { defaultMetrics: false }),
    logger,
    drainDelayMs: options.drainDelayMs,
    isReady: options.isReady,
  });
}

const base = (graphqlUrl: string) => graphqlUrl.replace(/\/graphql$/, '');
const query = (url: string, q: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q }) });
const ready = async (url: string) => {
  const res = await fetch(`${base(url)}/health/ready`);
  return { status: res.status, body: (await res.json()) as { status: string } };
};

test('a slow in-flight request completes while stop() drains; readiness is 503 while draining', async () => {
  const http = service({ drainDelayMs: 400 });
  const url = await http.listen(0, '127.0.0.1');
  expect(await ready(url)).toEqual({ status: 200, body: { status: 'ready' } });

  const slow = query(url, '{ slow(ms: 1200) }');
  await new Promise((r) => setTimeout(r, 100));
  const started = Date.now();
  const stopped = http.stop();

  // Readiness turns 503 at once; requests that still arrive during the delay are served.
  expect(await ready(url)).toEqual({ status: 503, body: { status: 'draining' } });
  const late = await query(url, '{ fast }');
  expect(late.status).toBe(200);
  expect(await late.json()).toEqual({ data: { fast: 'ok' } });

  // After the delay the listener is closed: new connections are refused.
  await new Promise((r) => setTimeout(r, 600));
  await expect(fetch(`${base(url)}/health/live`)).rejects.toThrow();

  const res = await slow;
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ data: { slow: 'done' } });
  await stopped;
  expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  expect(http.state).toBe('stopped');
});

test('probes answer 503 "starting" until Apollo has started (the gateway loading its supergraph)', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const apollo = new ApolloServer<BaseContext>({ typeDefs, resolvers, logger, plugins: [{ serverWillStart: () => gate }] });
  const http = service({ apollo });
  const port = await testPort();
  const listening = http.listen(port, '127.0.0.1');
  const url = `http://localhost:${port}/graphql`;
  for (let i = 0; i < 50 && http.state === 'starting'; i++) {
    try {
      await fetch(`${base(url)}/health/live`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  expect((await fetch(`${base(url)}/health/live`)).status).toBe(200);
  expect(await ready(url)).toEqual({ status: 503, body: { status: 'starting' } });
  expect((await query(url, '{ fast }')).status).toBe(503);
  release();
  await listening;
  expect(await ready(url)).toEqual({ status: 200, body: { status: 'ready' } });
  await http.stop();
});

test('a subgraph is not ready while its database does not answer', async () => {
  const dead = new MongoClient(`mongodb://127.0.0.1:${await testPort()}/?serverSelectionTimeoutMS=300`);
  const server = createGrants({ db: dead.db('nowhere') });
  const url = await server.http.listen(0, '127.0.0.1');
  try {
    expect(await ready(url)).toEqual({ status: 503, body: { status: 'not ready' } });
    expect((await fetch(`${base(url)}/health/live`)).status).toBe(200);
  } finally {
    await server.http.stop();
    await dead.close();
  }
});

test('a subgraph process drains on SIGTERM, closes its database client and exits 0', async () => {
  const port = await testPort();
  const database = uniqueDbName('sigterm');
  const { child, output, exited } = spawnTs('subgraphs/grants-management/src/index.ts', [], {
    MONGODB_URI: testMongoUri(),
    MONGODB_DATABASE: database,
    SEED_ON_START: 'never',
    PORT: String(port),
    HOST: '127.0.0.1',
    DRAIN_DELAY_MS: '500',
    LOG_LEVEL: 'debug',
  });
  try {
    const deadline = Date.now() + 30_000;
    while (!output().includes(`${grants.area} subgraph ready`)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the subgraph did not start:\n${output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const url = `http://127.0.0.1:${port}/graphql`;
    expect((await ready(url)).status).toBe(200);
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 150));
    expect(await ready(url)).toEqual({ status: 503, body: { status: 'draining' } });
    expect((await query(url, '{ __typename }')).status).toBe(200);
    expect(await exited).toBe(0);
    expect(output()).toMatch(/SIGTERM: shutting down[\s\S]*drained: in-flight requests finished[\s\S]*database client closed/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    const client = new MongoClient(testMongoUri());
    await client
      .db(database)
      .dropDatabase()
      .catch(() => undefined);
    await client.close();
  }
});
