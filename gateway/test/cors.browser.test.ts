import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { chromium, type BrowserContext } from 'playwright-core';
import { createMetrics } from '@qsmo/service-kit/metrics';
import { findChromium, HEADLESS_FLAGS } from '../../test/support/chromium';
import { startGraph, type RunningGraph } from '../../test/support/graph';
import { securityPlugins } from '../src/plugins/security';
import { standardPlugins } from '../src/plugins';

/**
 * A frontend in a real headless Chromium: a page served from an allowed
 * origin queries the graph with a token (the browser's CORS preflight for the
 * Authorization header passes, and the page reads the answer); the same page
 * from an origin not in CORS_ORIGINS cannot.
 */
jest.setTimeout(120_000);

const FLAGS = HEADLESS_FLAGS;
const ISSUER = 'https://login.example.gov';
const AUDIENCE = 'qsmo-graph';

let graph: RunningGraph;
let browser: BrowserContext;
let profile: string;
let key: { privateKey: CryptoKey; jwk: JWK };
const pages: http.Server[] = [];
let allowedOrigin: string;
let otherOrigin: string;

/** A static page on its own port: each port is an origin of its own to the browser. */
async function pageServer(): Promise<string> {
  const server = http.createServer((_, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>frontend</title><p>frontend</p>'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  pages.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  allowedOrigin = await pageServer();
  otherOrigin = await pageServer();
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  key = { privateKey, jwk: { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' } };
  const metrics = createMetrics('gateway', { defaultMetrics: false });
  graph = await startGraph({
    gateway: {
      metrics,
      plugins: [
        ...securityPlugins({
          authentication: {
            jwks: { keys: { keys: [key.jwk] } },
            issuer: ISSUER,
            audience: AUDIENCE,
            clockToleranceSeconds: 5,
            rolesClaim: 'roles',
            qsmosClaim: 'qsmos',
            anonymous: false,
          },
          rateLimit: { perMinute: { anonymous: 0, analyst: 0, editor: 0 }, trustProxyHops: 0, maxCallers: 1_000 },
          cors: { origins: [allowedOrigin] },
        }),
        ...standardPlugins({ metrics }),
      ],
    },
  });
  const found = await findChromium(FLAGS);
  // A persistent context, as the IDE test uses: the packaged build runs single-process and cannot open more contexts.
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-cors-browser-'));
  browser = await chromium.launchPersistentContext(profile, { executablePath: found.executablePath, args: found.args, env: found.env, headless: true });
});
afterAll(async () => {
  await browser?.close();
  await graph?.stop();
  for (const server of pages) await new Promise((resolve) => server.close(resolve));
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

/** What a frontend page at `origin` gets when it queries the graph with `token`: the answer, or the browser's error. */
async function queryFrom(origin: string, token: string): Promise<{ ok: true; status: number; body: any } | { ok: false; error: string }> {
  const page = await browser.newPage();
  try {
    await page.goto(`${origin}/`);
    return await page.evaluate(
      async ({ url, bearer }) => {
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
            body: JSON.stringify({ query: '{ agency(code: "075") { name } }' }),
          });
          return { ok: true as const, status: res.status, body: await res.json() };
        } catch (error) {
          return { ok: false as const, error: String(error) };
        }
      },
      { url: graph.gatewayUrl, bearer: token },
    );
  } finally {
    await page.close();
  }
}

test('a page on an allowed origin queries the graph with a token; a page on another origin is refused', async () => {
  const token = await new SignJWT({ roles: ['analyst'], qsmos: [] })
    .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('frontend-user')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key.privateKey);
  const allowed = await queryFrom(allowedOrigin, token);
  expect(allowed).toEqual({ ok: true, status: 200, body: { data: { agency: { name: 'Department of Health and Human Services' } } } });
  const refused = await queryFrom(otherOrigin, token);
  // The browser refuses to hand the page an answer without the gateway's CORS consent.
  expect(refused).toEqual({ ok: false, error: expect.stringMatching(/Failed to fetch/) });
});
