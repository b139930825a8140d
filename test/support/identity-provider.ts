import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import type { SecurityConfig } from '../../gateway/src/security-config';

export const TEST_ISSUER = 'https://login.example.gov';
export const TEST_AUDIENCE = 'qsmo-graph';

/** An identity provider of the tests' own: an ES256 key pair, its public JWK, and tokens signed with it. */
export interface TestIdentityProvider {
  /** The public key, as a JWKS would serve it. */
  jwk: JWK;
  /** A token for `sub` with these roles and QSMOs, valid for five minutes. */
  token(sub: string, roles: string[], qsmos?: string[]): Promise<string>;
  /**
   * The gateway's front door trusting this provider, as production configures
   * it, with the anonymous reader allowed, no rate limits (tests send bursts)
   * and no CORS origins; the subgraphs are signed for with `signingSecret`.
   */
  security(signingSecret: string): Omit<SecurityConfig, 'metricsAccess'>;
}

export async function createTestIdentityProvider(): Promise<TestIdentityProvider> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' };
  return {
    jwk,
    token: (sub, roles, qsmos = []) =>
      new SignJWT({ roles, qsmos })
        .setProtectedHeader({ alg: 'ES256', kid: jwk.kid })
        .setIssuer(TEST_ISSUER)
        .setAudience(TEST_AUDIENCE)
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey),
    security: (signingSecret) => ({
      authentication: {
        jwks: { keys: { keys: [jwk] } },
        issuer: TEST_ISSUER,
        audience: TEST_AUDIENCE,
        clockToleranceSeconds: 5,
        rolesClaim: 'roles',
        qsmosClaim: 'qsmos',
        anonymous: true,
      },
      signingSecret,
      rateLimit: { perMinute: { anonymous: 0, analyst: 0, editor: 0 }, trustProxyHops: 0, maxCallers: 1_000 },
      cors: { origins: [] },
    }),
  };
}
