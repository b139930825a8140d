import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { parseSchemaCli } from '@qsmo/registry/cli';
import { publishSubgraphs } from '@qsmo/registry/publish';
import { SchemaRegistry } from '@qsmo/registry/store';
import { subgraphSdl } from '@qsmo/subgraph-kit/subgraph/schema';
import { testMongoUri, uniqueDbName } from './support/db';
import { testPort } from './support/ports';
import { runTsCommand } from './support/cli';
import { startServiceProcess, stopServiceProcess } from './support/service-process';
import { requestOnce } from './support/gateway-process';
import { createTestIdentityProvider, TEST_AUDIENCE, TEST_ISSUER } from './support/identity-provider';
import { definition as grants } from '../subgraphs/grants-management/src/definition';

/**
 * A QSMO team's day next to the local stack, run as the team runs it: the
 * subgraph alone, the schema commands, a second `npm start`, codegen for one
 * subgraph. Each used to surprise (a silent 401, a guessed routing URL, a
 * restart loop, pull requests touching other teams' files).
 */
jest.setTimeout(180_000);

/** A port held by this test process, as another stack would hold it. */
async function holdPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

let keysDir: string;
beforeAll(() => {
  keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-dev-keys-'));
  fs.writeFileSync(path.join(keysDir, 'signing-secret'), 'b'.repeat(64));
});
afterAll(() => fs.rmSync(keysDir, { recursive: true, force: true }));

test("a subgraph started alone takes the local stack's signing secret, and on a busy port stops at once naming the process holding it", async () => {
  const held = await holdPort();
  try {
    const run = await runTsCommand(`subgraphs/${grants.serviceName}/src/index.ts`, [], {
      PORT: String(held.port),
      DEV_KEYS_DIR: keysDir,
      GATEWAY_SIGNING_SECRET: '',
      NODE_ENV: 'development',
      MONGODB_URI: 'mongodb://127.0.0.1:1/',
    });
    const output = run.stdout + run.stderr;
    expect(output).toContain("GATEWAY_SIGNING_SECRET is unset: using the local stack's");
    expect(output).toContain(`port ${held.port} for grants-management is already in use by process ${process.pid}`);
    expect(output).toContain(`kill ${process.pid}`);
    expect(run.status).not.toBe(0);
  } finally {
    await held.close();
  }
});

/** Starts an entry point as its own process and waits for /health/ready; stop() kills it. */
async function startService(entry: string, env: NodeJS.ProcessEnv): Promise<{ port: number; output: () => string; stop: () => Promise<void> }> {
  const service = await startServiceProcess(entry, entry, { LOG_LEVEL: 'info', ...env });
  return { port: service.port, output: service.output, stop: () => stopServiceProcess(service, 0) };
}

test("a subgraph started alone with the stack's keys takes an editor's mutation through the stack's gateway", async () => {
  const idp = await createTestIdentityProvider();
  const jwksFile = path.join(keysDir, 'jwks.json');
  fs.writeFileSync(jwksFile, JSON.stringify({ keys: [idp.jwk] }));
  const databaseName = uniqueDbName('lone_grants');
  const registryDatabase = uniqueDbName('lone_registry');
  const client = new MongoClient(testMongoUri());
  const stops: (() => Promise<void>)[] = [];
  try {
    // As the team runs it: no GATEWAY_SIGNING_SECRET, the stack's keys directory next to it.
    const lone = await startService(`subgraphs/${grants.serviceName}/src/index.ts`, {
      DEV_KEYS_DIR: keysDir,
      GATEWAY_SIGNING_SECRET: '',
      NODE_ENV: 'development',
      MONGODB_URI: testMongoUri(),
      MONGODB_DATABASE: databaseName,
    });
    stops.push(lone.stop);
    await publishSubgraphs(
      new SchemaRegistry(client.db(registryDatabase)),
      [{ name: grants.serviceName, url: `http://127.0.0.1:${lone.port}/graphql`, sdl: subgraphSdl(grants.entry) }],
      { publisher: 'team' },
    );
    // The stack's gateway signs with the stack's secret (the file in the keys directory).
    const gateway = await startService('gateway/src/index.ts', {
      SUPERGRAPH_SOURCE: 'registry',
      SUPERGRAPH_PATH: '',
      REGISTRY_MONGODB_URI: testMongoUri(),
      REGISTRY_DATABASE: registryDatabase,
      GATEWAY_SIGNING_SECRET: fs.readFileSync(path.join(keysDir, 'signing-secret'), 'utf8'),
      AUTH_JWKS_FILE: jwksFile,
      AUTH_ISSUER: TEST_ISSUER,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      GATEWAY_WORKERS: '1',
      IDE_ENABLED: 'false',
      MCP_ENABLED: 'false',
      LOG_LEVEL: 'warn',
    });
    stops.push(gateway.stop);
    const editor = await idp.token('grm-editor@hhs.gov', ['editor'], ['GRANTS_MANAGEMENT']);
    const res = await requestOnce(`http://127.0.0.1:${gateway.port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${editor}` },
      body: JSON.stringify({
        query: `mutation Create($input: CreateGrantsManagementOfferingInput!) { createGrantsManagementOffering(input: $input) { offering { id version } userErrors { message } } }`,
        variables: {
          input: {
            id: 'grm-lone-team',
            name: 'Lone team portal',
            shelf: 'FEDERAL',
            providerId: 'hhs',
            capabilityCodes: ['GRM.030.010'],
            provenance: {
              sources: [{ title: 'Grants QSMO marketplace, federal shelf', url: 'https://www.usaspending.gov/grants-qsmo/marketplace' }],
              verification: 'CONFIRMED',
            },
          },
        },
      }),
    });
    const body = JSON.parse(res.body) as { data?: any; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    expect(body.data.createGrantsManagementOffering).toEqual({ offering: { id: 'grm-lone-team', version: 1 }, userErrors: [] });
    expect(lone.output()).toContain("GATEWAY_SIGNING_SECRET is unset: using the local stack's");
  } finally {
    for (const stop of stops.reverse()) await stop();
    await client
      .db(databaseName)
      .dropDatabase()
      .catch(() => undefined);
    await client
      .db(registryDatabase)
      .dropDatabase()
      .catch(() => undefined);
    await client.close();
  }
});

