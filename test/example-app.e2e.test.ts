import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createLogger } from '@qsmo/service-kit/logger';
import { createMetrics } from '@qsmo/service-kit/metrics';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { testPort } from './support/ports';
import { readPersistedQueryManifest } from '@qsmo/registry/client-manifests';
import { standardPlugins } from '../gateway/src/plugins';
import { securityPlugins } from '../gateway/src/plugins/security';
import { useCatalogWrites } from '../gateway/src/plugins/catalog-writes';
import { useTrustedDocuments } from '../gateway/src/plugins/trusted-documents';
import { readTrustedDocuments } from '../gateway/src/trusted-documents';
import { createSubscriptions, DEFAULT_SUBSCRIPTIONS, type Subscriptions } from '../gateway/src/subscriptions';
import { startExplorer, type RunningExplorer } from '../examples/marketplace-explorer/serve';
import { findChromium, HEADLESS_FLAGS } from './support/chromium';
import { startGraph, type RunningGraph } from './support/graph';
import { createTestIdentityProvider, type TestIdentityProvider } from './support/identity-provider';

/**
 * The example frontend as a team would run it: the explorer (React, Apollo
 * Client) served from its own origin, in a real headless Chromium, against
 * the graph over loopback with TRUSTED_DOCUMENTS=enforce trusting the
 * library and the explorer's manifest only. A user picks HHS, sees its
 * offerings, opens one; an editor changes it through the graph with a token;
 * the open page shows the change without a reload (live updates over GraphQL
 * over SSE). Screenshots go to test-output/explorer/; the guide's copies
 * in docs/images/explorer-*.png are taken from there when the page changes
 * (a test run leaves the tree as it found it).
 */
jest.setTimeout(180_000);

const FLAGS = HEADLESS_FLAGS;
const IMAGES = path.join(REPO_ROOT, 'test-output', 'explorer');
const OFFERING = 'grm-grantsolutions';

let graph: RunningGraph;
let subscriptions: Subscriptions;
/** The explorer's manifest ids, by operation name. */
const manifestIds = new Map<string, string>();
let idp: TestIdentityProvider;
let explorer: RunningExplorer;
let browser: BrowserContext;
let profile: string;
let page: Page;
/** Every request the page sent to the graph. */
const graphRequests: { method: string; url: string; body: string | null; headers: Record<string, string> }[] = [];

