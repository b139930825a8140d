import { createHmac, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { ANONYMOUS, qsmosFromClaim, rolesFromClaim, type Identity } from './identity';

/**
 * The gateway's word to a subgraph: "this request comes from me, on behalf of
 * this identity". A short-lived HS256 JWT over the identity, addressed to one
 * subgraph (audience = its service name), so a token seen by one subgraph
 * cannot be replayed to another, and a subgraph never has to trust the
 * client's own credentials or parse them.
 */
export const IDENTITY_HEADER = 'x-qsmo-identity';

/** The issuer of internal tokens; a subgraph accepts no other. */
export const INTERNAL_ISSUER = 'qsmo-gateway';

/** Long enough for a slow fetch and some clock skew, short enough that a leaked header is useless soon. */
export const INTERNAL_TOKEN_TTL_SECONDS = 60;

/** The shortest shared secret accepted: HS256 is only as strong as its key (RFC 7518 §3.2 asks for at least 256 bits). */
export const MIN_SECRET_LENGTH = 32;

/**
 * Signed tokens kept per secret, identity and audience, reused while more
 * than half their lifetime remains: jose signs through WebCrypto, an async
 * round trip through libuv's thread pool, and once per subgraph fetch it cost
 * the gateway a third of its throughput on a three-fetch query.
 */
const signed = new WeakMap<Uint8Array, Map<string, { token: string; renewAt: number }>>();
/** Verified tokens per set of accepted secrets and audience, until they expire: the subgraph's side of the same cost. */
const verified = new WeakMap<object, Map<string, { identity: Identity; expiresAt: number }>>();
/** Distinct callers' tokens kept at most per secret; beyond, the oldest are dropped (and signed or verified again). */
const MAX_KEPT_TOKENS = 10_000;

function kept<V>(cache: WeakMap<object, Map<string, V>>, secret: object): Map<string, V> {
  let map = cache.get(secret);
  if (!map) cache.set(secret, (map = new Map()));
  return map;
}

function keep<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > MAX_KEPT_TOKENS) map.delete(map.keys().next().value as string);
}

/** Signs `identity` for the subgraph named `audience` (a token signed less than half its lifetime ago is reused). */
export async function signInternalToken(identity: Identity, secret: Uint8Array, audience: string): Promise<string> {
  const key = JSON.stringify([audience, identity.subject, identity.issuer, identity.roles, identity.qsmos]);
  const tokens = kept(signed, secret);
  const known = tokens.get(key);
  if (known && Date.now() < known.renewAt) return known.token;
  const jwt = new SignJWT({ roles: [...identity.roles], qsmos: [...identity.qsmos], ...(identity.issuer ? { user_iss: identity.issuer } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(INTERNAL_ISSUER)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(`${INTERNAL_TOKEN_TTL_SECONDS}s`);
  if (identity.subject !== null) jwt.setSubject(identity.subject);
  const token = await jwt.sign(secret);
  keep(tokens, key, { token, renewAt: Date.now() + (INTERNAL_TOKEN_TTL_SECONDS * 1000) / 2 });
  return token;
}

/** Why an internal token was refused; the subgraph's 401 says so. */
export class InternalTokenError extends Error {}

/**
 * The secrets a subgraph accepts the gateway's signature under: the one the
 * gateway signs with now, then those still accepted while it is rotated
 * (GATEWAY_SIGNING_SECRETS_ACCEPTED), without repeats. Made once per
 * service: its verified tokens are kept for this set.
 */
export interface VerificationKeys {
  readonly secrets: readonly Uint8Array[];
}

export function verificationKeys(secret: string, accepted: readonly string[] = []): VerificationKeys {
  return { secrets: [...new Set([secret, ...accepted])].map(secretBytes) };
}

/**
 * Which of the accepted secrets made the token's HS256 signature, found with
 * one HMAC per secret and a constant-time comparison each, so that a forged
 * token costs N hashes and one verification, not N verifications through
 * WebCrypto. It only picks the key: jose still checks the token with it, and
 * when none matches, with the first (and refuses it).
 */
function signingKeyOf(token: string, secrets: readonly Uint8Array[]): Uint8Array {
  if (secrets.length === 1) return secrets[0]!;
  const dot = token.lastIndexOf('.');
  if (dot > 0) {
    const signature = Buffer.from(token.slice(dot + 1), 'base64url');
    const input = token.slice(0, dot);
    for (const secret of secrets) {
      const mac = createHmac('sha256', secret).update(input).digest();
      if (mac.length === signature.length && timingSafeEqual(mac, signature)) return secret;
    }
  }
  return secrets[0]!;
}

/**
 * Verifies an internal token addressed to `audience` and returns the identity
 * it carries; `keys` is one secret or the set a subgraph accepts. Any failure
 * (bad signature, wrong subgraph, expired, `alg: none`) is an
 * InternalTokenError with a message an operator can act on, naming no secret.
 */
export async function verifyInternalToken(token: string, keys: Uint8Array | VerificationKeys, audience: string): Promise<Identity> {
  const tokens = kept(verified, keys);
  const key = `${audience}\u0000${token}`;
  const known = tokens.get(key);
  // The same bytes were verified before: only the clock can have changed the verdict.
  if (known && Date.now() < known.expiresAt) return known.identity;
  const secret = keys instanceof Uint8Array ? keys : signingKeyOf(token, keys.secrets);
  try {
    const { payload } = await jwtVerify(token, secret, {
      algorithms: ['HS256'],
      issuer: INTERNAL_ISSUER,
      audience,
      clockTolerance: 5,
      maxTokenAge: `${INTERNAL_TOKEN_TTL_SECONDS + 5}s`,
    });
    const identity: Identity =
      payload.sub === undefined
        ? ANONYMOUS
        : {
            subject: payload.sub,
            issuer: typeof payload.user_iss === 'string' ? payload.user_iss : null,
            roles: rolesFromClaim(payload.roles),
            qsmos: qsmosFromClaim(payload.qsmos),
          };
    // Kept no longer than jose would accept it: the earlier of exp and the maximum age, both with the tolerance.
    const expiresAt = Math.min(((payload.exp ?? Infinity) + 5) * 1000, ((payload.iat ?? 0) + INTERNAL_TOKEN_TTL_SECONDS + 5) * 1000);
    keep(tokens, key, { identity, expiresAt });
    return identity;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired)
      throw new InternalTokenError(`the gateway's signature in ${IDENTITY_HEADER} has expired: requests must come through the gateway, with clocks in sync.`);
    if (error instanceof joseErrors.JWTClaimValidationFailed)
      throw new InternalTokenError(
        `the ${IDENTITY_HEADER} token is not addressed to this subgraph (${error.claim} check failed): requests must come through the gateway.`,
      );
    if (error instanceof joseErrors.JOSEError)
      throw new InternalTokenError(`the ${IDENTITY_HEADER} token is not signed by the gateway (${error.code}): requests must come through the gateway.`);
    throw error;
  }
}

/** The shared secret as bytes, from its configured text. */
export const secretBytes = (secret: string): Uint8Array => new TextEncoder().encode(secret);
