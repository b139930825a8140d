import { ANONYMOUS } from '@qsmo/service-kit/auth/identity';
import { IDENTITY_HEADER, secretBytes, signInternalToken } from '@qsmo/service-kit/auth/internal-token';
import type { GatewayPlugin } from '../plugin';

/**
 * Tells each subgraph who the caller is, in a way only the gateway can: every
 * subgraph request (client operations, and the gateway's own health checks
 * and schema loads, as the anonymous reader) carries a short-lived JWT signed
 * with the secret the gateway shares with the subgraphs, addressed to that
 * one subgraph. The client's own token never leaves the gateway.
 */
export function useIdentityForwarding(options: { secret: string }): GatewayPlugin {
  const secret = secretBytes(options.secret);
  return {
    name: 'identity-forwarding',
    async willSendRequest({ subgraph, options: request, context }) {
      const headers = request.request.http?.headers;
      if (!headers) return;
      headers.set(IDENTITY_HEADER, await signInternalToken(context?.identity ?? ANONYMOUS, secret, subgraph.name));
    },
  };
}
