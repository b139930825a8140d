import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ideRoutes } from '../src/ide';
import { ensureIdeBundle } from '../src/ide-build';
import { findChromium, HEADLESS_FLAGS } from '../../test/support/chromium';
import { startGraph, type RunningGraph } from '../../test/support/graph';

/**
 * The IDE in a real headless Chromium, served by a gateway in front of the
 * real catalog: it loads, shows the schema docs, runs an example and shows
 * its result, and never asks anything of a host other than the gateway.
 * Every request of the browser (page, scripts, Monaco workers, fetches) goes
 * through a recording proxy, loopback included, so nothing can slip by.
 * The browser is the machine's Chromium if it has one (CHROMIUM_PATH, else
 * /usr/bin/chromium), else the one packaged in @sparticuz/chromium.
 */
const FLAGS = [
  ...HEADLESS_FLAGS,
  // Fewer of the browser's own calls home (see CHROMIUM_SERVICE_HOSTS).
  '--disable-default-apps',
  '--no-pings',
  '--disable-domain-reliability',
  '--disable-client-side-phishing-detection',
  '--safebrowsing-disable-auto-update',
  '--disable-breakpad',
  '--metrics-recording-only',
  '--disable-features=AutofillServerCommunication,OptimizationHints,MediaRouter,Translate',
];

/**
 * Chromium's own service endpoints. Debian's /usr/bin/chromium wrapper sets
 * Google API keys and remote extensions (/etc/chromium.d), so the browser
 * process calls these whatever the flags; the proxy refuses them like any
 * outside host. They come from the browser, not the page: the page's and its
 * workers' requests are checked separately, with no exception.
 */
const CHROMIUM_SERVICE_HOSTS = new Set([
  'accounts.google.com',
  'clients2.google.com',
  'update.googleapis.com',
  'content-autofill.googleapis.com',
  'optimizationguide-pa.googleapis.com',
]);

interface RecordingProxy {
  url: string;
  /** Every host:port the browser asked for, through the proxy. */
  hosts: string[];
  close(): Promise<void>;
}

/** An HTTP proxy that forwards loopback requests and refuses (and records) everything else. */
async function startRecordingProxy(): Promise<RecordingProxy> {
  const hosts: string[] = [];
  const isLoopback = (host: string) => /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(host);
  const server = http.createServer((req, res) => {
    const target = new URL(req.url ?? '/');
    hosts.push(target.host);
    if (!isLoopback(target.host)) {
      res.writeHead(403).end('outside host refused by the test proxy');
      return;
    }
    const upstream = http.request(target, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  // HTTPS goes through CONNECT: recorded and refused, never tunnelled.
  server.on('connect', (req, socket) => {
    hosts.push(req.url ?? '?');
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hosts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let graph: RunningGraph;
let proxy: RecordingProxy;
let context: BrowserContext;
let page: Page;
let profile: string;
const requests: string[] = [];
const problems: string[] = [];

beforeAll(async () => {
  const browser = await findChromium(FLAGS);
  const bundle = await ensureIdeBundle();
  graph = await startGraph({ routes: ideRoutes(bundle) });
  proxy = await startRecordingProxy();
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: browser.executablePath,
    env: browser.env,
    headless: true,
    args: [...browser.args, `--proxy-server=${proxy.url}`, '--proxy-bypass-list=<-loopback>'],
    viewport: { width: 1600, height: 1400 },
  });
  context.on('request', (r) => {
    requests.push(r.url());
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await proxy?.close();
  await graph?.stop();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

const response = () => page.locator('.graphiql-response');

test('the IDE loads from the gateway, runs the opening example and shows its result', async () => {
  const base = graph.gatewayUrl.replace('localhost', '127.0.0.1').replace(/graphql$/, '');
  await page.goto(base);
  await page.locator('.graphiql-container').waitFor();
  // The library opens as tabs (AgencyPortfolio first, with code 075) and as the Examples panel.
  await page.getByRole('button', { name: "An agency's portfolio across the QSMOs" }).waitFor();
  await page.locator('.graphiql-query-editor .monaco-editor').waitFor();
  await page.locator('.graphiql-execute-button').click();
  await response().getByText('"name": "GrantSolutions"').waitFor({ timeout: 30_000 });
  // Further down, the JSON scrolls out of view; the results table under it shows every row.
  await response().locator('.qsmo-table').getByText('Payment Management System (PMS)', { exact: true }).waitFor();
}, 60_000);

test('an example from the Examples panel runs too', async () => {
  await page.getByRole('button', { name: 'FIBF coverage of a function: activities and the offerings serving them' }).click();
  await page.locator('.graphiql-execute-button').click();
  await response().getByText('GRM.030.010').first().waitFor({ timeout: 30_000 });
}, 60_000);

test('the schema documentation is there', async () => {
  await page.getByRole('button', { name: /documentation explorer/i }).click();
  const docs = page.locator('.graphiql-doc-explorer');
  await docs.getByText('Query', { exact: true }).first().click();
  await docs.getByText('grantsManagement', { exact: true }).first().waitFor();
  await docs
    .getByText(/The Grants Management marketplace/)
    .first()
    .waitFor();
}, 60_000);

test('no request left localhost, and the page raised no errors', () => {
  expect(requests.length).toBeGreaterThan(5);
  const outside = requests.filter((u) => !/^(https?:\/\/(localhost|127\.0\.0\.1)(:\d+)?\/|data:|blob:)/.test(u));
  expect(outside).toEqual([]);
  // Everything the browser process sent went through the proxy; besides the gateway, only Chromium's own services.
  expect(proxy.hosts.filter((h) => /^127\.0\.0\.1:\d+$/.test(h)).length).toBeGreaterThan(5);
  const unexpected = proxy.hosts.filter((h) => !/^(localhost|127\.0\.0\.1)(:\d+)?$/.test(h) && !CHROMIUM_SERVICE_HOSTS.has(h.replace(/:\d+$/, '')));
  expect(unexpected).toEqual([]);
  // The Monaco workers came from the gateway too.
  expect(requests.filter((u) => /\/ide\/(editor|graphql|json)\.worker\.js/.test(u)).length).toBeGreaterThan(0);
  expect(problems).toEqual([]);
});