test('a subgraph started alone with no local keys says what to set for mutations through a gateway', async () => {
  const held = await holdPort();
  try {
    const run = await runTsCommand(`subgraphs/${grants.serviceName}/src/index.ts`, [], {
      PORT: String(held.port),
      DEV_KEYS_DIR: path.join(keysDir, 'none'),
      GATEWAY_SIGNING_SECRET: '',
      NODE_ENV: 'development',
      MONGODB_URI: 'mongodb://127.0.0.1:1/',
    });
    expect(run.stdout + run.stderr).toContain(
      'mutations through a gateway answer 401. Run `npm start` once (it creates the local keys), or set GATEWAY_SIGNING_SECRET',
    );
  } finally {
    await held.close();
  }
});

test('a second npm start on a busy port exits at once, naming the port and the process to stop, before starting anything', async () => {
  const held = await holdPort();
  const others = await Promise.all([...SUBGRAPHS, { name: 'directory' }].map(() => testPort()));
  const env: NodeJS.ProcessEnv = {
    PORT: String(held.port),
    MONGODB_URI: 'mongodb://127.0.0.1:1/',
    DEV_KEYS_DIR: keysDir,
    DIRECTORY_PORT: String(others[SUBGRAPHS.length]),
  };
  SUBGRAPHS.forEach((s, i) => {
    env[`${s.name.toUpperCase().replace(/-/g, '_')}_PORT`] = String(others[i]);
  });
  try {
    const run = await runTsCommand('shared/dev-tools/src/stack.ts', [], env);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`port ${held.port} for the gateway is already in use by process ${process.pid}`);
    expect(run.stderr).toContain('or set PORT to a free port');
    expect(run.stdout).not.toContain('is up');
  } finally {
    await held.close();
  }
});

test('schema:publish refuses to guess a routing URL; check may use the local port', () => {
  expect(() => parseSchemaCli(grants, ['publish'], { PORT: '4703' })).toThrow(
    'schema:publish records the URL the gateways route grants-management to, so it needs one: add -- --url <the URL your deployed grants-management answers at, ending in /graphql> (running locally on port 4703: -- --url http://localhost:4703/graphql), or set ROUTING_URL.',
  );
  expect(parseSchemaCli(grants, ['publish', '--url', 'http://grants.internal:8080/graphql'], {}).candidate.url).toBe('http://grants.internal:8080/graphql');
  expect(parseSchemaCli(grants, ['publish'], { ROUTING_URL: 'http://grants.internal:8080/graphql' }).candidate.url).toBe('http://grants.internal:8080/graphql');
  expect(parseSchemaCli(grants, ['check'], { PORT: '4703' }).candidate.url).toBe('http://localhost:4703/graphql');
});

test("the directory's schema command (the chart's publish Job runs it) checks against the registry like a marketplace's", async () => {
  const registryDatabase = uniqueDbName('directory_cli');
  const run = await runTsCommand('shared/directory/src/schema-cli.ts', ['check', '--url', 'http://qsmo-directory.qsmo.svc.cluster.local:4010/graphql'], {
    REGISTRY_MONGODB_URI: testMongoUri(),
    REGISTRY_DATABASE: registryDatabase,
  });
  const client = new MongoClient(testMongoUri());
  await client
    .db(registryDatabase)
    .dropDatabase()
    .catch(() => undefined);
  await client.close();
  expect(run.stdout).toContain('Checking directory from');
  expect(run.stdout).toContain('routing URL http://qsmo-directory.qsmo.svc.cluster.local:4010/graphql');
  expect(run.stdout).toContain('directory: first publish, checked against an empty registry.');
  expect(run.status).toBe(0);
});

test("codegen for one subgraph writes only that team's files", async () => {
  const run = await runTsCommand('gateway/src/codegen-cli.ts', ['--subgraph', 'grants-management'], {});
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const written = run.stdout
    .split('\n')
    .filter((l) => l.startsWith('wrote '))
    .map((l) => l.slice('wrote '.length));
  expect(written.length).toBeGreaterThan(0);
  expect(written.filter((f) => !f.startsWith('subgraphs/grants-management/'))).toEqual([]);
  const unknown = await runTsCommand('gateway/src/codegen-cli.ts', ['--subgraph', 'grants'], {});
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toContain('--subgraph needs the name of a subgraph: one of financial-management');
});
