import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT } from 'jose';
import { gatewaySignatureGuard, readGatewaySignatureConfig, type GatewaySignatureConfig } from '@qsmo/service-kit/auth/gateway-signature';
import type { Identity } from '@qsmo/service-kit/auth/identity';
import { IDENTITY_HEADER, INTERNAL_ISSUER, secretBytes, signInternalToken } from '@qsmo/service-kit/auth/internal-token';
import { EnvReader } from '@qsmo/service-kit/config';
import { ErrorCode } from '@qsmo/service-kit/errors';
import { readSubgraphConfig } from '@qsmo/subgraph-kit/subgraph/run';
import { readDirectoryConfig } from '@qsmo/directory/run';
import { readingProblems } from '../../../test/support/config';

/**
 * A subgraph's guard while the signing secret is rotated: it accepts what
 * the gateway signed with GATEWAY_SIGNING_SECRET or with one of
 * GATEWAY_SIGNING_SECRETS_ACCEPTED, and nothing else; no refusal and no
 * start-up error repeats a secret.
 */
const CURRENT = 'current-secret-0123456789abcdef0123456789';
const PREVIOUS = 'previous-secret-0123456789abcdef012345678';
const OTHER = 'another-secret-0123456789abcdef0123456789';
const AUDIENCE = 'grants-management';
const EDITOR: Identity = { subject: 'alice', issuer: 'https://login.example.gov', roles: ['editor'], qsmos: ['GRANTS_MANAGEMENT'] };

interface Outcome {
  refused: boolean;
  identity?: Identity;
  status?: number;
  headers: Record<string, string>;
  body?: { errors: { message: string; extensions: { code: string } }[] };
}

/** Runs the guard on a /graphql request carrying `token`, as createHttpService's beforeRequest does. */
async function guard(config: GatewaySignatureConfig, token: string | undefined): Promise<Outcome> {
  const identities = new WeakMap<IncomingMessage, Identity>();
  const check = gatewaySignatureGuard(config, AUDIENCE, identities);
  const req = { headers: token === undefined ? {} : { [IDENTITY_HEADER]: token } } as unknown as IncomingMessage;
  const headers: Record<string, string> = {};
  let body: string | undefined;
  const res = {
    statusCode: 200,
    setHeader: (name: string, value: string) => {
      headers[name] = value;
    },
    end: (chunk: string) => {
      body = chunk;
    },
  } as unknown as ServerResponse;
  const refused = await check(req, res, new URL('http://subgraph.test/graphql'));
  return {
    refused,
    identity: identities.get(req),
    status: refused ? res.statusCode : undefined,
    headers,
    body: body === undefined ? undefined : (JSON.parse(body) as Outcome['body']),
  };
}

const sign = (secret: string, audience = AUDIENCE) => signInternalToken(EDITOR, secretBytes(secret), audience);
const rotating: GatewaySignatureConfig = { secret: CURRENT, accepted: [PREVIOUS], required: true };

function expectNoSecretIn(text: string): void {
  for (const secret of [CURRENT, PREVIOUS, OTHER]) expect(text).not.toContain(secret);
}

