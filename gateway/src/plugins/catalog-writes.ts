import { GraphQLError } from 'graphql';
import { ErrorCode } from '@qsmo/service-kit/errors';
import { isAnonymous } from '@qsmo/service-kit/auth/identity';
import type { GatewayPlugin } from '../plugin';

/**
 * Catalog changes need a signed-in editor. The subgraphs check the role and
 * the QSMO themselves; this plugin answers an anonymous caller's mutation
 * with HTTP 401 before it is planned, so a client that forgot its token is
 * told at the HTTP level (as for any other missing credential) and no
 * subgraph is called. Its place (phases.ts) is after authentication, whose identity it reads.
 */
export function useCatalogWrites(): GatewayPlugin {
  return {
    name: 'catalog-writes',
    apolloPlugins: [
      {
        async requestDidStart() {
          return {
            async didResolveOperation({ operation, contextValue }) {
              if (operation?.operation !== 'mutation') return;
              if (contextValue.identity && !isAnonymous(contextValue.identity)) return;
              throw new GraphQLError(
                'Changing the catalog needs a signed-in editor: send "Authorization: Bearer <token>" with a token whose roles include "editor" and whose QSMO claim names the QSMO you edit.',
                { extensions: { code: ErrorCode.UNAUTHENTICATED, reason: 'missing', http: { status: 401 } } },
              );
            },
          };
        },
      },
    ],
  };
}
