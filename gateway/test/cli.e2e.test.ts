import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCsv } from '@qsmo/shared/catalog/csv';
import { runCli } from '../../test/support/cli';
import { startGraph, type RunningGraph } from '../../test/support/graph';
import { readAgencies } from '@qsmo/shared/catalog';

/** Agencies in the reference catalog, counted from its file. */
const AGENCY_COUNT = readAgencies().length;

/**
 * The query CLI as analysts run it: a child process against a gateway over
 * HTTP, on the real catalog.
 */
const OPS = 'gateway/operations';
let graph: RunningGraph;
beforeAll(async () => { graph = await startGraph(); });
afterAll(async () => { await graph.stop(); });

// Each offering row carries the date the source of the agency's listing gives, so a reader sees at once which rows are old.
const DOMAIN_COLUMNS = (field: string) =>
  ['id', 'name', 'shelf', 'provider.id', 'provider.name', 'listing.statedOn.value', 'listing.statedOn.from', 'listing.verification', 'listing.caveat']
    .map((c) => `agency.${field}.offerings.${c}`);

test('agency-portfolio for HHS (075) as CSV: one row per offering, exact content', async () => {
  const r = await runCli([`${OPS}/agency-portfolio.graphql`, '--var', 'code=075', '--format', 'csv', '--endpoint', graph.gatewayUrl]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const header = ['agency.code', 'agency.name', 'agency.abbreviation',
    ...DOMAIN_COLUMNS('financialManagement'), ...DOMAIN_COLUMNS('humanResources'), ...DOMAIN_COLUMNS('grantsManagement'), ...DOMAIN_COLUMNS('cybersecurity'), ...DOMAIN_COLUMNS('acquisition')];
  const empty = ',,,,,,,,';
  const hhs = '075,Department of Health and Human Services,HHS';
  expect(r.stdout).toBe([
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
  ].join('\r\n'));
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
  const lines = ndjson.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines).toHaveLength(6);
  expect(lines[0]).toMatchObject({ 'agency.code': '075', 'agency.humanResources.offerings.listing.statedOn.value': '2013-07', 'agency.financialManagement.offerings.id': null });
  expect(lines[1]).toMatchObject({ 'agency.code': '075', 'agency.grantsManagement.offerings.name': 'eRA', 'agency.grantsManagement.offerings.listing.statedOn.value': null });
  const table = await runCli([...args, '--format', 'table'], env);
  expect(table.status).toBe(0);
  expect(table.stdout.split('\n')[0]).toMatch(/^code\s+name\s+abbreviation\s+humanResources\.offerings\.id/);
  expect(table.stdout).toContain('2013-07');
  expect(table.stdout).toContain('GrantSolutions');
  // FM, Cybersecurity and Acquisition (9 columns each), the HR caveat and the Grants verification and caveat.
  expect(table.stderr).toMatch(/30 column\(s\) empty in every row are hidden/);
});

test('--out writes the file, infers the format and reports on stderr', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-cli-'));
  try {
    const out = path.join(dir, 'fibf.csv');
    const r = await runCli([`${OPS}/fibf-function-coverage.graphql`, '--var', 'code=GRM.030', '--out', out, '--endpoint', graph.gatewayUrl]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const rows = parseCsv(fs.readFileSync(out, 'utf8'), out);
    expect(new Set(rows.map((row) => row['grantsManagement.capability.children.code']))).toEqual(new Set(['GRM.030.010', 'GRM.030.020']));
    expect(rows.map((row) => row['grantsManagement.capability.children.offerings.name'])).toContain('GrantSolutions');
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
  expect(invalid.stderr).toMatch(/error \[GRAPHQL_VALIDATION_FAILED\]: Cannot query field "nme" on type "Agency".*\(-e:1:25\)\nThe graph returned no data\.\n$/);
});

test('mistakes in the command are exit 2 with what to change', async () => {
  const missing = await runCli([`${OPS}/agency-portfolio.graphql`, '--endpoint', graph.gatewayUrl]);
  expect(missing.status).toBe(2);
  expect(missing.stderr).toBe('query: agency-portfolio.graphql needs $code: ID!: pass --var code=....\n');
  const noAfter = await runCli(['-e', '{ agencies(first: 5) { pageInfo { hasNextPage endCursor } edges { node { code } } } }', '--all-pages', '--endpoint', graph.gatewayUrl]);
  expect(noAfter.status).toBe(2);
  expect(noAfter.stderr).toMatch(/declares no \$after variable: declare \$after: String on the operation and pass after: \$after to agencies/);
  const badOut = await runCli(['-e', '{ qsmos { domain } }', '--out', '/no/such/folder/x.csv', '--endpoint', graph.gatewayUrl]);
  expect(badOut.status).toBe(2);
  expect(badOut.stderr).toMatch(/^query: --out \/no\/such\/folder\/x\.csv: ENOENT: no such file or directory/);
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
  const names = rows.map((row) => row['agencies.edges.node.name']!);
  expect(rows).toHaveLength(AGENCY_COUNT);
  expect(new Set(rows.map((row) => row['agencies.edges.node.code'])).size).toBe(AGENCY_COUNT);
  expect(names).toEqual([...names].sort((a: string, b: string) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0)));
  expect(rows.find((row) => row['agencies.edges.node.code'] === '075')!['agencies.edges.node.grantsManagement.offeringCount']).toBe('5');
});
