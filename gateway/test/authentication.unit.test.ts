import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, graphql } from 'graphql';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { ConfigError, ErrorCode } from '@qsmo/service-kit/errors';
import { EnvReader } from '@qsmo/service-kit/config';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { applyFieldRules, fieldRulesProblems, RESTRICTED_FIELDS } from '@qsmo/subgraph-kit/auth/field-guard';
import { SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { subgraphTypeDefs } from '@qsmo/subgraph-kit/subgraph/schema';
import { readGatewaySignatureConfig } from '@qsmo/service-kit/auth/gateway-signature';
import { ANONYMOUS, type Identity } from '@qsmo/service-kit/auth/identity';
import { InternalTokenError, secretBytes, signInternalToken, verifyInternalToken } from '@qsmo/service-kit/auth/internal-token';
import { createTokenVerifier, TokenRejected, type AuthenticationConfig } from '../src/plugins/authentication';
import { clientAddress, RateLimiter } from '../src/plugins/rate-limit';
import { readSecurityConfig } from '../src/security-config';
import { readingProblems } from '../../test/support/config';

/** Token verification, the internal signature, field rules, rate buckets and the security settings, without a graph. */
const ISSUER = 'https://login.example.gov';
const AUDIENCE = 'qsmo-graph';

interface KeyPair {
  privateKey: CryptoKey;
  jwk: JWK;
}
async function keyPair(kid: string, alg: 'ES256' | 'RS256' = 'ES256'): Promise<KeyPair> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function token(
  key: KeyPair,
  claims: Record<string, unknown> = {},
  options: { exp?: string | number; aud?: string; iss?: string; sub?: string; alg?: string } = {},
) {
  const jwt = new SignJWT({ roles: ['editor'], qsmos: ['GRANTS_MANAGEMENT'], ...claims })
    .setProtectedHeader({ alg: options.alg ?? key.jwk.alg!, kid: key.jwk.kid })
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setSubject(options.sub ?? 'alice')
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '5m');
  return jwt.sign(key.privateKey);
}

