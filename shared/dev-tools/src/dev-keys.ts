import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { Role } from '@qsmo/service-kit/auth/identity';
import type { QsmoDomain } from '@qsmo/service-kit/subgraphs';
import { DEV_KEYS_DIR } from '@qsmo/service-kit/dev-keys-dir';

/**
 * The local stand-in for an identity provider: one ES256 key pair and the
 * gateway→subgraph signing secret, generated once under .data/dev-keys/ so
 * tokens minted with `npm run token` stay valid across restarts. Never used
 * outside `npm start`; production points AUTH_JWKS_URL at the real provider.
 */
export { DEV_KEYS_DIR };
export const DEV_ISSUER = 'qsmo-dev';
export const DEV_AUDIENCE = 'qsmo-graph';

/** Paths and values of the local development keys. */
export interface DevKeys {
  /** The public JWKS the gateway reads (AUTH_JWKS_FILE). */
  jwksFile: string;
  privateJwk: JWK;
  /** GATEWAY_SIGNING_SECRET for the gateway and the subgraphs of the local stack. */
  signingSecret: string;
}

/** Reads the development keys from `dir`, generating them the first time. */
export async function ensureDevKeys(dir: string = DEV_KEYS_DIR): Promise<DevKeys> {
  const jwksFile = path.join(dir, 'jwks.json');
  const privateFile = path.join(dir, 'private-key.jwk.json');
  const secretFile = path.join(dir, 'signing-secret');
  if (!fs.existsSync(jwksFile) || !fs.existsSync(privateFile) || !fs.existsSync(secretFile)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const meta = { kid, alg: 'ES256', use: 'sig' };
    fs.writeFileSync(privateFile, JSON.stringify({ ...(await exportJWK(privateKey)), ...meta }, null, 2), { mode: 0o600 });
    fs.writeFileSync(secretFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    fs.writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...publicJwk, ...meta }] }, null, 2));
  }
  return {
    jwksFile,
    privateJwk: JSON.parse(fs.readFileSync(privateFile, 'utf8')) as JWK,
    signingSecret: fs.readFileSync(secretFile, 'utf8').trim(),
  };
}

/** What a development token says. */
export interface DevTokenClaims {
  subject: string;
  roles: readonly Role[];
  qsmos: readonly QsmoDomain[];
  /** jose's time span, e.g. "1h", "30m". */
  ttl: string;
}

/** Mints a token the local gateway accepts, as the identity provider would. */
export async function mintDevToken(keys: DevKeys, claims: DevTokenClaims): Promise<string> {
  const key = await importJWK(keys.privateJwk, 'ES256');
  return new SignJWT({ roles: [...claims.roles], qsmos: [...claims.qsmos] })
    .setProtectedHeader({ alg: 'ES256', kid: keys.privateJwk.kid, typ: 'JWT' })
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setSubject(claims.subject)
    .setIssuedAt()
    .setExpirationTime(claims.ttl)
    .sign(key);
}
