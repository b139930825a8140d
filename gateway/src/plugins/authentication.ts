import type { ServerResponse } from 'node:http';
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { ANONYMOUS, type Identity } from '@qsmo/service-kit/auth/identity';
import { ErrorCode } from '@qsmo/service-kit/errors';
import { seeErrorDoc } from '@qsmo/service-kit/error-guide';
import { qsmosFromClaim, rolesFromClaim } from '@qsmo/service-kit/auth/identity';
import type { GatewayPlugin, IncomingRequest } from '../plugin';
import { clientAddress, sendRateLimited, type FailureLimiter } from '../rate-buckets';

declare module '../plugin' {
  interface GatewayContext {
    /** The caller, verified by useAuthentication; the anonymous public reader when no token was sent. */
    identity?: Identity;
  }
}

/** Only asymmetric algorithms: the gateway holds no key that could mint a client token. */
export const ACCEPTED_ALGORITHMS = ['RS256', 'ES256'] as const;

/** Where client tokens' keys come from and what a valid token must say. */
export interface AuthenticationConfig {
  /** The identity provider's keys: a JWKS URL (cached, refetched for an unknown `kid`, so rotation needs no restart) or a key set read from a file. Unset: no token is accepted. */
  jwks?: { url: string } | { keys: JSONWebKeySet; file?: string };
  /** The `iss` every token must carry. */
  issuer?: string;
  /** The `aud` every token must carry. */
  audience?: string;
  /** Seconds of clock difference tolerated on `exp` and `nbf`. */
  clockToleranceSeconds: number;
  /** Claim listing the caller's roles (e.g. `roles: ["editor"]`). */
  rolesClaim: string;
  /** Claim listing the QSMOs an editor edits (e.g. `qsmos: ["GRANTS_MANAGEMENT"]`). */
  qsmosClaim: string;
  /** Whether requests without a token are served as the anonymous public reader. */
  anonymous: boolean;
  /** Least time between two fetches of a JWKS URL, so tokens with made-up kids cannot hammer the provider; default 30 s. */
  jwksCooldownMs?: number;
}

/** Why a token was refused; `reason` is machine-readable, the message says what to do. */
export class TokenRejected extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly status = 401,
  ) {
    super(message);
  }
}

/** The token of an `Authorization: Bearer` header; undefined when there is no such header. */
export function bearerToken(headers: Readonly<Record<string, string>>): string | undefined {
  const header = headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
  if (!match)
    throw new TokenRejected(
      'malformed',
      'The Authorization header is not "Bearer <token>": send "Authorization: Bearer" followed by a JWT from the identity provider.',
    );
  return match[1]!;
}

/**
 * Verifies client JWTs with jose: signature against the configured keys
 * (RS256/ES256 only, so `alg: none` and HMAC tokens are refused), issuer,
 * audience, expiry with the configured clock tolerance. Each failure is a
 * TokenRejected naming what was wrong.
 */
export function createTokenVerifier(config: AuthenticationConfig): (token: string) => Promise<Identity> {
  const keys: JWTVerifyGetKey | undefined = !config.jwks
    ? undefined
    : 'url' in config.jwks
      ? // Keys are cached for 10 minutes; a token with an unknown kid refetches them (at most every 30 s), so a rotated key is picked up without a restart.
        createRemoteJWKSet(new URL(config.jwks.url), { cacheMaxAge: 600_000, cooldownDuration: config.jwksCooldownMs ?? 30_000, timeoutDuration: 5_000 })
      : createLocalJWKSet(config.jwks.keys);
  return async (token) => {
    if (!keys)
      throw new TokenRejected(
        'not-accepted',
        'This gateway accepts no tokens (AUTH_JWKS_URL and AUTH_JWKS_FILE are unset): send the request without an Authorization header.',
      );
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: [...ACCEPTED_ALGORITHMS],
        issuer: config.issuer,
        audience: config.audience,
        clockTolerance: config.clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      throw rejection(error, config);
    }
    return {
      subject: payload.sub!,
      issuer: payload.iss ?? null,
      roles: rolesFromClaim(payload[config.rolesClaim]),
      qsmos: qsmosFromClaim(payload[config.qsmosClaim]),
    };
  };
}

function rejection(error: unknown, config: AuthenticationConfig): TokenRejected {
  const E = joseErrors;
  if (error instanceof E.JWTExpired)
    return new TokenRejected(
      'expired',
      `The token expired at ${new Date(Number(error.payload.exp) * 1000).toISOString()}: get a new token from the identity provider.`,
    );
  if (error instanceof E.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'aud':
        return new TokenRejected('audience', `The token is for another audience: this gateway accepts tokens whose "aud" includes "${config.audience}".`);
      case 'iss':
        return new TokenRejected('issuer', `The token comes from another issuer: this gateway accepts tokens issued by "${config.issuer}".`);
      case 'nbf':
        return new TokenRejected('not-yet-valid', 'The token is not valid yet ("nbf" is in the future): check the clock of the machine that issued it.');
      default:
        return new TokenRejected('claims', `The token's "${error.claim}" claim is missing or invalid (${error.reason}): tokens need "sub" and "exp".`);
    }
  }
  if (error instanceof E.JOSEAlgNotAllowed || error instanceof E.JOSENotSupported) {
    return new TokenRejected(
      'algorithm',
      `The token's signing algorithm is not accepted: this gateway accepts only ${ACCEPTED_ALGORITHMS.join(' or ')} (never "none" or a shared secret).`,
    );
  }
  if (error instanceof E.JWKSNoMatchingKey)
    return new TokenRejected(
      'unknown-key',
      'The token is signed with a key this gateway does not know (its "kid" and algorithm match none of the identity provider\'s keys): get a token from the configured identity provider.',
    );
  if (error instanceof E.JWSSignatureVerificationFailed)
    return new TokenRejected('signature', "The token's signature does not verify: it was altered, or signed by another key.");
  if (error instanceof E.JWKSTimeout || error instanceof E.JWKSInvalid || !(error instanceof E.JOSEError)) {
    return new TokenRejected(
      'keys-unavailable',
      "The identity provider's keys could not be fetched, so no token can be checked right now: retry shortly.",
      503,
    );
  }
  return new TokenRejected(
    'malformed',
    `The token is not a well-formed signed JWT (${error.code}): send the token exactly as the identity provider issued it.`,
  );
}

