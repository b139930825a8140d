import { execFile } from 'node:child_process';
import path from 'node:path';
import { createMetrics } from '@qsmo/service-kit/metrics';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { subgraphSdl } from '@qsmo/subgraph-kit/subgraph/schema';
import { checkSubgraphs, usageOfRemovals, type UsageSource } from '@qsmo/registry/check';
import { formatCheckReport } from '@qsmo/registry/cli';
import { publishSubgraphs } from '@qsmo/registry/publish';
import { SchemaRegistry } from '@qsmo/registry/store';
import { FIELD_USAGE, FieldUsageStore } from '@qsmo/registry/usage';
import { standardPlugins } from '../gateway/src/plugins';
import { FieldUsageRecorder, useFieldUsage } from '../gateway/src/plugins/field-usage';
import { definition as grants } from '../subgraphs/grants-management/src/definition';
import { openTestDatabase, testMongoUri, type TestDatabase } from './support/db';
import { startGraph, type RunningGraph } from './support/graph';

process.env.APOLLO_TELEMETRY_DISABLED = '1';

/**
 * Usage-aware schema checks on the real database: the gateway records which
 * fields each client's operations select into the registry; a removal no
 * client used within USAGE_WINDOW_DAYS passes the check, a removal of a
 * field a client used fails it and names the client and its last use, and
 * `npm run schema:usage` prints who uses a field.
 */
jest.setTimeout(120_000);

const DAY = 86_400_000;
let registryDb: TestDatabase;
let registry: SchemaRegistry;
let store: FieldUsageStore;
let recorder: FieldUsageRecorder;
let graph: RunningGraph;

beforeAll(async () => {
  registryDb = await openTestDatabase('field_usage');
  registry = new SchemaRegistry(registryDb.db);
  store = new FieldUsageStore(registryDb.db);
  recorder = new FieldUsageRecorder(store, { flushIntervalMs: 60_000, retentionDays: 90, maxClients: 3 }, { debug() {}, info() {}, warn() {}, error() {} });
  const metrics = createMetrics('gateway', { defaultMetrics: false });
  graph = await startGraph({ gateway: { metrics, plugins: [...standardPlugins({ metrics }), useFieldUsage(recorder)] } });
});
afterAll(async () => {
  await graph?.stop();
  await registryDb?.drop();
});

async function query(client: string, text: string): Promise<void> {
  const res = await fetch(graph.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'apollographql-client-name': client },
    body: JSON.stringify({ query: text }),
  });
  const body = (await res.json()) as { errors?: unknown[] };
  expect(body.errors).toBeUndefined();
}

