import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { codes, execute } from '../../../test/support/graphql';
import { openSeededDatabase, type TestDatabase } from '../../../test/support/db';
import { definition } from '../src/definition';
import { createServer } from '../src/server';

/**
 * GrantsManagementOffering.functions, a field only this subgraph has: each
 * offering's functions are the function codes of the activities
 * offerings.csv lists for it, read here straight from the file.
 */
const expectedFunctions = (): Map<string, string[]> => {
  const lines = fs
    .readFileSync(path.join(REPO_ROOT, 'shared/catalog/offerings.csv'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('grm-'));
  return new Map(
    lines.map((line) => {
      const activities = /(?:^|;|,)(GRM\.\d{3}\.\d{3}(?:;GRM\.\d{3}\.\d{3})*),/.exec(line)?.[1]?.split(';') ?? [];
      return [line.split(',')[0]!, [...new Set(activities.map((a) => a.split('.').slice(0, 2).join('.')))].sort()];
    }),
  );
};

let t: TestDatabase;
let server: ReturnType<typeof createServer>;
beforeAll(async () => {
  t = await openSeededDatabase(definition);
  server = createServer({ db: t.db });
  await server.apollo.start();
});
afterAll(async () => {
  await server.apollo.stop();
  await t.drop();
});

test('every Grants offering lists the functions of its mapped activities, in code order', async () => {
  const r = await execute(
    server.apollo,
    { query: '{ grantsManagement { offerings(first: 100) { edges { node { id functions { code level name } } } } } }' },
    server.context(),
  );
  expect(codes(r)).toEqual([]);
  const got = new Map<string, string[]>(r.data.grantsManagement.offerings.edges.map((e: any) => [e.node.id, e.node.functions.map((f: any) => f.code)]));
  expect(got).toEqual(expectedFunctions());
  expect([...got.values()].some((f) => f.length > 0)).toBe(true);
  for (const e of r.data.grantsManagement.offerings.edges) for (const f of e.node.functions) expect(f.level).toBe('FUNCTION');
});