describe("the gateway's signature while its secret is rotated", () => {
  test('a token signed with the signing secret or with an accepted one is verified, and carries its identity', async () => {
    for (const secret of [CURRENT, PREVIOUS]) {
      const outcome = await guard(rotating, await sign(secret));
      expect(outcome).toEqual({ refused: false, identity: EDITOR, headers: {}, status: undefined, body: undefined });
    }
  });

  test('a token signed with any other secret is refused with 401 UNAUTHENTICATED, naming no secret', async () => {
    const outcome = await guard(rotating, await sign(OTHER));
    expect(outcome.refused).toBe(true);
    expect(outcome.status).toBe(401);
    expect(outcome.headers['www-authenticate']).toBe(`Bearer realm="${IDENTITY_HEADER}"`);
    expect(outcome.body?.errors).toEqual([
      { message: expect.stringContaining('is not signed by the gateway'), extensions: { code: ErrorCode.UNAUTHENTICATED } },
    ]);
    expectNoSecretIn(JSON.stringify(outcome));
  });

  test('without the accepted secret, the previous one is refused: the setting is what lets it through', async () => {
    const outcome = await guard({ secret: CURRENT, required: true }, await sign(PREVIOUS));
    expect(outcome.status).toBe(401);
    expect(outcome.body?.errors[0]?.message).toContain('is not signed by the gateway');
  });

  test('a token signed with an accepted secret is still checked for its audience and age', async () => {
    const elsewhere = await guard(rotating, await sign(PREVIOUS, 'cybersecurity'));
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.body?.errors[0]?.message).toContain('not addressed to this subgraph');
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ roles: ['editor'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(INTERNAL_ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('alice')
      .setIssuedAt(now - 600)
      .setExpirationTime(now - 300)
      .sign(secretBytes(PREVIOUS));
    const late = await guard(rotating, expired);
    expect(late.status).toBe(401);
    expect(late.body?.errors[0]?.message).toContain('has expired');
  });

  test('a signature that only decodes loosely to a valid one, and a token that is no JWS at all, are refused', async () => {
    const genuine = await sign(PREVIOUS);
    // Buffer's base64url decoding skips characters outside the alphabet: picking the key that way must not let jose accept the token.
    for (const token of [`${genuine}!!`, `${genuine.slice(0, genuine.lastIndexOf('.'))}.`, 'not-a-token', `${genuine}.extra`]) {
      const outcome = await guard(rotating, token);
      expect({ token, status: outcome.status, code: outcome.body?.errors[0]?.extensions.code }).toEqual({
        token,
        status: 401,
        code: ErrorCode.UNAUTHENTICATED,
      });
      expectNoSecretIn(JSON.stringify(outcome));
    }
  });

  test('the signing secret listed again among the accepted ones changes nothing', async () => {
    const outcome = await guard({ secret: CURRENT, accepted: [CURRENT, PREVIOUS], required: true }, await sign(CURRENT));
    expect(outcome.identity).toEqual(EDITOR);
  });
});

describe('GATEWAY_SIGNING_SECRETS_ACCEPTED at start-up', () => {
  const problems = (env: NodeJS.ProcessEnv) => readingProblems(env, readGatewaySignatureConfig);

  test('is split on commas, spaces around each secret ignored', () => {
    const config = readGatewaySignatureConfig(new EnvReader({ GATEWAY_SIGNING_SECRET: CURRENT, GATEWAY_SIGNING_SECRETS_ACCEPTED: ` ${PREVIOUS} , ${OTHER}` }));
    expect(config).toEqual({ secret: CURRENT, accepted: [PREVIOUS, OTHER], required: false });
    expect(readGatewaySignatureConfig(new EnvReader({ GATEWAY_SIGNING_SECRET: CURRENT })).accepted).toEqual([]);
  });

  test('a short or empty entry stops start-up naming its position, never its text', () => {
    const short = 'short-but-secret-text';
    const found = problems({ GATEWAY_SIGNING_SECRET: CURRENT, GATEWAY_SIGNING_SECRETS_ACCEPTED: `${PREVIOUS},${short},` });
    expect(found).toEqual([
      `GATEWAY_SIGNING_SECRETS_ACCEPTED entry 2 of 3 is ${short.length} characters long: each accepted secret must be at least 32 characters, like GATEWAY_SIGNING_SECRET (list only secrets a gateway signs or signed with).`,
      'GATEWAY_SIGNING_SECRETS_ACCEPTED entry 3 of 3 is empty: separate the accepted secrets with single commas, with none before the first or after the last.',
    ]);
    for (const problem of found) {
      expect(problem).not.toContain(short);
      expectNoSecretIn(problem);
    }
  });

  test('accepted secrets without a signing secret stop start-up', () => {
    expect(problems({ GATEWAY_SIGNING_SECRETS_ACCEPTED: PREVIOUS })).toEqual([
      'GATEWAY_SIGNING_SECRETS_ACCEPTED is set but GATEWAY_SIGNING_SECRET is unset: set GATEWAY_SIGNING_SECRET to the secret the gateway signs with; the accepted secrets are only checked besides it.',
    ]);
  });

  test('every marketplace subgraph and the directory read it through their declared schemas, and refuse a short one', () => {
    const env = { NODE_ENV: 'production', GATEWAY_SIGNING_SECRET: CURRENT, GATEWAY_SIGNING_SECRETS_ACCEPTED: PREVIOUS, MONGODB_URI: 'mongodb://127.0.0.1:1/' };
    const definition = { defaultPort: 4001, defaultDatabase: 'qsmo_grants_management' };
    expect(readSubgraphConfig(definition, env).gatewaySignature).toEqual({ secret: CURRENT, accepted: [PREVIOUS], required: true });
    expect(readDirectoryConfig(env).gatewaySignature).toEqual({ secret: CURRENT, accepted: [PREVIOUS], required: true });
    const short = { ...env, GATEWAY_SIGNING_SECRETS_ACCEPTED: 'x'.repeat(31) };
    expect(() => readSubgraphConfig(definition, short)).toThrow(/GATEWAY_SIGNING_SECRETS_ACCEPTED entry 1 of 1 is 31 characters long/);
    expect(() => readDirectoryConfig(short)).toThrow(/GATEWAY_SIGNING_SECRETS_ACCEPTED entry 1 of 1 is 31 characters long/);
  });
});
