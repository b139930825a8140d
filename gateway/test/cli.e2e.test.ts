import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseCsvFile } from 'csv-parse/sync';
import { parseCsv } from '@qsmo/catalog/csv';
import { runCli } from '../../test/support/cli';
import { startGraph, type RunningGraph } from '../../test/support/graph';
import { readAgencies } from '@qsmo/catalog';

/** Agencies in the reference catalog, counted from its file. */
const AGENCY_COUNT = readAgencies().length;

/**
 * The query CLI as analysts run it: a child process against a gateway over
 * HTTP, on the real catalog.
 */
const OPS = 'gateway/operations';
let graph: RunningGraph;
beforeAll(async () => {
  graph = await startGraph();
});
afterAll(async () => {
  await graph.stop();
});

// Each offering row carries the date the source of the agency's listing gives, so a reader sees at once which rows are old.
const DOMAIN_COLUMNS = (field: string) =>
  ['id', 'name', 'shelf', 'provider.id', 'provider.name', 'listing.statedOn.value', 'listing.statedOn.from', 'listing.verification', 'listing.caveat'].map(
    (c) => `agency.${field}.offerings.${c}`,
  );

const HHS = '075,Department of Health and Human Services';
const MARKETPLACES = ['financialManagement', 'humanResources', 'grantsManagement', 'cybersecurity', 'acquisition'] as const;
const TIDY_HEADER = [
  'code',
  'agency.name',
  'group',
  'offerings.id',
  'offerings.name',
  'shelf',
  'provider.id',
  'provider.name',
  'value',
  'from',
  'verification',
  'caveat',
];
const ABBREVIATION_NOTICE =
  'tidy: agency.abbreviation left out (fields of the records the rows sit in; their keys and names are kept): --wide keeps every field.\n';

test('agency-portfolio for HHS (075) as CSV: tidy by default, one row per offering, 12 columns, exact content', async () => {
  const r = await runCli([`${OPS}/agency-portfolio.graphql`, '--var', 'code=075', '--format', 'csv', '--endpoint', graph.gatewayUrl]);
  expect(r.stderr).toBe(ABBREVIATION_NOTICE);
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(
    [
      TIDY_HEADER.join(','),
      // HHS payroll at DFAS, as Government Executive last stated it in July 2013: the date columns show at once that the row is old.
      `${HHS},humanResources,hr-dod-dfas-civilian-payroll,DFAS Civilian Payroll Services,FEDERAL,dod-dfas,Defense Finance and Accounting Service,2013-07,2013-07-01,CONFIRMED,`,
      // Name order is the graph's: case ignored, so "eRA" comes first. The Grants marketplace page is undated except for PMS and CAS (FY2023).
      `${HHS},grantsManagement,grm-era,eRA,FEDERAL,hhs-nih,National Institutes of Health,,,,`,
      `${HHS},grantsManagement,grm-grantsolutions,GrantSolutions,FEDERAL,hhs,Department of Health and Human Services,,,,`,
      `${HHS},grantsManagement,grm-pms,Payment Management System (PMS),FEDERAL,hhs-psc,Program Support Center,FY2023,2022-10-01,,`,
      `${HHS},grantsManagement,grm-psc-cost-allocation-services,Program Support Center Cost Allocation Services (CAS) Indirect Cost Rate Negotiation Service,FEDERAL,hhs-psc,Program Support Center,FY2023,2022-10-01,,`,
      `${HHS},grantsManagement,grm-salesforce-pss-grantmaking,Salesforce PSS Grantmaking,COMMERCIAL,salesforce,Salesforce,,,,`,
      '',
    ].join('\r\n'),
  );
});