async function gql(query: string, variables: Record<string, unknown>, token: string): Promise<any> {
  const res = await fetch(graph.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

beforeAll(async () => {
  const port = await testPort();
  const origin = `http://127.0.0.1:${port}`;
  idp = await createTestIdentityProvider();
  const secret = randomBytes(32).toString('hex');
  // Trusted: the library and the explorer's published manifest, its live-update subscription among its operations.
  const trusted = new Map(readTrustedDocuments());
  const manifest = readPersistedQueryManifest(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'examples/marketplace-explorer/manifest.json'), 'utf8')));
  expect(manifest.problems).toEqual([]);
  expect(manifest.operations.filter((op) => op.type === 'subscription').map((op) => op.name)).toEqual(['ExplorerCatalogChanged']);
  for (const op of manifest.operations) {
    trusted.set(op.id, op.body);
    manifestIds.set(op.name, op.id);
  }
  const metrics = createMetrics('gateway', { defaultMetrics: false });
  // Live updates as the gateway's entry point assembles them: the plugin after trusted documents, the SSE and WebSocket endpoints on its server.
  subscriptions = createSubscriptions({
    config: DEFAULT_SUBSCRIPTIONS,
    trustProxyHops: 0,
    metrics,
    logger: createLogger('gateway', 'silent'),
    trustedDocument: (hash) => trusted.get(hash),
  });
  graph = await startGraph({
    gateway: {
      metrics,
      plugins: [
        ...securityPlugins({ ...idp.security(secret), cors: { origins: [origin] } }),
        useCatalogWrites(),
        ...standardPlugins({ metrics }),
        useTrustedDocuments({ mode: 'enforce', documents: trusted }),
        subscriptions.plugin,
      ],
    },
    subgraph: { gatewaySignature: { secret, required: true } },
  });
  subscriptions.serve(graph.gateway.http.server);
  explorer = await startExplorer({ port, host: '127.0.0.1', graphUrl: graph.gatewayUrl });
  const found = await findChromium(FLAGS);
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-explorer-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: found.executablePath,
    args: found.args,
    env: found.env,
    headless: true,
    viewport: { width: 1100, height: 900 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on('request', (request) => {
    if (request.url().startsWith(graph.gatewayUrl))
      graphRequests.push({ method: request.method(), url: request.url(), body: request.postData(), headers: request.headers() });
  });
  fs.mkdirSync(IMAGES, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await explorer?.stop();
  await subscriptions?.close();
  await graph?.stop();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

test('a user picks HHS and sees its offerings across the marketplaces, fetched by hash only with GET', async () => {
  await page.goto(`${explorer.url}/`);
  // Relay pagination: the next page is appended to the list in the cache, not swapped for it.
  const agencies = page.locator('ul.agencies > li');
  await agencies.nth(19).waitFor();
  expect(await agencies.count()).toBe(20);
  await page.getByRole('button', { name: 'More agencies' }).click();
  await agencies.nth(20).waitFor();
  expect(await agencies.count()).toBeGreaterThan(20);
  await page.getByLabel('Search agencies').fill('Health and Human');
  await page.getByRole('link', { name: 'HHS' }).waitFor();
  await page.screenshot({ path: path.join(IMAGES, 'agencies.png') });
  await page.getByRole('link', { name: 'HHS' }).click();
  await page.getByTestId('agency-name').filter({ hasText: 'Department of Health and Human Services' }).waitFor();
  const grants = page.getByTestId('offerings-grantsManagement');
  await grants.getByRole('link').first().waitFor();
  expect(await grants.getByRole('link').count()).toBeGreaterThan(0);
  await page.screenshot({ path: path.join(IMAGES, 'portfolio.png'), fullPage: true });

  // Persisted queries: every query went as a GET carrying only the manifest's hash, with the preflight header, and none was refused.
  const queries = graphRequests.filter((r) => r.method === 'GET');
  expect(queries.length).toBeGreaterThanOrEqual(2);
  for (const r of queries) {
    const params = new URL(r.url).searchParams;
    expect(params.get('query')).toBeNull();
    expect(JSON.parse(params.get('extensions')!).persistedQuery.sha256Hash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.headers['apollo-require-preflight']).toBe('true');
  }
  expect(graphRequests.filter((r) => r.method === 'POST' && r.body?.includes('"query"') && !r.body.includes('subscription'))).toEqual([]);
  expect(await page.getByRole('alert').count()).toBe(0);
});

test("an editor's change to the open offering shows on the page without a reload", async () => {
  await page.goto(`${explorer.url}/#/offering/${OFFERING}`);
  const name = page.getByTestId('offering-name');
  await name.waitFor();
  const before = (await name.textContent())!;
  await page.getByTestId('customers').getByRole('link').first().waitFor();
  await page.screenshot({ path: path.join(IMAGES, 'offering.png'), fullPage: true });
  // The page as loaded: a reload would replace this marker.
  await page.evaluate(() => {
    (window as unknown as { loadedOnce: boolean }).loadedOnce = true;
  });

  const editor = await idp.token('grm-editor@hhs.gov', ['editor'], ['GRANTS_MANAGEMENT']);
  const current = await gql('query V($id: ID!) { grantsManagement { offering(id: $id) { version } } }', { id: OFFERING }, editor);
  const renamed = `${before} (renamed ${randomBytes(2).toString('hex')})`;
  const updated = await gql(
    `mutation Rename($input: UpdateGrantsManagementOfferingInput!) {
    updateGrantsManagementOffering(input: $input) { offering { id name version } userErrors { field message code } } }`,
    {
      input: {
        id: OFFERING,
        version: current.data.grantsManagement.offering.version,
        name: renamed,
        provenance: { sources: [{ title: 'Grants QSMO marketplace', url: 'https://www.usaspending.gov/grants-qsmo/marketplace' }], verification: 'CONFIRMED' },
      },
    },
    editor,
  );
  expect(updated.errors).toBeUndefined();
  expect(updated.data.updateGrantsManagementOffering.userErrors).toEqual([]);

  // Live: the subscription's event carries the offering, and the cache updates the page in place.
  try {
    await page.getByTestId('offering-name').filter({ hasText: renamed }).waitFor({ timeout: 15_000 });
  } catch (error) {
    throw new Error(
      `The open page did not show "${renamed}" within 15 s; its live-update line says: "${await page.getByTestId('live').textContent()}". ${(error as Error).message}`,
    );
  }
  expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
  // The subscription went as the queries do: its manifest id only, never the document.
  const subscribed = graphRequests.filter((r) => r.method === 'POST' && r.headers.accept?.includes('text/event-stream'));
  expect(subscribed.length).toBeGreaterThan(0);
  const subscriptionId = manifestIds.get('ExplorerCatalogChanged');
  for (const r of subscribed) {
    const body = JSON.parse(r.body!) as { query?: string; extensions?: { persistedQuery?: { sha256Hash?: string } } };
    expect(body.query).toBeUndefined();
    expect(body.extensions?.persistedQuery?.sha256Hash).toBe(subscriptionId);
  }
  await page.screenshot({ path: path.join(IMAGES, 'live.png'), fullPage: true });
});

test('over SSE a subscription goes by its trusted id alone; an id no manifest holds is refused with 400 PERSISTED_QUERY_NOT_IN_LIST', async () => {
  const send = (sha256Hash: string) =>
    fetch(graph.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        operationName: 'ExplorerCatalogChanged',
        variables: { domains: ['GRANTS_MANAGEMENT'] },
        extensions: { persistedQuery: { version: 1, sha256Hash } },
      }),
    });
  const unknown = await send('0'.repeat(64));
  expect(unknown.status).toBe(400);
  expect((await unknown.json()).errors[0]).toMatchObject({
    message: expect.stringContaining('No trusted document has this sha256Hash'),
    extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' },
  });
  const known = await send(manifestIds.get('ExplorerCatalogChanged')!);
  expect(known.status).toBe(200);
  expect(known.headers.get('content-type')).toMatch(/^text\/event-stream/);
  await known.body!.cancel();
});
