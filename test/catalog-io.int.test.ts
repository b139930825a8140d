import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyImport, describePlan, exportCatalog, planImport } from '@qsmo/subgraph-kit/catalog-io';
import { parseCsvRecords, toCsvLine } from '@qsmo/catalog/csv';
import { openSeededDatabase, type TestDatabase } from './support/db';
import { DOMAINS } from './support/graph';

/**
 * A QSMO team's bulk edit on a real seeded database: export, edit the CSV
 * as a spreadsheet would, dry run, apply. A file with one bad row applies
 * nothing and names the line and column.
 */
const grants = DOMAINS.find((d) => d.definition.serviceName === 'grants-management')!.definition;
const ACTOR = { subject: 'grm-editor@hhs.gov', issuer: 'catalog:import' };
const FILE_SOURCE = { key: 'offerings.csv', title: 'catalog:import of offerings.csv', url: null };

let database: TestDatabase;
let dir: string;

beforeAll(async () => {
  database = await openSeededDatabase(grants);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-catalog-io-'));
}, 60_000);

afterAll(async () => {
  await database?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Rewrites offerings.csv of `folder` with `edit` applied to its records (header kept). */
function editOfferings(folder: string, edit: (rows: Record<string, string>[]) => Record<string, string>[]): void {
  const file = path.join(folder, 'offerings.csv');
  const text = fs.readFileSync(file, 'utf8');
  const header = text.split('\n')[0]!.split(',');
  const rows = edit(parseCsvRecords(text, 'offerings.csv').map((r) => r.values));
  fs.writeFileSync(file, [header.join(','), ...rows.map((r) => toCsvLine(header.map((h) => r[h] ?? '')))].join('\n') + '\n');
}

test('an export imports back as no change', async () => {
  const out = await exportCatalog(database.db, grants.entry, path.join(dir, 'same'));
  expect(out.count).toBeGreaterThan(10);
  const plan = await planImport(database.db, grants.entry, path.join(dir, 'same'));
  expect(plan.problems).toEqual([]);
  expect(plan.steps).toEqual([]);
  expect(describePlan(plan)).toBe('0 added, 0 changed, 0 retired');
});

test('one bad row: every problem named by line and column, nothing applied', async () => {
  const folder = path.join(dir, 'bad');
  await exportCatalog(database.db, grants.entry, folder);
  editOfferings(folder, (rows) => rows.map((r, i) => (i === 2 ? { ...r, shelf: 'SHELF' } : i === 0 ? { ...r, name: 'Renamed but not applied' } : r)));
  const plan = await planImport(database.db, grants.entry, folder);
  // Line 4: the header is line 1 and the bad record is the third.
  expect(plan.problems).toEqual([
    expect.stringMatching(
      /^offerings\.csv row grm-[a-z0-9-]+ \(line 4\), column shelf: invalid value "SHELF"; expected one of FEDERAL, COMMERCIAL, MANDATORY$/,
    ),
  ]);
  expect(plan.steps).toEqual([]);
  await expect(applyImport(database.db, plan, ACTOR, FILE_SOURCE)).rejects.toThrow('nothing is applied');
  expect(await database.db.collection('changes').countDocuments({})).toBe(0);
});

test('a good file: the dry run lists added, changed and retired, and applying it makes exactly that, audited', async () => {
  const folder = path.join(dir, 'good');
  await exportCatalog(database.db, grants.entry, folder);
  let renamed = '';
  let retired = '';
  editOfferings(folder, (rows) => {
    renamed = rows[0]!.id!;
    retired = rows[1]!.id!;
    const added = { ...rows[0]!, id: 'grm-imported-portal', name: 'Imported Portal', source: 'https://www.example.gov/imported-portal' };
    return [{ ...rows[0]!, name: 'Renamed by import' }, ...rows.slice(2), added];
  });
  // Listings of the retired offering go with it; the customers file must not name it any more.
  const customers = path.join(folder, 'offering_customers.csv');
  const lines = fs.readFileSync(customers, 'utf8').split('\n');
  fs.writeFileSync(customers, lines.filter((l, i) => i === 0 || !l.startsWith(`${retired},`)).join('\n'));

  const plan = await planImport(database.db, grants.entry, folder);
  expect(plan.problems).toEqual([]);
  expect(plan.steps.map((s) => [s.kind, s.offeringId, s.changedFields])).toEqual([
    ['added', 'grm-imported-portal', []],
    ['changed', renamed, ['name']],
    ['retired', retired, []],
  ]);
  const result = await applyImport(database.db, plan, ACTOR, FILE_SOURCE);
  expect(result).toEqual({ applied: 3, refused: [] });

  const offerings = database.db.collection<{ _id: string; name: string; version: number }>('offerings');
  expect(await offerings.findOne({ _id: renamed })).toMatchObject({ name: 'Renamed by import', version: 2 });
  expect(await offerings.findOne({ _id: retired })).toBeNull();
  expect(await database.db.collection('offering_customers').countDocuments({ offeringId: retired })).toBe(0);
  expect(await offerings.findOne({ _id: 'grm-imported-portal' })).toMatchObject({ name: 'Imported Portal', version: 1 });
  const changes = await database.db.collection('changes').find({}).sort({ _id: 1 }).toArray();
  expect(changes.map((c) => [c._id, c.mutation, c.state, c.actor.subject])).toEqual(
    expect.arrayContaining([
      ['grm-imported-portal@1', 'catalog:import', 'committed', ACTOR.subject],
      [`${renamed}@2`, 'catalog:import', 'committed', ACTOR.subject],
      [`${retired}@2`, 'catalog:import', 'committed', ACTOR.subject],
    ]),
  );
  // Applied, the same file is no change any more: the dry run and the apply agreed.
  expect((await planImport(database.db, grants.entry, folder)).steps).toEqual([]);
});