const base = subgraphSdl(grants.entry);
// The Grants team's own extension holds only this field, so removing it removes the extension.
const FUNCTIONS = /\nextend type GrantsManagementOffering \{\n {2}"The FIBF GRM functions[^\n]*\n {2}functions: \[GrantsManagementCapability!\]![^\n]*\n\}/;
const OFFERING_COUNT = /\n {2}"Number of offerings listed."\n {2}offeringCount: Int![^\n]*/;
const candidate = (sdl: string) => ({ name: grants.serviceName, url: `http://grants-management:${grants.defaultPort}/graphql`, sdl });

test('removing a field no client used in the window passes; removing one a client uses fails and names it', async () => {
  expect(base).toMatch(FUNCTIONS);
  expect(base).toMatch(OFFERING_COUNT);
  expect((await publishSubgraphs(registry, [candidate(base)], { publisher: 'usage-test' })).status).toBe('published');

  // 40 days ago a report read the offering count; today the portal reads offerings' FIBF functions.
  await query('old-report', '{ grantsManagement { stats { offeringCount } } }');
  await recorder.flush(new Date(Date.now() - 40 * DAY));
  await query('grants-portal', '{ grantsManagement { offerings(first: 2) { edges { node { name functions { code } } } } } }');
  await query('grants-portal', '{ grantsManagement { offerings(first: 1) { edges { node { functions { code } } } } } }');
  await recorder.flush();
  expect(await registryDb.db.collection(FIELD_USAGE).countDocuments({ coordinate: 'GrantsManagementOffering.functions', client: 'grants-portal' })).toBe(1);

  const source: UsageSource = { store, windowDays: 30 };
  const both = await checkSubgraphs(registry, [candidate(base.replace(FUNCTIONS, '').replace(OFFERING_COUNT, ''))], { usageSource: source });
  const [check] = both.subgraphs;
  expect(both.passed).toBe(false);
  expect(check!.breaking.map((c) => c.description)).toEqual([
    expect.stringMatching(
      /^GrantsManagementOffering\.functions was removed\. Used in the last 30 days by grants-portal \(last \d{4}-\d\d-\d\d, 2 operations\)\.$/,
    ),
  ]);
  expect(check!.safeRemovals.map((c) => c.coordinate)).toEqual(['GrantsManagementStats.offeringCount']);
  const text = formatCheckReport(both);
  expect(text).toContain('✗ GrantsManagementOffering.functions was removed. Used in the last 30 days by grants-portal');
  expect(text).toContain('✓ GrantsManagementStats.offeringCount was removed. No client selected it in the last 30 days.');
  expect(text).toMatch(/FAILED: 1 breaking change\./);

  // Without usage data the same removal is breaking, as it always was.
  expect((await checkSubgraphs(registry, [candidate(base.replace(FUNCTIONS, '').replace(OFFERING_COUNT, ''))])).passed).toBe(false);

  // With the window longer than the record, "nobody used it" is not trusted.
  const wide = await checkSubgraphs(registry, [candidate(base.replace(FUNCTIONS, '').replace(OFFERING_COUNT, ''))], { usageSource: { store, windowDays: 60 } });
  expect(wide.subgraphs[0]!.breaking.map((c) => c.description)).toContainEqual(
    expect.stringMatching(/offeringCount was removed\. Used in the last 60 days by old-report/),
  );
  const unusedOnly = candidate(base.replace(OFFERING_COUNT, ''));
  const passing = await checkSubgraphs(registry, [unusedOnly], { usageSource: source });
  expect(passing.passed).toBe(true);
  expect(formatCheckReport(passing)).toMatch(/Removals no client uses, not breaking \(1\):[\s\S]*PASSED\./);
  // Publishing judges the removal as the check did.
  const published = await publishSubgraphs(registry, [unusedOnly], { publisher: 'usage-test', usage: await usageOfRemovals(passing, source) });
  expect(published.status).toBe('published');
});

test('clients past the cap count as "other", and npm run schema:usage prints who uses a field', async () => {
  for (const client of ['a', 'b', 'c', 'd']) await query(client, '{ grantsManagement { offerings(first: 1) { totalCount } } }');
  await recorder.flush();
  const clients = await registryDb.db.collection(FIELD_USAGE).distinct('client', { coordinate: 'GrantsManagementOfferingConnection.totalCount' });
  // grants-portal and old-report took two of the three places.
  expect(clients.sort()).toEqual(['a', 'other']);

  const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'shared/registry/src/usage-cli.ts'), 'GrantsManagementOffering.functions', 'Agency.nothingHere'],
      { cwd: REPO_ROOT, env: { ...process.env, REGISTRY_MONGODB_URI: testMongoUri(), REGISTRY_DATABASE: registryDb.db.databaseName } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  );
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  expect(out.stdout).toMatch(/GrantsManagementOffering\.functions: 1 client\n\s+client\s+operations\s+last used\n\s+grants-portal\s+2\s+\d{4}-/);
  expect(out.stdout).toContain('Agency.nothingHere: no client');

  const bad = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'shared/registry/src/usage-cli.ts'), 'notACoordinate'],
      { cwd: REPO_ROOT },
      (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
    ),
  );
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('"notACoordinate" is not a schema coordinate: write Type.field');
});