/** Where the gateway serves the Model Context Protocol (plugins/mcp.ts). */
export const MCP_PATH = '/mcp';

const identities = new WeakMap<IncomingRequest, Identity>();

/** The identity useAuthentication found for a request (for plugins listed after it, e.g. rate limits); undefined before it ran. */
export function identityOf(request: IncomingRequest): Identity | undefined {
  return identities.get(request);
}

/**
 * Whether a request is a GraphQL operation (not a preflight, and not a
 * browser loading the IDE page at /graphql), or a Model Context Protocol
 * message at /mcp, whose tool calls are GraphQL operations too: both get
 * the same identity and rate limits.
 */
export function isGraphQLRequest(request: IncomingRequest): boolean {
  const { pathname, search } = new URL(request.url, 'http://localhost');
  if (request.method === 'OPTIONS') return false;
  if (pathname === MCP_PATH) return true;
  if (pathname !== '/graphql') return false;
  return !(request.method === 'GET' && search === '' && (request.headers.accept ?? '').includes('text/html'));
}

/** How failed authentications are limited per client address (see FailureLimiter). */
export interface AuthFailureLimit {
  limiter: FailureLimiter;
  /** Proxies whose X-Forwarded-For is trusted for the client address (TRUST_PROXY_HOPS). */
  trustProxyHops: number;
}

/**
 * Identity at the gateway: every GraphQL request's bearer token is verified
 * before its body is read; a bad token, or none where anonymous access is off,
 * is answered 401 with a WWW-Authenticate header and an UNAUTHENTICATED error
 * saying which failure it was. The identity goes into the context for the
 * plugins after it and, signed, to the subgraphs (useIdentityForwarding).
 *
 * With `failures`, a client address that keeps sending credentials that fail
 * (forged, altered, malformed) is answered 429 RATE_LIMITED once over its
 * allowance, before its next token is verified: a flood of forged tokens
 * costs a lookup each, not a signature check. The block is per address, so
 * a valid token from that address waits too (it cannot be told apart
 * without verifying it); callers elsewhere are not affected.
 */
export function useAuthentication(config: AuthenticationConfig, failures?: AuthFailureLimit): GatewayPlugin {
  const verify = createTokenVerifier(config);
  const refuseFlood = (response: ServerResponse, seconds: number) =>
    sendRateLimited(
      response,
      seconds,
      `Too many failed authentications from this address: at most ${failures!.limiter.perMinute} a minute are checked. Retry after ${seconds} s with a valid token from the identity provider.`,
    );
  return {
    name: 'authentication',
    async beforeRequest(request, response) {
      if (!isGraphQLRequest(request)) return false;
      const client = failures && request.headers.authorization !== undefined ? clientAddress(request, failures.trustProxyHops) : undefined;
      if (client !== undefined) {
        const wait = failures!.limiter.blockedFor(client);
        if (wait > 0) return refuseFlood(response, wait);
      }
      try {
        const token = bearerToken(request.headers);
        if (token === undefined) {
          if (!config.anonymous)
            throw new TokenRejected('missing', 'This graph needs a token: send "Authorization: Bearer <token>" with a JWT from the identity provider.');
          identities.set(request, ANONYMOUS);
          return false;
        }
        identities.set(request, await verify(token));
        return false;
      } catch (error) {
        if (!(error instanceof TokenRejected)) throw error;
        // Only the caller's own failures count: not an identity provider that cannot be reached (503).
        if (client !== undefined && error.status === 401) {
          const wait = await failures!.limiter.failed(client);
          if (wait > 0) return refuseFlood(response, wait);
        }
        return refuse(response, error);
      }
    },
    context: (request) => ({ identity: identities.get(request) ?? ANONYMOUS }),
  };
}

function refuse(response: ServerResponse, error: TokenRejected): true {
  response.statusCode = error.status;
  if (error.status === 401) {
    // RFC 6750 §3: no error attribute when no token was sent at all.
    const description = error.message.replace(/["\\]/g, "'");
    response.setHeader(
      'www-authenticate',
      error.reason === 'missing' ? 'Bearer realm="qsmo"' : `Bearer realm="qsmo", error="invalid_token", error_description="${description}"`,
    );
  } else {
    response.setHeader('retry-after', '5');
  }
  response.setHeader('content-type', 'application/json; charset=utf-8');
  const code = error.status === 401 ? ErrorCode.UNAUTHENTICATED : ErrorCode.INTERNAL_SERVER_ERROR;
  // The page of the error reference goes in the body only: the header's description stays the bare reason.
  const message = code === ErrorCode.UNAUTHENTICATED ? `${error.message}${seeErrorDoc(code)}` : error.message;
  response.end(JSON.stringify({ errors: [{ message, extensions: { code, reason: error.reason } }] }));
  return true;
}
