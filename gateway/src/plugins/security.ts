import type { GatewayPlugin } from '../plugin';
import type { SecurityConfig } from '../security-config';
import { useAuthentication } from './authentication';
import { useCors } from './cors';
import { useIdentityForwarding } from './identity-forwarding';
import { useRateLimit } from './rate-limit';

export { useAuthentication, identityOf, createTokenVerifier, TokenRejected, type AuthenticationConfig } from './authentication';
export { useCors, type CorsConfig } from './cors';
export { useIdentityForwarding } from './identity-forwarding';
export { useRateLimit, RateLimiter, type RateLimitConfig } from './rate-limit';

/**
 * The gateway's front door, in the order requests meet it: CORS (a refused
 * origin or a preflight ends there), authentication (401 before the body is
 * read), rate limits (keyed by the identity just verified), then the signed
 * identity on every subgraph request. List these before the other plugins.
 */
export function securityPlugins(config: Omit<SecurityConfig, 'metricsAccess'>): GatewayPlugin[] {
  return [
    useCors(config.cors),
    useAuthentication(config.authentication),
    useRateLimit(config.rateLimit),
    ...(config.signingSecret ? [useIdentityForwarding({ secret: config.signingSecret })] : []),
  ];
}
