import type { GatewayPlugin } from '../plugin';

/** What the gateway says about the supergraph it serves; version, when known, goes in a header too. */
export interface SupergraphStatus {
  source: string;
  version?: number | string;
}

/** The response header naming the supergraph version a request was served with. */
export const SUPERGRAPH_VERSION_HEADER = 'supergraph-version';

/**
 * Says which supergraph answers: in /health/ready, and in a
 * Supergraph-Version header taken from the version in service when the
 * request started, so a switch takes effect for requests that start after it
 * and a client can tell which schema produced a response.
 */
export function useSupergraphVersion(status: () => SupergraphStatus): GatewayPlugin {
  return {
    name: 'supergraph-version',
    readinessDetails: () => ({ supergraph: status() }),
    apolloPlugins: [
      {
        async requestDidStart() {
          const version = status().version;
          return {
            async willSendResponse({ response }) {
              if (version !== undefined) response.http.headers.set(SUPERGRAPH_VERSION_HEADER, String(version));
            },
          };
        },
      },
    ],
  };
}
