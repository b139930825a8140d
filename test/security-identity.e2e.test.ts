import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { createLogger } from '@qsmo/service-kit/logger';
import { createMetrics } from '@qsmo/service-kit/metrics';
import { ErrorCode } from '@qsmo/service-kit/errors';
import { IDENTITY_HEADER, secretBytes, signInternalToken } from '@qsmo/service-kit/auth/internal-token';
import { composeSupergraph, localSubgraphSources } from '../gateway/src/compose';
import { standardPlugins } from '../gateway/src/plugins';
import { securityPlugins } from '../gateway/src/plugins/security';
import type { AuthenticationConfig } from '../gateway/src/plugins/authentication';
import { createGatewayServer, type GatewayServer } from '../gateway/src/server';
import { SUBGRAPHS } from '../gateway/src/subgraphs';
import { startGraph, type RunningGraph } from './support/graph';
import { DIRECTORY } from '@qsmo/service-kit/subgraphs';

process.env.APOLLO_TELEMETRY_DISABLED = '1';

/**
 * Identity, authorization and the front door, attacked over loopback: the
 * real graph (four subgraphs on their seeded databases, the gateway) set up
 * as in production: tokens verified against an identity provider's keys
 * (generated here), subgraphs that answer only what the gateway signed, a
 * restricted field, a per-role rate limit, a CORS allowlist and /metrics
 * behind a token. Every probe must get its clear error within a second.
 */
const ISSUER = 'https://login.example.gov';
const AUDIENCE = 'qsmo-graph';
const FRONTEND = 'https://grants.example.gov';
const BOUND_MS = 1_000;
const SECRET = randomBytes(32).toString('hex');
const METRICS_TOKEN = randomBytes(24).toString('hex');

interface KeyPair {
  privateKey: CryptoKey;
  jwk: JWK;
}
async function keyPair(kid: string): Promise<KeyPair> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

let idp: KeyPair;
let graph: RunningGraph;
let closedGateway: { server: GatewayServer; url: string };

async function token(
  claims: { sub?: string; roles?: string[]; qsmos?: string[] } = {},
  options: { key?: KeyPair; exp?: number | string; aud?: string; iss?: string } = {},
): Promise<string> {
  const key = options.key ?? idp;
  return new SignJWT({ roles: claims.roles ?? [], qsmos: claims.qsmos ?? [] })
    .setProtectedHeader({ alg: 'ES256', kid: key.jwk.kid })
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setSubject(claims.sub ?? 'alice')
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '5m')
    .sign(key.privateKey);
}

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] } | undefined;
  ms: number;
}

async function send(url: string, init: RequestInit): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(url, init);
  const text = await res.text();
  const ms = performance.now() - started;
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, ms };
}

