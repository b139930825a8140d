import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCsv } from '@qsmo/catalog/csv';
import { runCli } from '../../test/support/cli';
import { openSeededDatabase, openSyntheticDatabase } from '../../test/support/db';
import { startGraph, type RunningGraph } from '../../test/support/graph';

/**
 * --all-pages over a data set much larger than one page: the Grants
 * Management subgraph on a synthetic catalog of 2,500 offerings (25 pages
 * of 100), the others on the real one. Every row must arrive once, in name
 * order. Memory flatness is measured by `npm run bench:cli`, not here.
 */
const OFFERINGS = 2_500;
let graph: RunningGraph;
let dir: string;
beforeAll(async () => {
  graph = await startGraph({
    openDatabase: (d) => (d.domain === 'GRANTS_MANAGEMENT' ? openSyntheticDatabase(d, { offerings: OFFERINGS, customers: 5_000 }) : openSeededDatabase(d)),
  });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-all-pages-'));
}, 180_000);
afterAll(async () => {
  await graph.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const expectedIds = Array.from({ length: OFFERINGS }, (_, i) => `grm-synthetic-${String(i + 1).padStart(5, '0')}`);

test('CSV to a file: all 2,500 offerings over 25 pages, in order, no duplicates, progress on stderr', async () => {
  const out = path.join(dir, 'grants.csv');
  const r = await runCli(['gateway/operations/grants-offerings-page.graphql', '--all-pages', '--out', out, '--endpoint', graph.gatewayUrl]);
  expect(r.status).toBe(0);
  expect(r.stdout).toBe('');
  const rows = parseCsv(fs.readFileSync(out, 'utf8'), out);
  // Tidy: one row per offering, no pagination columns.
  expect(Object.keys(rows[0]!)).toEqual(['offerings.id', 'offerings.name', 'category', 'shelf', 'verification', 'launchedOn', 'provider.id', 'provider.name']);
  expect(rows.map((row) => row['offerings.id'])).toEqual(expectedIds);
  expect(rows[0]).toMatchObject({ 'offerings.name': 'Synthetic offering 00001', verification: 'UNVERIFIED' });
  expect(rows.every((row) => row['provider.name'] !== '')).toBe(true);
  // Not a terminal: progress lines, then the summary.
  expect(r.stderr).toMatch(/^page 1: 100 of 2,500 grantsManagement\.offerings, 100 row\(s\) written\n/);
  expect(r.stderr).toMatch(/2,500 row\(s\) written to .*grants\.csv\n$/);
}, 120_000);

test('JSON to stdout: one document holding every edge of every page, the last pageInfo at the end', async () => {
  // A filtered slice keeps this one quick: offerings 02400-02499, 30 per page.
  const r = await runCli([
    'gateway/operations/grants-offerings-page.graphql',
    '--all-pages',
    '--format',
    'json',
    '--var',
    'first=30',
    '--vars-json',
    '{"filter": {"search": "offering 024", "verification": "UNVERIFIED"}}',
    '--endpoint',
    graph.gatewayUrl,
  ]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const data = JSON.parse(r.stdout);
  expect(data.grantsManagement.offerings.edges.map((e: any) => e.node.id)).toEqual(expectedIds.slice(2399, 2499));
  expect(data.grantsManagement.offerings.pageInfo).toEqual({ hasNextPage: false, endCursor: data.grantsManagement.offerings.edges[99].cursor });
  expect(data.grantsManagement.offerings.totalCount).toBe(100);
}, 120_000);
