import type { GatewayPlugin } from '../plugin';
import { inPhaseOrder } from '../phases';
import { FailureLimiter, RateLimiter, type RateBuckets } from '../rate-buckets';
import type { SecurityConfig } from '../security-config';
import { useAuthentication } from './authentication';
import { useCors } from './cors';
import { useIdentityForwarding } from './identity-forwarding';
import { DEFAULT_AUTH_FAILURES_PER_MINUTE, useRateLimit } from './rate-limit';

export { useAuthentication, identityOf, createTokenVerifier, TokenRejected, type AuthenticationConfig } from './authentication';
export { useCors, type CorsConfig } from './cors';
export { useIdentityForwarding } from './identity-forwarding';
export { useRateLimit, RateLimiter, type RateLimitConfig } from './rate-limit';
export { FailureLimiter, type RateBuckets } from '../rate-buckets';

/**
 * The gateway's front door, in phase order: CORS (a refused origin or a
 * preflight ends there), authentication (401 before the body is read; 429
 * for an address over its failed attempts), the signed identity on every
 * subgraph request, rate limits (keyed by the identity just verified).
 * `buckets` holds both kinds
 * of limit: this process's by default, the cluster's with GATEWAY_WORKERS.
 */
export function securityPlugins(
  config: Omit<SecurityConfig, 'metricsAccess'>,
  buckets: RateBuckets = new RateLimiter(config.rateLimit.maxCallers),
): GatewayPlugin[] {
  const { rateLimit } = config;
  const failuresPerMinute = rateLimit.authFailuresPerMinute ?? DEFAULT_AUTH_FAILURES_PER_MINUTE;
  // Failure buckets get keys of their own in the same store, so one store (and one cluster channel) serves both.
  const failureBuckets: RateBuckets = { take: (key, perMinute) => buckets.take(`auth-failures:${key}`, perMinute) };
  const failures =
    failuresPerMinute > 0
      ? { limiter: new FailureLimiter(failureBuckets, failuresPerMinute, rateLimit.maxCallers), trustProxyHops: rateLimit.trustProxyHops }
      : undefined;
  return inPhaseOrder([
    useCors(config.cors),
    useAuthentication(config.authentication, failures),
    useRateLimit(rateLimit, buckets),
    ...(config.signingSecret ? [useIdentityForwarding({ secret: config.signingSecret })] : []),
  ]);
}