test('round trip: the tidy portfolio CSV read by csv-parse is the JSON answer, row for row, and no column is empty by shape', async () => {
  const args = [`${OPS}/agency-portfolio.graphql`, '--var', 'code=075', '--endpoint', graph.gatewayUrl];
  const [csv, json] = await Promise.all([runCli([...args, '--format', 'csv', '--excel']), runCli([...args, '--format', 'json'])]);
  expect(csv.status).toBe(0);
  expect(json.status).toBe(0);
  // --excel: a byte order mark, CRLF line ends.
  expect(csv.stdout.startsWith('\ufeffcode,')).toBe(true);
  expect(csv.stdout.split('\r\n')).toHaveLength(8);
  const records = parseCsvFile(csv.stdout, { bom: true, columns: true, skip_empty_lines: true }) as Record<string, string>[];
  expect(Object.keys(records[0]!)).toEqual(TIDY_HEADER);
  expect(TIDY_HEADER.length).toBeLessThanOrEqual(12);

  // The same rows built from the JSON answer by hand: a marketplace's offerings under its name, nulls as empty cells.
  const { agency } = JSON.parse(json.stdout);
  const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  const expected = MARKETPLACES.flatMap((m) =>
    (agency[m].offerings as any[]).map((o) => ({
      code: agency.code,
      'agency.name': agency.name,
      group: m,
      'offerings.id': o.id,
      'offerings.name': o.name,
      shelf: o.shelf,
      'provider.id': o.provider.id,
      'provider.name': o.provider.name,
      value: text(o.listing?.statedOn?.value),
      from: text(o.listing?.statedOn?.from),
      verification: text(o.listing?.verification),
      caveat: text(o.listing?.caveat),
    })),
  );
  expect(expected).toHaveLength(6);
  expect(records).toEqual(expected);

  // No column group empty by shape: a column is empty only where every JSON value behind it is null (HHS's listings carry no caveat).
  const empty = TIDY_HEADER.filter((h) => records.every((r) => r[h] === ''));
  expect(empty).toEqual(TIDY_HEADER.filter((h) => expected.every((r) => (r as Record<string, string>)[h] === '')));
  expect(empty).toEqual(['caveat']);
  // The wide shape of the same answer has 48 columns, three groups of nine empty on every row.
  const wide = await runCli([...args, '--format', 'csv', '--wide']);
  expect(wide.stdout.split('\r\n')[0]!.split(',')).toHaveLength(48);
});