function config(jwks: AuthenticationConfig['jwks']): AuthenticationConfig {
  return { jwks, issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 5, rolesClaim: 'roles', qsmosClaim: 'qsmos', anonymous: true };
}

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    if (error instanceof TokenRejected) return error.reason;
    throw error;
  }
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('client tokens (jose, RS256/ES256)', () => {
  let es: KeyPair;
  let rs: KeyPair;
  let verify: (t: string) => Promise<Identity>;
  beforeAll(async () => {
    es = await keyPair('es-1');
    rs = await keyPair('rs-1', 'RS256');
    verify = createTokenVerifier(config({ keys: { keys: [es.jwk, rs.jwk] } }));
  });

  test('a valid token gives its subject, known roles and QSMOs only', async () => {
    expect(await verify(await token(es, { roles: ['editor', 'admin'], qsmos: ['GRANTS_MANAGEMENT', 'NASA'] }))).toEqual({
      subject: 'alice',
      issuer: ISSUER,
      roles: ['editor'],
      qsmos: ['GRANTS_MANAGEMENT'],
    });
    expect((await verify(await token(rs, { roles: 'analyst' }))).roles).toEqual(['analyst']);
  });

  test('each failure is named', async () => {
    const other = await keyPair('es-1');
    const stranger = await keyPair('es-9');
    const now = Math.floor(Date.now() / 1000);
    expect(await reason(verify(await token(es, {}, { exp: now - 60 })))).toBe('expired');
    expect(await reason(verify(await token(es, {}, { aud: 'another-app' })))).toBe('audience');
    expect(await reason(verify(await token(es, {}, { iss: 'https://evil.example' })))).toBe('issuer');
    expect(await reason(verify(await token(other)))).toBe('signature');
    expect(await reason(verify(await token(stranger)))).toBe('unknown-key');
    expect(
      await reason(verify(`${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'mallory', roles: ['editor'], iss: ISSUER, aud: AUDIENCE, exp: now + 600 })}.`)),
    ).toBe('algorithm');
    const hmac = await new SignJWT({ sub: 'mallory' })
      .setProtectedHeader({ alg: 'HS256', kid: 'es-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JSON.stringify(es.jwk)));
    expect(await reason(verify(hmac))).toBe('algorithm');
    expect(await reason(verify('not.a.jwt'))).toBe('malformed');
    expect(
      await reason(
        verify(
          await new SignJWT({})
            .setProtectedHeader({ alg: 'ES256', kid: 'es-1' })
            .setIssuer(ISSUER)
            .setAudience(AUDIENCE)
            .setExpirationTime('5m')
            .sign(es.privateKey),
        ),
      ),
    ).toBe('claims');
  });

  test('a token within the clock tolerance still passes', async () => {
    expect(await reason(verify(await token(es, {}, { exp: Math.floor(Date.now() / 1000) - 2 })))).toBe('accepted');
  });

  test('a gateway without keys refuses every token but not the anonymous reader', async () => {
    expect(await reason(createTokenVerifier(config(undefined))(await token(es)))).toBe('not-accepted');
  });

  test('a JWKS URL is cached and a rotated key is fetched when its kid appears', async () => {
    const first = await keyPair('k1');
    const next = await keyPair('k2');
    let served = [first.jwk];
    let fetches = 0;
    const server = http.createServer((_req, res) => {
      fetches += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: served }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const remote = createTokenVerifier({ ...config({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json` }), jwksCooldownMs: 0 });
      await remote(await token(first));
      await remote(await token(first));
      expect(fetches).toBe(1);
      served = [first.jwk, next.jwk];
      expect((await remote(await token(next))).subject).toBe('alice');
      expect(fetches).toBe(2);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test('an unreachable JWKS is a 503, not a client error', async () => {
    const verifier = createTokenVerifier(config({ url: 'http://127.0.0.1:9/jwks.json' }));
    const error = await verifier(await token(es)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRejected);
    expect((error as TokenRejected).status).toBe(503);
  });
});

describe("the gateway's signature for subgraphs", () => {
  const secret = secretBytes('s'.repeat(40));
  const alice: Identity = { subject: 'alice', issuer: ISSUER, roles: ['editor'], qsmos: ['GRANTS_MANAGEMENT'] };

  test('round-trips the identity for the subgraph it is addressed to only', async () => {
    const signed = await signInternalToken(alice, secret, 'grants-management');
    expect(await verifyInternalToken(signed, secret, 'grants-management')).toEqual(alice);
    expect(await verifyInternalToken(await signInternalToken(ANONYMOUS, secret, 'cybersecurity'), secret, 'cybersecurity')).toEqual(ANONYMOUS);
    await expect(verifyInternalToken(signed, secret, 'cybersecurity')).rejects.toThrow(/not addressed to this subgraph/);
    await expect(verifyInternalToken(signed, secretBytes('t'.repeat(40)), 'grants-management')).rejects.toThrow(InternalTokenError);
    const expired = await new SignJWT({ roles: ['editor'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('qsmo-gateway')
      .setAudience('grants-management')
      .setSubject('alice')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 300)
      .sign(secret);
    await expect(verifyInternalToken(expired, secret, 'grants-management')).rejects.toThrow(/expired/);
  });

  test('production requires a secret, and a secret must be long', () => {
    const problems = (env: NodeJS.ProcessEnv) => {
      const reader = new EnvReader(env);
      readGatewaySignatureConfig(reader);
      try {
        reader.done();
        return [];
      } catch (e) {
        return (e as ConfigError).problems;
      }
    };
    expect(problems({ NODE_ENV: 'production' })).toEqual([expect.stringContaining('GATEWAY_SIGNING_SECRET is unset')]);
    expect(problems({ GATEWAY_SIGNING_SECRET: 'short' })).toEqual([expect.stringContaining('at least 32')]);
    expect(problems({})).toEqual([]);
    const reader = new EnvReader({ NODE_ENV: 'production', GATEWAY_SIGNING_SECRET: 'x'.repeat(32) });
    expect(readGatewaySignatureConfig(reader).required).toBe(true);
  });
});

describe('restricted fields', () => {
  const schema = () => buildSchema('type Query { notes: String, name: String, draft: String }');
  const root = { notes: 'contact: a@b.gov', name: 'GrantSolutions', draft: 'wip' };
  const run = (identity: Identity, source = '{ name notes draft }') =>
    graphql({
      schema: applyFieldRules(schema(), { 'Query.notes': 'editor', 'Query.draft': 'analyst' }, 'GRANTS_MANAGEMENT'),
      source,
      rootValue: root,
      contextValue: { identity },
    });

  test('each listed field is checked in one place; the rest stays public', async () => {
    const anonymous = await run(ANONYMOUS);
    expect(anonymous.data).toEqual({ name: 'GrantSolutions', notes: null, draft: null });
    expect(anonymous.errors?.map((e) => [e.extensions.code, e.extensions.requiredRole])).toEqual([
      [ErrorCode.FORBIDDEN, 'editor'],
      [ErrorCode.FORBIDDEN, 'analyst'],
    ]);
    expect(anonymous.errors?.[0]?.message).toMatch(/needs the role "editor"/);
    const otherQsmo = await run({ subject: 'bob', issuer: null, roles: ['editor'], qsmos: ['CYBERSECURITY'] }, '{ notes }');
    expect(otherQsmo.errors?.[0]?.message).toMatch(/editor" of GRANTS_MANAGEMENT; "bob" edits CYBERSECURITY/);
    expect((await run({ subject: 'carol', issuer: null, roles: ['editor', 'analyst'], qsmos: ['GRANTS_MANAGEMENT'] })).data).toEqual(root);
  });

  test("a rule naming a field the schema lacks stops the build; another subgraph's types are left to it", () => {
    expect(() => applyFieldRules(schema(), { 'Query.note': 'editor' }, 'GRANTS_MANAGEMENT')).toThrow(/Query.note is not in the schema/);
    expect(() => applyFieldRules(schema(), { 'CybersecurityOffering.notes': 'editor' }, 'GRANTS_MANAGEMENT')).not.toThrow();
    expect(fieldRulesProblems({ 'Query.notes': 'editor', 'Nowhere.notes': 'analyst' }, [schema()])).toEqual([
      expect.stringContaining('Nowhere.notes is in no subgraph'),
    ]);
  });

  test("every rule of the graph's table names a field of some subgraph", () => {
    const schemas = SUBGRAPHS.map((s) => buildSubgraphSchema([{ typeDefs: subgraphTypeDefs(s) }]));
    expect(fieldRulesProblems(RESTRICTED_FIELDS, schemas)).toEqual([]);
  });
});

describe('rate buckets', () => {
  test('a burst up to the limit passes, the next waits, refill is continuous, and memory is bounded', () => {
    let now = 0;
    const limiter = new RateLimiter(3, () => now);
    for (let i = 0; i < 6; i += 1) expect(limiter.take('a', 6).retryAfterSeconds).toBe(0);
    expect(limiter.take('a', 6).retryAfterSeconds).toBe(10);
    now += 10_000;
    expect(limiter.take('a', 6).retryAfterSeconds).toBe(0);
    for (const key of ['b', 'c', 'd', 'e']) limiter.take(key, 6);
    expect(limiter.size).toBe(3);
  });

  test('behind trusted proxies the client is the address the outermost one saw', () => {
    const request = { method: 'POST', url: '/graphql', remoteAddress: '10.0.0.2', headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.7, 10.0.0.1' } };
    expect(clientAddress(request, 0)).toBe('10.0.0.2');
    expect(clientAddress(request, 2)).toBe('203.0.113.7');
  });
});

describe('security settings', () => {
  const problems = (env: NodeJS.ProcessEnv) => readingProblems(env, readSecurityConfig);

  test('every bad value is reported with what to change', () => {
    expect(
      problems({
        AUTH_JWKS_URL: 'http://login.example.gov/jwks',
        CORS_ORIGINS: 'https://ok.example.gov, *, https://x.gov/path',
        RATE_LIMIT_ANALYST: '-1',
        METRICS_TOKEN: 'short',
      }),
    ).toEqual([
      expect.stringContaining('AUTH_JWKS_URL="http://login.example.gov/jwks" is not an https URL'),
      'RATE_LIMIT_ANALYST="-1" must be a whole number of 0 or more.',
      expect.stringContaining('CORS_ORIGINS: "*" is not an origin'),
      expect.stringContaining('CORS_ORIGINS: "https://x.gov/path" is not an origin'),
      expect.stringContaining('METRICS_TOKEN is 5 characters long'),
    ]);
    expect(problems({ AUTH_JWKS_FILE: '/nonexistent/jwks.json' })).toEqual([expect.stringContaining('cannot be read as JSON')]);
    expect(problems({ ANONYMOUS_ACCESS: 'false' })).toEqual([expect.stringContaining('nobody could call the graph')]);
    expect(problems({ AUTH_JWKS_URL: 'https://login.example.gov/jwks' })).toEqual([
      expect.stringContaining('AUTH_ISSUER is unset'),
      expect.stringContaining('AUTH_AUDIENCE is unset'),
    ]);
    expect(problems({ NODE_ENV: 'production' })).toEqual([expect.stringContaining('GATEWAY_SIGNING_SECRET is unset')]);
    expect(problems({})).toEqual([]);
  });

  test('metrics are public in development and closed in production unless asked', () => {
    expect(readSecurityConfig(new EnvReader({})).metricsAccess).toEqual({ token: undefined, open: true });
    expect(readSecurityConfig(new EnvReader({ NODE_ENV: 'production', GATEWAY_SIGNING_SECRET: 'x'.repeat(32) })).metricsAccess).toEqual({
      token: undefined,
      open: false,
    });
  });
});
