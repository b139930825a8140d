import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { MongoClient } from 'mongodb';
import { testPort } from './support/ports';
import { spawnTs } from './support/service-process';
import { SUBGRAPHS } from '../gateway/src/subgraphs';
import { testMongoUri, uniqueDbName } from './support/db';

process.env.APOLLO_TELEMETRY_DISABLED = '1';

/**
 * One request followed across the graph, as an operator would: the gateway
 * and two subgraphs run as real processes from their entry points, with
 * OpenTelemetry switched on by the standard variables and exporting OTLP
 * (http/json) to a collector played by this test. A client sends a
 * traceparent; the spans of the gateway (its fetches), of both subgraphs
 * (resolvers) and of their MongoDB commands must form one trace under it.
 * A failing request's error carries the trace id, and the gateway's and the
 * subgraph's JSON log lines carry the same id.
 */
jest.setTimeout(120_000);

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
  scope: string;
}

const spans: OtlpSpan[] = [];
let collector: http.Server;
let collectorUrl: string;
const children: { name: string; child: ChildProcess; output: () => string }[] = [];
const databases: string[] = [];
let gatewayUrl: string;

/** A minimal OTLP/HTTP JSON receiver: every span of every export, with its service. */
function startCollector(): Promise<void> {
  collector = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const payload = JSON.parse(body) as {
          resourceSpans?: {
            resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
            scopeSpans?: { scope?: { name?: string }; spans?: Omit<OtlpSpan, 'service' | 'scope'>[] }[];
          }[];
        };
        for (const rs of payload.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
          for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ ...s, service, scope: ss.scope?.name ?? '?' });
        }
      }
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  return new Promise((resolve) =>
    collector.listen(0, '127.0.0.1', () => {
      collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
      resolve();
    }),
  );
}

const OTEL_ENV = () => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_BSP_SCHEDULE_DELAY: '100',
  LOG_FORMAT: 'json',
  LOG_LEVEL: 'info',
  NODE_ENV: 'development',
});

function start(name: string, entry: string, env: NodeJS.ProcessEnv, readyText: string): Promise<void> {
  const { child, output } = spawnTs(entry, [], { ...OTEL_ENV(), ...env });
  children.push({ name, child, output });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 90_000;
    const poll = setInterval(() => {
      if (output().includes(readyText)) {
        clearInterval(poll);
        resolve();
      } else if (child.exitCode !== null || Date.now() > deadline) {
        clearInterval(poll);
        reject(new Error(`${name} did not start:\n${output()}`));
      }
    }, 100);
  });
}

const used = SUBGRAPHS.filter((s) => s.name === 'grants-management' || s.name === 'human-resources');

beforeAll(async () => {
  await startCollector();
  const ports = new Map<string, number>();
  await Promise.all(
    used.map(async (s) => {
      const port = await testPort();
      ports.set(s.name, port);
      const database = uniqueDbName(`otel_${s.name}`);
      databases.push(database);
      await start(
        s.name,
        `subgraphs/${s.name}/src/index.ts`,
        {
          MONGODB_URI: testMongoUri(),
          MONGODB_DATABASE: database,
          SEED_ON_START: 'always',
          PORT: String(port),
          HOST: '127.0.0.1',
          // Every read goes to the database, so each request has MongoDB spans to find.
          READ_MODEL: 'off',
        },
        'subgraph ready at',
      );
    }),
  );
  const gatewayPort = await testPort();
  const unused = await testPort();
  const urls = Object.fromEntries(
    SUBGRAPHS.map((s) => [`${s.name.toUpperCase().replace(/-/g, '_')}_URL`, `http://127.0.0.1:${ports.get(s.name) ?? unused}/graphql`]),
  );
  await start(
    'gateway',
    'gateway/src/index.ts',
    {
      ...urls,
      PORT: String(gatewayPort),
      HOST: '127.0.0.1',
      SUPERGRAPH_SOURCE: 'compose',
      SUPERGRAPH_OUT: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-otel-')), 'supergraph.graphql'),
      MONGODB_URI: testMongoUri(),
    },
    'gateway ready at',
  );
  gatewayUrl = `http://127.0.0.1:${gatewayPort}/graphql`;
});

afterAll(async () => {
  for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(children.map(({ child }) => (child.exitCode !== null ? undefined : new Promise((r) => child.once('exit', r)))));
  await new Promise((r) => collector?.close(r));
  const client = new MongoClient(testMongoUri());
  for (const name of databases)
    await client
      .db(name)
      .dropDatabase()
      .catch(() => undefined);
  await client.close();
});

