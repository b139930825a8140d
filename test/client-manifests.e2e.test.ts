import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { DIRECTORY } from '@qsmo/service-kit/subgraphs';
import { ClientManifestStore } from '@qsmo/registry/client-manifests';
import { publishSubgraphs } from '@qsmo/registry/publish';
import { SchemaRegistry } from '@qsmo/registry/store';
import { localSubgraphSources } from '../gateway/src/compose';
import { SUBGRAPHS } from '../gateway/src/subgraphs';
import { runTsCommand } from './support/cli';
import { openTestDatabase, testMongoUri, type TestDatabase } from './support/db';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process';
import { startGraph, type RunningGraph } from './support/graph';

/**
 * A frontend team ships without a pull request here: it publishes its
 * release's persisted-query manifest to the registry with the real
 * `operations:publish` command, and a gateway process following that
 * registry with TRUSTED_DOCUMENTS=enforce runs the operations within a poll,
 * without a restart. Manifests that lie about their hashes or do not
 * validate are refused by name; a subgraph change that would break a
 * published operation fails `schema:check`, which names the client, its
 * version and the operation.
 */
jest.setTimeout(120_000);

let graph: RunningGraph;
let registryDb: TestDatabase;
let gateway: GatewayProcess;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-client-manifests-'));
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const AGENCY_PAGE = `# The agency header of the explorer.
query ExplorerAgencyHeader($code: ID!) {
  agency(code: $code) { code name marketplaceCount }
  grantsManagement { stats { unmappedOfferingCount } }
}
`;

function manifestFile(name: string, operations: { id?: string; name: string; type?: string; body: string }[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    JSON.stringify({
      format: 'apollo-persisted-query-manifest',
      version: 1,
      operations: operations.map((op) => ({ id: op.id ?? sha256(op.body), name: op.name, type: op.type ?? 'query', body: op.body })),
    }),
  );
  return file;
}

/** Runs a command's entry point as npm runs it (tsx), against the test registry; its output is both streams. */
async function run(entry: string, args: string[]): Promise<{ code: number | null; output: string }> {
  const result = await runTsCommand(entry, args, {
    REGISTRY_MONGODB_URI: testMongoUri(),
    REGISTRY_DATABASE: registryDb.db.databaseName,
    LOG_LEVEL: 'warn',
    SCHEMA_PUBLISHER: 'explorer-ci',
    INIT_CWD: REPO_ROOT,
  });
  return { code: result.status, output: result.stdout + result.stderr };
}

const publish = (client: string, version: string, file: string) =>
  run('shared/registry/src/operations-cli.ts', ['publish', '--client', client, '--version', version, file]);

/** The hash-only request a client with persisted queries sends (a GET, as Apollo Client sends cacheable queries). */
async function byHash(hash: string, variables: Record<string, unknown>, base = gateway.base): Promise<{ status: number; body: any }> {
  const params = new URLSearchParams({
    variables: JSON.stringify(variables),
    extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }),
  });
  const res = await fetch(`${base}/graphql?${params}`, { headers: { 'apollo-require-preflight': 'true' } });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  graph = await startGraph();
  registryDb = await openTestDatabase('client_manifests');
  const endpoints = [...SUBGRAPHS.map((s) => ({ name: s.name, url: graph.subgraphs[s.name]!.url })), { name: DIRECTORY.name, url: graph.directory.url }];
  const published = await publishSubgraphs(new SchemaRegistry(registryDb.db), localSubgraphSources(endpoints), { publisher: 'test' });
  expect(published.status).toBe('published');
  gateway = await startGatewayProcess(graph, {
    SUPERGRAPH_SOURCE: 'registry',
    SUPERGRAPH_PATH: '',
    REGISTRY_MONGODB_URI: testMongoUri(),
    REGISTRY_DATABASE: registryDb.db.databaseName,
    REGISTRY_POLL_INTERVAL_MS: '200',
    TRUSTED_DOCUMENTS: 'enforce',
    FIELD_USAGE: 'false',
  });
});