function post(url: string, query: string, headers: Record<string, string> = {}, variables?: Record<string, unknown>): Promise<Answer> {
  return send(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const firstError = (a: Answer) => a.body?.errors?.[0];

function authentication(anonymous: boolean): AuthenticationConfig {
  return {
    jwks: { keys: { keys: [idp.jwk] } },
    issuer: ISSUER,
    audience: AUDIENCE,
    clockToleranceSeconds: 5,
    rolesClaim: 'roles',
    qsmosClaim: 'qsmos',
    anonymous,
  };
}

beforeAll(async () => {
  idp = await keyPair('idp-1');
  const gatewayMetrics = createMetrics('gateway', { defaultMetrics: false });
  const front = {
    signingSecret: SECRET,
    rateLimit: { perMinute: { anonymous: 0, analyst: 5, editor: 0 }, trustProxyHops: 0, maxCallers: 1_000 },
    cors: { origins: [FRONTEND] },
  };
  graph = await startGraph({
    gateway: {
      plugins: [...securityPlugins({ ...front, authentication: authentication(true) }), ...standardPlugins({ metrics: gatewayMetrics })],
      metrics: gatewayMetrics,
      metricsAccess: { token: METRICS_TOKEN, open: false },
    },
    subgraph: {
      gatewaySignature: { secret: SECRET, required: true },
      // A test-only rule: the catalog has no private field, so this proves the mechanism on a real one.
      restrictedFields: { 'GrantsManagementOffering.notes': 'editor' },
      metricsAccess: { token: METRICS_TOKEN, open: false },
    },
  });
  // A second gateway in front of the same subgraphs, with anonymous access off and metrics closed.
  const { supergraphSdl } = composeSupergraph(
    localSubgraphSources([
      ...SUBGRAPHS.map((s) => ({ name: s.name, area: s.area, url: graph.subgraphs[s.name]!.url })),
      { name: DIRECTORY.name, url: graph.directory.url },
    ]),
  );
  const metrics = createMetrics('gateway', { defaultMetrics: false });
  const server = createGatewayServer({
    supergraph: supergraphSdl,
    logger: createLogger('gateway', 'silent'),
    metrics,
    plugins: [...securityPlugins({ ...front, authentication: authentication(false) }), ...standardPlugins({ metrics })],
    metricsAccess: { open: false },
  });
  closedGateway = { server, url: await server.http.listen(0, '127.0.0.1') };
}, 120_000);

afterAll(async () => {
  await closedGateway?.server.http.stop();
  await graph?.stop();
});

const AGENCY = '{ agency(code: "075") { name grantsManagement { offeringCount } } }';

describe('tokens at the gateway', () => {
  test('no token: the anonymous reader gets public data; with anonymous access off, 401 saying a token is needed', async () => {
    const open = await post(graph.gatewayUrl, AGENCY);
    expect(open.status).toBe(200);
    expect(open.body?.data.agency.name).toBe('Department of Health and Human Services');
    const closed = await post(closedGateway.url, AGENCY);
    expect(closed.status).toBe(401);
    expect(closed.headers.get('www-authenticate')).toBe('Bearer realm="qsmo"');
    expect(firstError(closed)).toMatchObject({
      message: expect.stringContaining('This graph needs a token'),
      extensions: { code: ErrorCode.UNAUTHENTICATED, reason: 'missing' },
    });
    expect(closed.ms).toBeLessThan(BOUND_MS);
    const signedIn = await post(closedGateway.url, AGENCY, bearer(await token({ sub: 'reader' })));
    expect(signedIn.status).toBe(200);
    expect(signedIn.body?.data.agency.grantsManagement.offeringCount).toBeGreaterThan(0);
  });

  const now = () => Math.floor(Date.now() / 1000);
  const failures: [string, () => Promise<Record<string, string>>, string, RegExp][] = [
    ['expired', async () => bearer(await token({}, { exp: now() - 120 })), 'expired', /expired at .*get a new token/],
    ['wrong audience', async () => bearer(await token({}, { aud: 'another-app' })), 'audience', /"aud" includes "qsmo-graph"/],
    ['wrong issuer', async () => bearer(await token({}, { iss: 'https://evil.example' })), 'issuer', /issued by "https:\/\/login.example.gov"/],
    ['wrong key (same kid)', async () => bearer(await token({}, { key: { ...(await keyPair('idp-1')) } })), 'signature', /signature does not verify/],
    ['unknown key', async () => bearer(await token({}, { key: await keyPair('other-idp') })), 'unknown-key', /key this gateway does not know/],
    [
      'alg: none',
      async () =>
        bearer(
          `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'mallory', roles: ['editor'], qsmos: ['GRANTS_MANAGEMENT'], iss: ISSUER, aud: AUDIENCE, exp: now() + 600 })}.`,
        ),
      'algorithm',
      /only RS256 or ES256/,
    ],
    ['malformed token', async () => bearer('not-a-jwt'), 'malformed', /not a well-formed signed JWT/],
    ['not a Bearer header', async () => ({ authorization: 'Basic YWxpY2U6c2VjcmV0' }), 'malformed', /not "Bearer <token>"/],
  ];
  test.each(failures)('%s: 401 with WWW-Authenticate and UNAUTHENTICATED naming it', async (_, headers, reason, message) => {
    const answer = await post(graph.gatewayUrl, AGENCY, await headers());
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer realm="qsmo"(, error="invalid_token", error_description="[^"]+")?$/);
    expect(firstError(answer)).toMatchObject({ message: expect.stringMatching(message), extensions: { code: ErrorCode.UNAUTHENTICATED, reason } });
    expect(answer.body?.data).toBeUndefined();
    expect(answer.ms).toBeLessThan(BOUND_MS);
  });
});

describe('per-QSMO authorization in the subgraphs', () => {
  const NOTES = '{ grantsManagement { offering(id: "grm-grantsolutions") { name notes } } }';

  test('a restricted field is FORBIDDEN naming the role, for the anonymous reader and for an editor of another QSMO; an editor of its QSMO reads it', async () => {
    const anonymous = await post(graph.gatewayUrl, NOTES);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body?.data.grantsManagement.offering).toMatchObject({ name: 'GrantSolutions', notes: null });
    expect(firstError(anonymous)).toMatchObject({
      message: expect.stringContaining('needs the role "editor"'),
      extensions: { code: ErrorCode.FORBIDDEN, requiredRole: 'editor' },
    });
    expect(anonymous.ms).toBeLessThan(BOUND_MS);

    const otherQsmo = await post(graph.gatewayUrl, NOTES, bearer(await token({ sub: 'fm-editor', roles: ['editor'], qsmos: ['FINANCIAL_MANAGEMENT'] })));
    expect(firstError(otherQsmo)).toMatchObject({
      message: expect.stringContaining('"editor" of GRANTS_MANAGEMENT; "fm-editor" edits FINANCIAL_MANAGEMENT'),
      extensions: { code: ErrorCode.FORBIDDEN, requiredRole: 'editor', domain: 'GRANTS_MANAGEMENT' },
    });

    const editor = await post(graph.gatewayUrl, NOTES, bearer(await token({ sub: 'grm-editor', roles: ['editor'], qsmos: ['GRANTS_MANAGEMENT'] })));
    expect(editor.body?.errors).toBeUndefined();
    expect(editor.body?.data.grantsManagement.offering.name).toBe('GrantSolutions');
    expect(Object.keys(editor.body?.data.grantsManagement.offering ?? {})).toContain('notes');
  });
});

describe('no way around the gateway', () => {
  const grants = () => graph.subgraphs['grants-management']!.url;
  const entities =
    '{ _entities(representations: [{ __typename: "GrantsManagementOffering", id: "grm-grantsolutions" }]) { ... on GrantsManagementOffering { name notes } } }';

  test.each([
    ['_service { sdl }', '{ _service { sdl } }'],
    ['_entities', entities],
    ['a root field', '{ agencies(first: 1) { totalCount } }'],
  ])('unsigned %s straight to a subgraph: 401', async (_, query) => {
    const answer = await post(grants(), query);
    expect(answer.status).toBe(401);
    expect(firstError(answer)).toMatchObject({
      message: expect.stringContaining(`only requests signed by the gateway (${IDENTITY_HEADER} is missing)`),
      extensions: { code: ErrorCode.UNAUTHENTICATED },
    });
    expect(JSON.stringify(answer.body)).not.toContain('type Query');
    expect(answer.ms).toBeLessThan(BOUND_MS);
  });

  test('forged, misaddressed, expired and unsigned identity headers: 401', async () => {
    const editor = { subject: 'mallory', issuer: ISSUER, roles: ['editor'] as const, qsmos: ['GRANTS_MANAGEMENT'] as const };
    const past = Math.floor(Date.now() / 1000) - 600;
    const cases: [string, RegExp][] = [
      [await signInternalToken(editor, secretBytes('f'.repeat(64)), 'grants-management'), /not signed by the gateway/],
      [await signInternalToken(editor, secretBytes(SECRET), 'cybersecurity'), /not addressed to this subgraph/],
      [
        await new SignJWT({ roles: ['editor'], qsmos: ['GRANTS_MANAGEMENT'] })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer('qsmo-gateway')
          .setAudience('grants-management')
          .setSubject('mallory')
          .setIssuedAt(past)
          .setExpirationTime(past + 60)
          .sign(secretBytes(SECRET)),
        /expired/,
      ],
      [
        `${b64({ alg: 'none' })}.${b64({ sub: 'mallory', roles: ['editor'], iss: 'qsmo-gateway', aud: 'grants-management', exp: past + 1_200 })}.`,
        /not signed by the gateway/,
      ],
    ];
    for (const [header, message] of cases) {
      const answer = await post(grants(), entities, { [IDENTITY_HEADER]: header });
      expect(answer.status).toBe(401);
      expect(firstError(answer)?.message).toMatch(message);
      expect(answer.ms).toBeLessThan(BOUND_MS);
    }
    const genuine = await post(grants(), entities, { [IDENTITY_HEADER]: await signInternalToken(editor, secretBytes(SECRET), 'grants-management') });
    expect(genuine.status).toBe(200);
    expect(genuine.body?.data._entities[0].name).toBe('GrantSolutions');
  });

  test("a client's own x-qsmo-identity header does not reach the subgraphs", async () => {
    const forged = await signInternalToken(
      { subject: 'mallory', issuer: null, roles: ['editor'], qsmos: ['GRANTS_MANAGEMENT'] },
      secretBytes('f'.repeat(64)),
      'grants-management',
    );
    const answer = await post(graph.gatewayUrl, '{ grantsManagement { offering(id: "grm-grantsolutions") { notes } } }', { [IDENTITY_HEADER]: forged });
    expect(answer.status).toBe(200);
    expect(firstError(answer)?.extensions?.code).toBe(ErrorCode.FORBIDDEN);
  });
});

describe('rate limits', () => {
  test('an analyst over 5 requests a minute gets 429 with Retry-After; other callers are served meanwhile', async () => {
    const analyst = bearer(await token({ sub: 'burst-analyst', roles: ['analyst'] }));
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await post(graph.gatewayUrl, '{ __typename }', analyst)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const limited = await post(graph.gatewayUrl, AGENCY, analyst);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(firstError(limited)).toMatchObject({
      message: expect.stringContaining('analysts may send 5 per minute'),
      extensions: { code: ErrorCode.RATE_LIMITED },
    });
    expect(limited.ms).toBeLessThan(BOUND_MS);
    expect((await post(graph.gatewayUrl, '{ __typename }', bearer(await token({ sub: 'other-analyst', roles: ['analyst'] })))).status).toBe(200);
    expect((await post(graph.gatewayUrl, '{ __typename }')).status).toBe(200);
  });
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    send(graph.gatewayUrl, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });

  test('a preflight from an allowed origin is 204 with that origin, the methods and the headers a frontend sends', async () => {
    const answer = await preflight(FRONTEND);
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe(FRONTEND);
    expect(answer.headers.get('access-control-allow-methods')).toContain('POST');
    expect(answer.headers.get('access-control-allow-headers')).toEqual(expect.stringContaining('authorization'));
    expect(answer.headers.get('vary')).toContain('Origin');
    expect(answer.ms).toBeLessThan(BOUND_MS);
  });

  test('a preflight or a request from another origin is 403 without CORS headers', async () => {
    for (const answer of [await preflight('https://evil.example'), await post(graph.gatewayUrl, AGENCY, { origin: 'https://evil.example' })]) {
      expect(answer.status).toBe(403);
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
      expect(firstError(answer)?.message).toContain('add it to CORS_ORIGINS');
      expect(answer.ms).toBeLessThan(BOUND_MS);
    }
  });

  test("a browser request from the allowed origin with a token is answered and readable; the gateway's own pages need no listing", async () => {
    const answer = await post(graph.gatewayUrl, AGENCY, { origin: FRONTEND, ...bearer(await token({ sub: 'frontend-user' })) });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe(FRONTEND);
    expect(answer.body?.data.agency.name).toBe('Department of Health and Human Services');
    const own = new URL(graph.gatewayUrl).origin;
    expect((await post(graph.gatewayUrl, AGENCY, { origin: own })).status).toBe(200);
  });
});

describe('/metrics', () => {
  test('without the token 401, with a wrong one 401, with it 200, on the gateway and on a subgraph; closed without a token configured: 403', async () => {
    for (const base of [graph.gatewayUrl, graph.subgraphs['grants-management']!.url].map((u) => u.replace(/\/graphql$/, '/metrics'))) {
      const none = await send(base, {});
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toContain('Bearer');
      expect(firstError(none)?.message).toContain('METRICS_TOKEN');
      expect((await send(base, { headers: bearer('x'.repeat(48)) })).status).toBe(401);
      const started = performance.now();
      const ok = await fetch(base, { headers: bearer(METRICS_TOKEN) });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('http_requests_total');
      expect(performance.now() - started).toBeLessThan(BOUND_MS);
    }
    const closed = await send(closedGateway.url.replace(/\/graphql$/, '/metrics'), { headers: bearer(METRICS_TOKEN) });
    expect(closed.status).toBe(403);
    expect(firstError(closed)?.message).toContain('METRICS_PUBLIC=true');
  });
});