async function post(query: string, headers: Record<string, string>) {
  const res = await fetch(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  return {
    status: res.status,
    traceId: res.headers.get('x-trace-id'),
    body: (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] },
  };
}

async function waitFor<T>(what: string, probe: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

test("one cross-QSMO request is one trace: the gateway's fetches, both subgraphs' resolvers and their MongoDB commands, under the client's traceparent", async () => {
  const traceId = hex(16);
  const clientSpan = hex(8);
  const answer = await post('query Portfolio { agency(code: "075") { name grantsManagement { offerings { name } } humanResources { offerings { name } } } }', {
    traceparent: `00-${traceId}-${clientSpan}-01`,
    'apollographql-client-name': 'portfolio-page',
    'apollographql-client-version': '1.4.0',
  });
  expect(answer.status).toBe(200);
  expect(answer.body.errors).toBeUndefined();
  expect(answer.traceId).toBe(traceId);

  const byId = (id: string | undefined) => spans.find((s) => s.spanId === id);
  const chain = (span: OtlpSpan): OtlpSpan[] => {
    const out = [span];
    let p = byId(span.parentSpanId);
    while (p) {
      out.push(p);
      p = byId(p.parentSpanId);
    }
    return out;
  };
  const mongoSpans = (service: string) => spans.filter((s) => s.traceId === traceId && s.service === service && s.scope.includes('mongodb'));
  // Spans arrive in batches from three processes: wait until each subgraph's MongoDB spans reach the gateway's fetch span and the client's span.
  for (const s of used) {
    const joined = await waitFor(`${s.name}'s MongoDB spans joined to the gateway`, () =>
      mongoSpans(s.name)
        .map(chain)
        .find((c) => c.some((x) => x.service === 'gateway' && x.name === 'gateway.fetch') && c.at(-1)!.parentSpanId === clientSpan),
    );
    const services = joined.map((x) => x.service);
    expect(services[0]).toBe(s.name);
    expect(services.at(-1)).toBe('gateway');
    // On the way up: a resolver span of the subgraph, the subgraph's server span, the gateway's fetch, plan/execute and request spans.
    expect(joined.some((x) => x.service === s.name && x.scope.includes('graphql') && x.name.startsWith('graphql.resolve'))).toBe(true);
    expect(joined.some((x) => x.service === 'gateway' && x.name === 'gateway.request')).toBe(true);
  }
  const inTrace = spans.filter((s) => s.traceId === traceId);
  expect(new Set(inTrace.map((s) => s.service))).toEqual(new Set(['gateway', 'grants-management', 'human-resources']));
  // The gateway's parse, validate and plan are in the same trace.
  for (const name of ['graphql.parse', 'graphql.validate', 'gateway.plan']) expect(inTrace.some((s) => s.service === 'gateway' && s.name === name)).toBe(true);
  // Nothing of the trace hangs outside it: the only span without a parent in the trace is under the client's.
  expect(inTrace.filter((s) => !byId(s.parentSpanId)).map((s) => s.parentSpanId)).toEqual([clientSpan]);
});

test("a failed request's error carries its trace id, which the gateway's and the subgraph's JSON log lines carry too", async () => {
  const traceId = hex(16);
  const answer = await post('query BadCode { grantsManagement { offerings(first: 500) { totalCount } } }', {
    traceparent: `00-${traceId}-${hex(8)}-01`,
    'apollographql-client-name': 'analyst-notebook',
  });
  expect(answer.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', traceId });
  expect(answer.traceId).toBe(traceId);
  const lines = (name: string) =>
    children
      .find((c) => c.name === name)!
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const gatewayLine = await waitFor("the gateway's log line", () => lines('gateway').find((l) => l.traceId === traceId));
  expect(gatewayLine).toMatchObject({
    level: 'warn',
    service: 'gateway',
    operation: 'BadCode',
    client: 'analyst-notebook',
    outcome: 'error',
    errorCodes: ['BAD_USER_INPUT'],
  });
  expect(typeof gatewayLine.durationMs).toBe('number');
  const subgraphLine = await waitFor("the subgraph's log line", () => lines('grants-management').find((l) => l.traceId === traceId));
  expect(subgraphLine).toMatchObject({ service: 'grants-management', outcome: 'error', client: 'analyst-notebook', errorCodes: ['BAD_USER_INPUT'] });
  // No credential in any line.
  for (const { output } of children) expect(output()).not.toMatch(/x-qsmo-identity":"ey|authorization":"Bearer/i);
});
