import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseCsvFile } from 'csv-parse/sync';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { ideRoutes } from '../src/ide';
import { ensureIdeBundle } from '../src/ide-build';
import { findChromium, HEADLESS_FLAGS } from '../../test/support/chromium';
import { runCli } from '../../test/support/cli';
import { startEditingGraph, type EditingGraph } from '../../test/support/editing-graph';

/**
 * The IDE as an analyst uses it, in headless Chromium against the real
 * graph (four subgraphs on the real catalog, the gateway verifying an
 * identity provider's tokens): a shared link opens its operation, the result
 * shows as a table that sorts and downloads as the same CSV the query
 * command writes, a result with numbers shows as a bar chart, and a token
 * signs the browser tab in. Screenshots of the table, the chart and the
 * signed-in panel are saved under test-output/ide (git-ignored).
 */
export const SCREENSHOTS = path.join(REPO_ROOT, 'test-output', 'ide');
const FLAGS = HEADLESS_FLAGS;
const PORTFOLIO = fs.readFileSync(path.join(REPO_ROOT, 'gateway', 'operations', 'agency-portfolio.graphql'), 'utf8');

let editing: EditingGraph;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let base: string;
let downloads: string;
const problems: string[] = [];

beforeAll(async () => {
  const launch = await findChromium(FLAGS);
  const bundle = await ensureIdeBundle();
  editing = await startEditingGraph({ routes: ideRoutes(bundle) });
  base = editing.graph.gatewayUrl.replace('localhost', '127.0.0.1').replace(/graphql$/, '');
  browser = await chromium.launch({ executablePath: launch.executablePath, env: launch.env, args: launch.args, headless: true });
  context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-ide-downloads-'));
}, 180_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await editing?.stop();
  if (downloads) fs.rmSync(downloads, { recursive: true, force: true });
});

const run = () => page.locator('.graphiql-execute-button').click();
const table = () => page.locator('.qsmo-table');
const column = async (header: string): Promise<string[]> => {
  const headers = await table().locator('thead th').allInnerTexts();
  const index = headers.findIndex((h) => h.replace(/[▲▼]/g, '').trim() === header);
  expect(index).toBeGreaterThanOrEqual(0);
  return table()
    .locator(`tbody tr td:nth-child(${index + 1})`)
    .allInnerTexts();
};

test('a shared link opens its operation and variables; the result shows as the tidy table', async () => {
  const link = `${base}?${new URLSearchParams({ query: PORTFOLIO, variables: '{"code": "075"}' })}`;
  await page.goto(link);
  await page.locator('.graphiql-query-editor .monaco-editor').waitFor();
  await page.locator('.qsmo-results-idle').waitFor();
  await run();
  await table().waitFor({ timeout: 30_000 });
  expect((await table().locator('thead th').allInnerTexts()).map((h) => h.trim())).toEqual([
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
  ]);
  expect(await column('offerings.name')).toEqual([
    'DFAS Civilian Payroll Services',
    'eRA',
    'GrantSolutions',
    'Payment Management System (PMS)',
    'Program Support Center Cost Allocation Services (CAS) Indirect Cost Rate Negotiation Service',
    'Salesforce PSS Grantmaking',
  ]);
  expect(await column('group')).toEqual(['humanResources', ...Array(5).fill('grantsManagement')]);
  await page.getByText('6 rows, 12 columns').waitFor();
  // The address keeps the operation: the link can be passed on as it is.
  expect(new URL(page.url()).searchParams.get('query')).toContain('query AgencyPortfolio');
  // The Examples panel closed, so the screenshot has room for the table.
  await page.getByRole('button', { name: 'Hide Examples' }).click();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'table.png') });
}, 90_000);

test('a column header sorts, then sorts the other way; the download is the sorted table as the query command writes it', async () => {
  await table().getByRole('button', { name: 'offerings.name', exact: true }).click();
  expect((await column('offerings.name'))[0]).toBe('DFAS Civilian Payroll Services');
  await table()
    .getByRole('button', { name: /^offerings\.name/ })
    .click();
  const descending = await column('offerings.name');
  expect(descending[0]).toBe('Salesforce PSS Grantmaking');
  expect(descending.at(-1)).toBe('DFAS Civilian Payroll Services');
  expect(await table().locator('th[aria-sort="descending"]').innerText()).toMatch(/offerings\.name/);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
  expect(download.suggestedFilename()).toBe('AgencyPortfolio.csv');
  const file = path.join(downloads, 'portfolio.csv');
  await download.saveAs(file);
  const text = fs.readFileSync(file, 'utf8');
  // For Excel: a byte order mark and CRLF line ends; the rows in the order shown.
  expect(text.startsWith('\ufeffcode,agency.name,group,')).toBe(true);
  expect(text.split('\r\n')).toHaveLength(8);
  const rows = parseCsvFile(text, { bom: true, columns: true }) as Record<string, string>[];
  expect(rows.map((r) => r['offerings.name'])).toEqual(descending);
  // The same lines, neutralization included, as `npm run query -- --format csv --excel` writes them.
  const cli = await runCli([
    'gateway/operations/agency-portfolio.graphql',
    '--var',
    'code=075',
    '--format',
    'csv',
    '--excel',
    '--endpoint',
    editing.graph.gatewayUrl,
  ]);
  expect(cli.status).toBe(0);
  const lines = (csv: string) => csv.split('\r\n').slice(1).sort();
  expect(text.split('\r\n')[0]).toBe(cli.stdout.split('\r\n')[0]);
  expect(lines(text)).toEqual(lines(cli.stdout));
}, 90_000);

