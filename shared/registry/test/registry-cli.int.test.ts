import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { generatedSchemaPathOf, subgraphSdl } from '@qsmo/subgraph-kit/subgraph/schema';
import { publishSubgraphs } from '@qsmo/registry/publish';
import { SchemaRegistry, SUBGRAPH_VERSIONS, SUPERGRAPH_VERSIONS } from '@qsmo/registry/store';
import { definition as grants } from '../../../subgraphs/grants-management/src/definition';
import { definition as hr } from '../../../subgraphs/human-resources/src/definition';
import { testMongoUri, uniqueDbName } from '../../../test/support/db';

/**
 * `npm run schema:check` / `schema:publish -w subgraphs/<name>` as a team
 * and its CI run them: real npm scripts, real registry database, exit codes.
 */
jest.setTimeout(60_000);
const database = uniqueDbName('registry_cli');
let client: MongoClient;
let dir: string;
beforeAll(async () => {
  client = new MongoClient(testMongoUri());
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-schema-cli-'));
});
afterAll(async () => {
  await client
    .db(database)
    .dropDatabase()
    .catch(() => undefined);
  await client.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string;
}
function npmRun(script: string, args: string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['run', '--silent', script, '-w', 'subgraphs/grants-management', '--', ...args],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, REGISTRY_MONGODB_URI: testMongoUri(), REGISTRY_DATABASE: database, SCHEMA_PUBLISHER: 'ci-bot', ROUTING_URL: '' },
      },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

/** A variant of the grants schema.graphql (the form --schema takes) in a temporary file. */
function schemaFile(name: string, edit: (sdl: string) => string): string {
  const original = fs.readFileSync(generatedSchemaPathOf(grants.entry), 'utf8');
  const edited = edit(original);
  expect(edited).not.toBe(original);
  const file = path.join(dir, `${name}.graphql`);
  fs.writeFileSync(file, edited);
  return file;
}

const counts = async () => ({
  subgraphs: await client.db(database).collection(SUBGRAPH_VERSIONS).countDocuments(),
  supergraphs: await client.db(database).collection(SUPERGRAPH_VERSIONS).countDocuments(),
});
const URL = 'http://grants-management.internal:4003/graphql';

test('publish records the schema once; the same SDL again is a no-op', async () => {
  const first = await npmRun('schema:publish', ['--url', URL]);
  expect(first.out).toMatch(/Published grants-management v1 as ci-bot: supergraph v1 \(grants-management v1\)/);
  expect(first.code).toBe(0);
  const again = await npmRun('schema:publish', ['--url', URL]);
  expect(again.code).toBe(0);
  expect(again.out).toMatch(/Nothing to publish: grants-management v1 already has this SDL and URL/);
  expect(await counts()).toEqual({ subgraphs: 1, supergraphs: 1 });
});

test('check rejects removing a published field, naming it; publish then records nothing', async () => {
  const file = schemaFile('no-notes', (s) => s.replace('  "Curator notes: contacts, caveats, attribution decisions."\n  notes: String\n', ''));
  const check = await npmRun('schema:check', ['--schema', file, '--url', URL]);
  expect(check.code).toBe(1);
  expect(check.out).toMatch(/✗ GrantsManagementOffering\.notes was removed\./);
  expect(check.out).toMatch(/FAILED: 1 breaking change/);
  expect(check.out).toMatch(/@deprecated/);

  const publish = await npmRun('schema:publish', ['--schema', file, '--url', URL]);
  expect(publish.code).toBe(1);
  expect(publish.out).toMatch(/GrantsManagementOffering\.notes was removed/);
  expect(publish.out).toMatch(/Nothing was recorded\./);
  expect(await counts()).toEqual({ subgraphs: 1, supergraphs: 1 });
});

test('dangerous changes are printed as warnings and pass', async () => {
  const file = schemaFile('optional-arg', (s) =>
    s.replace(
      'offering(id: ID!): GrantsManagementOffering',
      'offering(id: ID!, "Include retired offerings." includeRetired: Boolean): GrantsManagementOffering',
    ),
  );
  const check = await npmRun('schema:check', ['--schema', file, '--url', URL]);
  expect(check.code).toBe(0);
  expect(check.out).toMatch(/Dangerous changes, warnings only \(1\):\n {2}! An optional arg includeRetired on GrantsManagement\.offering was added\./);
  expect(check.out).toMatch(/PASSED\./);
});

test('a schema that does not compose with the published others fails with the composition errors in full', async () => {
  const registry = new SchemaRegistry(client.db(database));
  expect(
    (await publishSubgraphs(registry, [{ name: hr.serviceName, url: 'http://hr:4002/graphql', sdl: subgraphSdl(hr.entry) }], { publisher: 'hr-team' })).status,
  ).toBe('published');
  // A type the Human Resources subgraph owns (not @shareable), declared again by Grants.
  const file = schemaFile(
    'clash',
    (s) => `${s}\n"Declared by the wrong team."\ntype HumanResourcesStats {\n  "Number of offerings listed."\n  offeringCount: Int!\n}\n`,
  );
  const check = await npmRun('schema:check', ['--schema', file, '--url', URL]);
  expect(check.code).toBe(1);
  expect(check.out).toMatch(/Composition: FAILED with \d+ errors?:/);
  expect(check.out).toMatch(/HumanResourcesStats\.offeringCount/);
  expect(check.out).toMatch(/"grants-management" and "human-resources"/);
});

test('a wrong command line exits 2 with usage', async () => {
  const run = await npmRun('schema:check', ['--url']);
  expect(run.code).toBe(2);
  expect(run.out).toMatch(/Usage:/);
});