afterAll(async () => {
  await gateway?.stop();
  await graph?.stop();
  await registryDb?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a published manifest runs under TRUSTED_DOCUMENTS=enforce within a poll, without a restart', async () => {
  const hash = sha256(AGENCY_PAGE);
  const before = await byHash(hash, { code: '075' });
  expect(before.status).toBe(400);
  expect(before.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
  expect(before.body.errors[0].message).toContain('npm run operations:publish');

  const result = await publish('marketplace-explorer', '1.0.0', manifestFile('explorer-1.0.0.json', [{ name: 'ExplorerAgencyHeader', body: AGENCY_PAGE }]));
  expect(result.output).toContain('Published marketplace-explorer 1.0.0: 1 operations');
  expect(result.code).toBe(0);

  let after = await byHash(hash, { code: '075' });
  const deadline = Date.now() + 10_000;
  while (after.status !== 200 && Date.now() < deadline) {
    await sleep(200);
    after = await byHash(hash, { code: '075' });
  }
  expect(after.status).toBe(200);
  expect(after.body.errors).toBeUndefined();
  expect(after.body.data.agency).toMatchObject({ code: '075', name: 'Department of Health and Human Services' });
  expect(typeof after.body.data.grantsManagement.stats.unmappedOfferingCount).toBe('number');
  // The same process: trusted by following the registry, not by restarting.
  expect(gateway.child.exitCode).toBeNull();

  // Publishing the same release again records nothing; other operations under that version are refused.
  const again = await publish('marketplace-explorer', '1.0.0', path.join(dir, 'explorer-1.0.0.json'));
  expect(again.code).toBe(0);
  expect(again.output).toContain('already published with these 1 operations');
  const changed = await publish(
    'marketplace-explorer',
    '1.0.0',
    manifestFile('explorer-changed.json', [{ name: 'ExplorerAgencies', body: 'query ExplorerAgencies { agencies(first: 5) { totalCount } }' }]),
  );
  expect(changed.code).toBe(1);
  expect(changed.output).toContain('was already published with other operations');
});

test('a gateway serving a supergraph file follows the published manifests when CLIENT_MANIFESTS=registry', async () => {
  // Started from a file composed here (the helper's default), with the registry named for the manifests alone.
  const fileGateway = await startGatewayProcess(graph, {
    CLIENT_MANIFESTS: 'registry',
    REGISTRY_MONGODB_URI: testMongoUri(),
    REGISTRY_DATABASE: registryDb.db.databaseName,
    REGISTRY_POLL_INTERVAL_MS: '200',
    TRUSTED_DOCUMENTS: 'enforce',
    FIELD_USAGE: 'false',
  });
  try {
    // What was published before it started is trusted at once.
    const earlier = await byHash(sha256(AGENCY_PAGE), { code: '075' }, fileGateway.base);
    expect(earlier.status).toBe(200);
    expect(earlier.body.data.agency.code).toBe('075');

    const QSMOS = 'query PortalQsmos { qsmos { domain shortName } }';
    expect((await byHash(sha256(QSMOS), {}, fileGateway.base)).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    const result = await publish('qsmo-portal', '1.0.0', manifestFile('portal-1.0.0.json', [{ name: 'PortalQsmos', body: QSMOS }]));
    expect(result.code).toBe(0);
    let after = await byHash(sha256(QSMOS), {}, fileGateway.base);
    for (const deadline = Date.now() + 10_000; after.status !== 200 && Date.now() < deadline; ) {
      await sleep(200);
      after = await byHash(sha256(QSMOS), {}, fileGateway.base);
    }
    expect(after.status).toBe(200);
    expect(after.body.data.qsmos.map((q: { domain: string }) => q.domain)).toContain('ACQUISITION');
    expect(fileGateway.child.exitCode).toBeNull();
  } finally {
    await fileGateway.stop();
  }
});

test('a manifest whose id is not the sha256 of its body, or that does not validate against the supergraph, is refused by operation name', async () => {
  const lying = await publish(
    'grants-portal',
    '2.0.0',
    manifestFile('lying.json', [
      {
        name: 'GrantsPortalOfferings',
        body: 'query GrantsPortalOfferings { grantsManagement { offerings(first: 5) { totalCount } } }',
        id: sha256('query Other { qsmos { domain } }'),
      },
    ]),
  );
  expect(lying.code).toBe(1);
  expect(lying.output).toContain('GrantsPortalOfferings: its id');
  expect(lying.output).toContain('is not the sha256 of its body');

  const invalid = await publish(
    'grants-portal',
    '2.0.0',
    manifestFile('invalid.json', [
      { name: 'GrantsPortalHome', body: 'query GrantsPortalHome { qsmos { domain shortName } }' },
      { name: 'GrantsPortalAgency', body: 'query GrantsPortalAgency($code: ID!) { agency(code: $code) { code nickname } }' },
    ]),
  );
  expect(invalid.code).toBe(1);
  expect(invalid.output).toContain('1 of 2 operations do not validate against supergraph v1');
  expect(invalid.output).toContain('grants-portal 2.0.0, operation GrantsPortalAgency: Cannot query field "nickname" on type "Agency".');

  const store = new ClientManifestStore(registryDb.db);
  expect(await store.get('grants-portal', '2.0.0')).toBeNull();
});

test('schema:check fails a change that breaks a published operation and names the client, its version and the operation', async () => {
  // The manifest of the first test is published by now (jest runs a file's tests in order); make sure of it on a lone run.
  await publish('marketplace-explorer', '1.0.0', manifestFile('explorer-1.0.0.json', [{ name: 'ExplorerAgencyHeader', body: AGENCY_PAGE }]));
  const sdl = fs.readFileSync(path.join(REPO_ROOT, 'subgraphs/grants-management/src/generated/schema.graphql'), 'utf8');
  const removed = sdl.replace(/\n\s*"Number of offerings no source maps[^\n]*\n\s*unmappedOfferingCount: Int! @cost\(weight: 5\)/, '');
  expect(removed).not.toBe(sdl);
  const candidate = path.join(dir, 'grants-without-unmapped.graphql');
  fs.writeFileSync(candidate, removed);

  const check = await run('subgraphs/grants-management/src/schema-cli.ts', [
    'check',
    '--schema',
    candidate,
    '--url',
    graph.subgraphs['grants-management']!.url,
  ]);
  expect(check.code).toBe(1);
  expect(check.output).toContain('Published client operations the change would break (1):');
  expect(check.output).toContain(
    'marketplace-explorer 1.0.0, operation ExplorerAgencyHeader: Cannot query field "unmappedOfferingCount" on type "GrantsManagementStats".',
  );

  // The schema as published passes: the published operation is what the check protects, not the field in general.
  const unchanged = await run('subgraphs/grants-management/src/schema-cli.ts', ['check', '--url', graph.subgraphs['grants-management']!.url]);
  expect(unchanged.output).not.toContain('Published client operations');
  expect(unchanged.code).toBe(0);
});

test("operations:schema writes the published supergraph's API schema, what a team's own codegen types its operations against", async () => {
  const out = path.join(dir, 'api.graphql');
  const result = await run('shared/registry/src/operations-cli.ts', ['schema', '--out', out]);
  expect(result.output).toContain('the API schema of supergraph v1');
  expect(result.code).toBe(0);
  const sdl = fs.readFileSync(out, 'utf8');
  expect(sdl).toContain('type Query {');
  expect(sdl).toContain('interface Offering {');
  // Clients see the API schema: no federation machinery.
  expect(sdl).not.toMatch(/join__|@link/);
});
