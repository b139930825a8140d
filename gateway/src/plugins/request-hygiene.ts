import { GraphQLError, Kind } from 'graphql';
import { ErrorCode } from '@qsmo/service-kit/errors';
import { refuseSubscriptionsPlugin } from '@qsmo/service-kit/client-errors';
import type { GatewayContext, GatewayPlugin } from '../plugin';

/** The answer to a subscription sent as a plain POST: where the gateway serves subscriptions (gateway/src/subscriptions). */
export const SUBSCRIPTION_OVER_POST =
  'Subscriptions are not served over a plain POST: send this subscription to /graphql with "Accept: text/event-stream" ' +
  '(GraphQL over SSE, distinct connections mode), or over a WebSocket to /graphql with the graphql-transport-ws subprotocol.';

/**
 * Client mistakes answer 400, never 500. Apollo Server leaves choosing the
 * operation of a document to the executor, and the gateway's executor throws
 * for an unknown or missing operationName, and for any subscription, which
 * Apollo then answers with 500; here the operation is checked once it is
 * resolved, before anything is planned.
 */
export function useRequestHygiene(): GatewayPlugin {
  return {
    name: 'request-hygiene',
    apolloPlugins: [
      refuseSubscriptionsPlugin<GatewayContext>(SUBSCRIPTION_OVER_POST),
      {
        async requestDidStart() {
          return {
            async didResolveOperation({ operation, document, request }) {
              if (operation) return;
              const names = document.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION ? [d.name?.value ?? '(unnamed)'] : []));
              const message = request.operationName
                ? `Unknown operation named "${request.operationName}": the document has ${names.join(', ') || 'no operations'}; pass one of them as operationName.`
                : `The document has ${names.length} operations (${names.join(', ')}): pass the one to run as operationName.`;
              throw new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } } });
            },
          };
        },
      },
    ],
  };
}
