import fs from 'node:fs';
import path from 'node:path';
import type { JSONWebKeySet } from 'jose';
import type { EnvReader } from '@qsmo/service-kit/config';
import { readSigningSecret } from '@qsmo/service-kit/auth/gateway-signature';
import { readMetricsAccess, type MetricsAccess } from '@qsmo/service-kit/http/service';
import type { AuthenticationConfig } from './plugins/authentication';
import { isOrigin, type CorsConfig } from './plugins/cors';
import { DEFAULT_AUTH_FAILURES_PER_MINUTE, DEFAULT_RATE_LIMITS, type RateLimitConfig } from './plugins/rate-limit';

/** The gateway's security settings: who may call, how fast, from which browser origins, and how it signs for the subgraphs. */
export interface SecurityConfig {
  authentication: AuthenticationConfig;
  /** GATEWAY_SIGNING_SECRET: signs the identity sent to the subgraphs; unset, the gateway sends none. */
  signingSecret?: string;
  rateLimit: RateLimitConfig;
  cors: CorsConfig;
  metricsAccess: MetricsAccess;
}

/** Reads the AUTH_*, ANONYMOUS_ACCESS, GATEWAY_SIGNING_SECRET, RATE_LIMIT_* (RATE_LIMIT_AUTH_FAILURES too), TRUST_PROXY_HOPS, CORS_ORIGINS and METRICS_* variables. */
export function readSecurityConfig(env: EnvReader): SecurityConfig {
  const production = env.string('NODE_ENV') === 'production';
  const signingSecret = readSigningSecret(env);
  if (production && signingSecret === undefined) {
    env.problem(
      'GATEWAY_SIGNING_SECRET is unset but NODE_ENV=production, where subgraphs answer only requests the gateway signed: set it on the gateway and every subgraph (e.g. `openssl rand -hex 32`).',
    );
  }
  return {
    authentication: readAuthentication(env),
    signingSecret,
    rateLimit: {
      perMinute: {
        anonymous: env.nonNegativeInt('RATE_LIMIT_ANONYMOUS', DEFAULT_RATE_LIMITS.perMinute.anonymous),
        analyst: env.nonNegativeInt('RATE_LIMIT_ANALYST', DEFAULT_RATE_LIMITS.perMinute.analyst),
        editor: env.nonNegativeInt('RATE_LIMIT_EDITOR', DEFAULT_RATE_LIMITS.perMinute.editor),
      },
      authFailuresPerMinute: env.nonNegativeInt('RATE_LIMIT_AUTH_FAILURES', DEFAULT_AUTH_FAILURES_PER_MINUTE),
      trustProxyHops: env.nonNegativeInt('TRUST_PROXY_HOPS', 0),
      maxCallers: DEFAULT_RATE_LIMITS.maxCallers,
    },
    cors: { origins: readOrigins(env) },
    metricsAccess: readMetricsAccess(env),
  };
}

function readAuthentication(env: EnvReader): AuthenticationConfig {
  const url = env.string('AUTH_JWKS_URL');
  const file = env.string('AUTH_JWKS_FILE');
  const issuer = env.string('AUTH_ISSUER');
  const audience = env.string('AUTH_AUDIENCE');
  const anonymous = env.boolean('ANONYMOUS_ACCESS', true);
  let jwks: AuthenticationConfig['jwks'];
  if (url && file) env.problem('AUTH_JWKS_URL and AUTH_JWKS_FILE are both set: keep the one the identity provider publishes its keys at.');
  else if (url) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      /* reported below */
    }
    if (!parsed || (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname)))) {
      env.problem(
        `AUTH_JWKS_URL="${url}" is not an https URL (plain http only for localhost): use the identity provider's JWKS address, e.g. https://login.example.gov/.well-known/jwks.json.`,
      );
    } else jwks = { url };
  } else if (file) {
    const keys = readJwksFile(file, env);
    if (keys) jwks = { keys, file: path.resolve(file) };
  }
  if (jwks) {
    if (!issuer) env.problem('AUTH_ISSUER is unset: set the "iss" the identity provider puts in its tokens, so tokens of other issuers are refused.');
    if (!audience) env.problem('AUTH_AUDIENCE is unset: set the "aud" tokens for this graph carry, so tokens meant for other applications are refused.');
  } else if (!anonymous) {
    env.problem(
      "ANONYMOUS_ACCESS=false but no AUTH_JWKS_URL or AUTH_JWKS_FILE is set, so nobody could call the graph: configure the identity provider's keys.",
    );
  }
  return {
    jwks,
    issuer,
    audience,
    clockToleranceSeconds: env.nonNegativeInt('AUTH_CLOCK_TOLERANCE_SECONDS', 30),
    rolesClaim: env.string('AUTH_ROLES_CLAIM', 'roles'),
    qsmosClaim: env.string('AUTH_QSMOS_CLAIM', 'qsmos'),
    anonymous,
  };
}

function readJwksFile(file: string, env: EnvReader): JSONWebKeySet | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    env.problem(`AUTH_JWKS_FILE="${file}" cannot be read as JSON (${(error as Error).message}): point it at a JWKS file ({"keys": [...]}).`);
    return undefined;
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => typeof k !== 'object' || k === null || 'd' in k)) {
    env.problem(`AUTH_JWKS_FILE="${file}" is not a JWKS of public keys: it needs {"keys": [...]} with at least one key and no private parts ("d").`);
    return undefined;
  }
  return parsed as JSONWebKeySet;
}

function readOrigins(env: EnvReader): string[] {
  const raw = env.string('CORS_ORIGINS');
  if (raw === undefined) return [];
  const origins = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (!isOrigin(origin))
      env.problem(`CORS_ORIGINS: "${origin}" is not an origin: write scheme, host and port only, e.g. https://grants.example.gov (no path, no "*").`);
  }
  return origins.filter(isOrigin);
}