test('a result with numbers shows as a bar chart of a numeric column by a label column', async () => {
  await page.getByRole('button', { name: 'Show Examples' }).click();
  await page.getByRole('button', { name: 'Totals of a marketplace: shelves, verification, FIBF coverage' }).click();
  await page.getByRole('button', { name: 'Hide Examples' }).click();
  await run();
  await page.getByText(/^\d+ rows, 10 columns$/).waitFor({ timeout: 30_000 });
  expect(new URL(page.url()).searchParams.get('query')).toContain('query MarketplaceTotals');
  await page.getByRole('tab', { name: 'Chart' }).click();
  await page.getByLabel('Bar value').selectOption({ label: 'capabilityCoverage.offeringCount' });
  await page.getByLabel('Bar label').selectOption({ label: 'name' });
  const chart = page.locator('svg.qsmo-chart');
  await chart.waitFor();
  expect(await chart.getAttribute('aria-label')).toBe('capabilityCoverage.offeringCount by name');

  // One bar per FIBF function of Grants Management, largest first, as the graph counts them.
  const answer = await editing.gql('{ grantsManagement { stats { capabilityCoverage { code name offeringCount } } } }');
  const coverage = answer.body.data.grantsManagement.stats.capabilityCoverage as { name: string; offeringCount: number }[];
  expect(coverage.length).toBeGreaterThan(3);
  expect(await chart.locator('rect').count()).toBe(coverage.length);
  const values = (await chart.locator('g > text:nth-of-type(2)').allTextContents()).map((v) => Number(v.replace(/,/g, '')));
  expect(values).toEqual(coverage.map((c) => c.offeringCount).sort((a, b) => b - a));
  const widths = await chart.locator('rect').evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('width'))));
  expect(widths[0]).toBeGreaterThan(widths.at(-1)!);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'chart.png') });
}, 90_000);

test('sign-in: a token kept for the browser tab, sent with every operation and verified by the gateway; sign out forgets it', async () => {
  await page.getByRole('button', { name: 'Show Sign in' }).click();
  const panel = page.locator('.qsmo-signin');
  await panel.getByText('npm run -s token -- --role analyst').waitFor();

  // Not a token: said so, nothing kept.
  await panel.getByLabel('Token').fill('not-a-token');
  await panel.getByRole('button', { name: 'Sign in' }).click();
  await panel
    .getByRole('alert')
    .getByText(/This is not a token/)
    .waitFor();

  const token = await editing.token('ide-analyst', ['analyst']);
  await panel.getByLabel('Token').fill(token);
  await panel.getByRole('button', { name: 'Sign in' }).click();
  await panel.getByTestId('signed-in').getByText('Signed in as ide-analyst with the role analyst.', { exact: false }).waitFor();
  expect(await page.evaluate(() => sessionStorage.getItem('qsmo-ide:token'))).toBe(token);
  expect(await page.evaluate(() => localStorage.getItem('qsmo-ide:token'))).toBeNull();
  expect(page.url()).not.toContain(token.slice(0, 20));
  await page.screenshot({ path: path.join(SCREENSHOTS, 'signed-in.png') });

  // The next operation carries it, and the gateway accepts it.
  const [request] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'POST' && /\/graphql$/.test(r.url()) && !/IntrospectionQuery/.test(r.postData() ?? '')),
    run(),
  ]);
  expect(request.headers().authorization).toBe(`Bearer ${token}`);
  const answered = await request.response();
  expect(answered?.status()).toBe(200);
  expect((await answered!.json()).errors).toBeUndefined();

  // A reload keeps the session; another tab does not share it.
  await page.reload();
  // GraphiQL remembers the open panel across reloads.
  await page.getByRole('button', { name: /^(Show|Hide) Sign in$/ }).waitFor();
  if (await page.getByRole('button', { name: 'Show Sign in' }).count()) await page.getByRole('button', { name: 'Show Sign in' }).click();
  await page.getByTestId('signed-in').waitFor();
  const other = await context.newPage();
  await other.goto(base);
  expect(await other.evaluate(() => sessionStorage.getItem('qsmo-ide:token'))).toBeNull();
  await other.close();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('.qsmo-signin').getByLabel('Token').waitFor();
  expect(await page.evaluate(() => sessionStorage.getItem('qsmo-ide:token'))).toBeNull();
  // A forged token is refused by the gateway, not by the page.
  const forged = `${token.slice(0, token.lastIndexOf('.'))}.${'A'.repeat(86)}`;
  await page.locator('.qsmo-signin').getByLabel('Token').fill(forged);
  await page.locator('.qsmo-signin').getByRole('button', { name: 'Sign in' }).click();
  const [refused] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && /\/graphql$/.test(r.url()) && !/IntrospectionQuery/.test(r.request().postData() ?? '')),
    run(),
  ]);
  expect(refused.status()).toBe(401);
  await page.getByRole('button', { name: 'Sign out' }).click();
}, 120_000);

test('the page raised no errors, and the screenshots are there', () => {
  expect(problems).toEqual([]);
  for (const name of ['table.png', 'chart.png', 'signed-in.png']) expect(fs.statSync(path.join(SCREENSHOTS, name)).size).toBeGreaterThan(10_000);
});