test('--wide: the portfolio in the wide shape, a column per field path, exact content', async () => {
  const r = await runCli([`${OPS}/agency-portfolio.graphql`, '--var', 'code=075', '--format', 'csv', '--wide', '--endpoint', graph.gatewayUrl]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const header = [
    'agency.code',
    'agency.name',
    'agency.abbreviation',
    ...DOMAIN_COLUMNS('financialManagement'),
    ...DOMAIN_COLUMNS('humanResources'),
    ...DOMAIN_COLUMNS('grantsManagement'),
    ...DOMAIN_COLUMNS('cybersecurity'),
    ...DOMAIN_COLUMNS('acquisition'),
  ];
  const empty = ',,,,,,,,';
  const hhs = '075,Department of Health and Human Services,HHS';
  expect(r.stdout).toBe(
    [
      header.join(','),
      // HHS payroll at DFAS, as Government Executive last stated it in July 2013 (the NIH Record's 2005 report is its first source): the date column shows at once that the row is old.
      `${hhs},${empty},hr-dod-dfas-civilian-payroll,DFAS Civilian Payroll Services,FEDERAL,dod-dfas,Defense Finance and Accounting Service,2013-07,2013-07-01,CONFIRMED,,${empty},${empty},${empty}`,
      // Name order is the graph's: case ignored, so "eRA" comes first. The Grants marketplace page is undated except for PMS and CAS (FY2023).
      `${hhs},${empty},${empty},grm-era,eRA,FEDERAL,hhs-nih,National Institutes of Health,,,,,${empty},${empty}`,
      `${hhs},${empty},${empty},grm-grantsolutions,GrantSolutions,FEDERAL,hhs,Department of Health and Human Services,,,,,${empty},${empty}`,
      `${hhs},${empty},${empty},grm-pms,Payment Management System (PMS),FEDERAL,hhs-psc,Program Support Center,FY2023,2022-10-01,,,${empty},${empty}`,
      `${hhs},${empty},${empty},grm-psc-cost-allocation-services,Program Support Center Cost Allocation Services (CAS) Indirect Cost Rate Negotiation Service,FEDERAL,hhs-psc,Program Support Center,FY2023,2022-10-01,,,${empty},${empty}`,
      `${hhs},${empty},${empty},grm-salesforce-pss-grantmaking,Salesforce PSS Grantmaking,COMMERCIAL,salesforce,Salesforce,,,,,${empty},${empty}`,
      '',
    ].join('\r\n'),
  );
  // And it reads back as the CSV the catalog tooling parses.
  const rows = parseCsv(r.stdout, 'portfolio.csv');
  expect(rows.map((row) => row['agency.grantsManagement.offerings.name']).filter(Boolean)).toHaveLength(5);
  expect(rows.map((row) => row['agency.humanResources.offerings.listing.statedOn.value']).filter(Boolean)).toEqual(['2013-07']);
});

test('table, json and ndjson of the same answer; GRAPHQL_URL picks the endpoint', async () => {
  const args = [`${OPS}/agency-portfolio.graphql`, '--var', 'code=075'];
  const env = { GRAPHQL_URL: graph.gatewayUrl };
  const json = await runCli([...args, '--format', 'json'], env);
  expect(JSON.parse(json.stdout).agency.grantsManagement.offerings).toHaveLength(5);
  const ndjson = await runCli([...args, '--format', 'ndjson'], env);
  const lines = ndjson.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(lines).toHaveLength(6);
  expect(lines[0]).toEqual({
    code: '075',
    'agency.name': 'Department of Health and Human Services',
    group: 'humanResources',
    'offerings.id': 'hr-dod-dfas-civilian-payroll',
    'offerings.name': 'DFAS Civilian Payroll Services',
    shelf: 'FEDERAL',
    'provider.id': 'dod-dfas',
    'provider.name': 'Defense Finance and Accounting Service',
    value: '2013-07',
    from: '2013-07-01',
    verification: 'CONFIRMED',
    caveat: null,
  });
  expect(lines[1]).toMatchObject({ group: 'grantsManagement', 'offerings.name': 'eRA', value: null });
  const wide = await runCli([...args, '--format', 'ndjson', '--wide'], env);
  expect(JSON.parse(wide.stdout.split('\n')[0]!)).toMatchObject({
    'agency.code': '075',
    'agency.humanResources.offerings.listing.statedOn.value': '2013-07',
    'agency.financialManagement.offerings.id': null,
  });
  const table = await runCli([...args, '--format', 'table'], env);
  expect(table.status).toBe(0);
  expect(table.stdout.split('\n')[0]).toMatch(/^code\s+agency\.name\s+group\s+offerings\.id\s+offerings\.name/);
  expect(table.stdout).toContain('2013-07');
  expect(table.stdout).toContain('GrantSolutions');
  // Only the caveat: no HHS listing has one.
  expect(table.stderr).toBe(`${ABBREVIATION_NOTICE}table: 1 column(s) empty in every row are hidden; --format csv shows all.\n`);
});

test('--out writes the file, infers the format and reports on stderr', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-cli-'));
  try {
    const out = path.join(dir, 'fibf.csv');
    const r = await runCli([`${OPS}/fibf-function-coverage.graphql`, '--var', 'code=GRM.030', '--out', out, '--endpoint', graph.gatewayUrl]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const rows = parseCsv(fs.readFileSync(out, 'utf8'), out);
    expect(new Set(rows.map((row) => row['children.code']))).toEqual(new Set(['GRM.030.010', 'GRM.030.020']));
    expect(rows.map((row) => row['offerings.name'])).toContain('GrantSolutions');
    expect(rows.every((row) => row['capability.code'] === 'GRM.030')).toBe(true);
    expect(r.stderr).toMatch(new RegExp(`${rows.length} row\\(s\\) written to ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GraphQL errors are printed with code and path, exit 1, and partial data is still written', async () => {
  const r = await runCli(['-e', '{ hhs: agency(code: "075") { name } bad: agency(code: "HHS") { name } }', '--format', 'json', '--endpoint', graph.gatewayUrl]);
  expect(r.status).toBe(1);
  expect(JSON.parse(r.stdout)).toEqual({ hhs: { name: 'Department of Health and Human Services' }, bad: null });
  expect(r.stderr).toMatch(/^error \[BAD_USER_INPUT\] at bad: .+\nThe answer is partial: the data the graph returned was written\.\n$/);
  const invalid = await runCli(['-e', '{ agency(code: "075") { nme } }', '--endpoint', graph.gatewayUrl]);
  expect(invalid.status).toBe(1);
  expect(invalid.stderr).toMatch(
    /error \[GRAPHQL_VALIDATION_FAILED\]: Cannot query field "nme" on type "Agency".*\(-e:1:25\)\nThe graph returned no data\.\n$/,
  );
});

test('mistakes in the command are exit 2 with what to change', async () => {
  const missing = await runCli([`${OPS}/agency-portfolio.graphql`, '--endpoint', graph.gatewayUrl]);
  expect(missing.status).toBe(2);
  expect(missing.stderr).toBe('query: agency-portfolio.graphql needs $code: ID!: pass --var code=....\n');
  const noAfter = await runCli([
    '-e',
    '{ agencies(first: 5) { pageInfo { hasNextPage endCursor } edges { node { code } } } }',
    '--all-pages',
    '--endpoint',
    graph.gatewayUrl,
  ]);
  expect(noAfter.status).toBe(2);
  expect(noAfter.stderr).toMatch(/declares no \$after variable: declare \$after: String on the operation and pass after: \$after to agencies/);
  const badOut = await runCli(['-e', '{ qsmos { domain } }', '--out', '/no/such/folder/x.csv', '--endpoint', graph.gatewayUrl]);
  expect(badOut.status).toBe(2);
  expect(badOut.stderr).toMatch(/^query: --out \/no\/such\/folder\/x\.csv: ENOENT: no such file or directory/);
  // x.xlsx used to get JSON written into it; now nothing is written and the message names the formats.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-cli-'));
  try {
    const xlsx = await runCli(['-e', '{ qsmos { domain } }', '--out', path.join(dir, 'x.xlsx'), '--endpoint', graph.gatewayUrl]);
    expect(xlsx.status).toBe(2);
    expect(xlsx.stderr).toMatch(
      /\.xlsx is not an output format; use one of \.csv, \.json, \.ndjson, \.jsonl, \.txt, or give --format\. For Excel, write \.csv with --excel/,
    );
    expect(fs.readdirSync(dir)).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // Two connections sharing $after once wrote duplicated rows; now the command refuses before asking the graph.
  const two = await runCli([
    '-e',
    'query($after: String) { a: agencies(first: 5, after: $after) { pageInfo { hasNextPage endCursor } edges { node { code } } } b: agencies(first: 5, after: $after) { pageInfo { hasNextPage endCursor } edges { node { name } } } }',
    '--all-pages',
    '--format',
    'csv',
    '--endpoint',
    graph.gatewayUrl,
  ]);
  expect(two.status).toBe(2);
  expect(two.stdout).toBe('');
  expect(two.stderr).toMatch(/--all-pages follows one connection per run, and -e selects 2: a, b\./);
});

test('a gateway that is not there is exit 1 with how to start it', async () => {
  const r = await runCli(['-e', '{ qsmos { domain } }', '--endpoint', 'http://127.0.0.1:9/graphql']);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/could not reach the graph at http:\/\/127\.0\.0\.1:9\/graphql.*npm start/);
});

test('--all-pages over the real agencies, a page of 7 at a time, gives every agency once in order', async () => {
  const r = await runCli([`${OPS}/agencies-adoption.graphql`, '--var', 'first=7', '--all-pages', '--format', 'csv', '--endpoint', graph.gatewayUrl]);
  expect(r.status).toBe(0);
  const rows = parseCsv(r.stdout, 'agencies.csv');
  const names = rows.map((row) => row['name']!);
  expect(rows).toHaveLength(AGENCY_COUNT);
  expect(new Set(rows.map((row) => row['code'])).size).toBe(AGENCY_COUNT);
  expect(names).toEqual([...names].sort((a: string, b: string) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0)));
  expect(rows.find((row) => row['code'] === '075')!['grantsManagement.offeringCount']).toBe('5');
});
