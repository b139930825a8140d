import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { ErrorCode } from './errors';

/**
 * Refuses subscription operations with 400 SUBSCRIPTIONS_NOT_SUPPORTED once
 * the operation is resolved, before anything plans or executes it. The
 * gateway's executor cannot run subscriptions (the gateway serves them over
 * SSE and WebSocket instead, and says so in `message`) and a subgraph's
 * schema has no Subscription type, which graphql-js does not catch in
 * validation: either would answer 500. The gateway and every subgraph install it.
 */
export function refuseSubscriptionsPlugin<TContext extends BaseContext>(
  message = 'This graph does not serve subscriptions yet: send queries and mutations, and poll (e.g. the catalog changes feed) for updates meanwhile.',
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return;
          throw new GraphQLError(message, { extensions: { code: ErrorCode.SUBSCRIPTIONS_NOT_SUPPORTED, http: { status: 400 } } });
        },
      };
    },
  };
}

/** graphql-js's suggestion, always the end of its message: " Did you mean "search"?", " Did you mean the enum value "FEDERAL"?". */
const SUGGESTION = / ?Did you mean .+\?$/s;

/**
 * Leaves "Did you mean …?" out of every error a client gets, including the
 * variable-coercion errors (`Variable "$filter" got invalid value …; Field
 * "serch" is not defined … Did you mean "search"?`), which Apollo's
 * hideSchemaDetailsFromClientErrors does not cover: it strips validation
 * errors only. A suggestion names fields and enum values, rebuilding the
 * schema for a client that may not introspect it.
 */
export function hideSuggestionsPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) (error as { message: string }).message = error.message.replace(SUGGESTION, '');
        },
      };
    },
  };
}
