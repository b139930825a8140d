import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { getMainDefinition, relayStylePagination } from '@apollo/client/utilities';
import { Kind, OperationTypeNode, print } from 'graphql';
import { createClient, type RequestParams } from 'graphql-sse';
import { Observable } from 'rxjs';
import { possibleTypes } from './generated/operations';

/** Where the graph is and who is asking: written into the page by serve.ts. */
export interface ExplorerConfig {
  graphUrl: string;
  clientName: string;
  clientVersion: string;
}

/** The token a user pasted, kept for the tab only. */
export const tokenStore = {
  get: () => sessionStorage.getItem('qsmo-token') ?? '',
  set: (token: string) => (token ? sessionStorage.setItem('qsmo-token', token) : sessionStorage.removeItem('qsmo-token')),
};

/** sha256 of a document's text, hex, with the browser's own crypto: the hash the manifest's ids are. */
async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Subscriptions over GraphQL over SSE, distinct-connections mode: each
 * subscription is one POST with Accept: text/event-stream, so it passes the
 * same CORS, token and HTTP caches-off path as queries. Like the queries it
 * sends only its manifest id (the sha256 of the document as printed), which
 * the gateway looks up among the trusted documents.
 */
class SseLink extends ApolloLink {
  private readonly client;

  constructor(url: string, headers: () => Record<string, string>) {
    super();
    // A graph that refuses the subscription says so on the page after two retries rather than a minute of backoff.
    this.client = createClient({ url, headers, retryAttempts: 2 });
  }

  override request(operation: ApolloLink.Operation): Observable<ApolloLink.Result> {
    return new Observable((sink) => {
      let unsubscribe: (() => void) | undefined;
      let ended = false;
      void sha256(print(operation.query)).then(
        (sha256Hash) => {
          if (ended) return;
          // No `query`: graphql-sse's type asks for one, but the body is sent as given and the gateway reads the document by its hash.
          const request = {
            variables: operation.variables,
            operationName: operation.operationName,
            extensions: { persistedQuery: { version: 1, sha256Hash } },
          } as Omit<RequestParams, 'query'> as RequestParams;
          unsubscribe = this.client.subscribe(request, {
            next: (value) => sink.next(value as ApolloLink.Result),
            complete: () => sink.complete(),
            error: (error) => sink.error(error instanceof Error ? error : new Error(String(error))),
          });
        },
        (error: unknown) => sink.error(error instanceof Error ? error : new Error(String(error))),
      );
      return () => {
        ended = true;
        unsubscribe?.();
      };
    });
  }
}

export function createExplorerClient(config: ExplorerConfig): ApolloClient {
  const headers = (): Record<string, string> => {
    const token = tokenStore.get();
    return {
      // Without it the gateway's CSRF prevention refuses a GET; it also makes every cross-origin request preflighted.
      'apollo-require-preflight': 'true',
      // Field usage and schema checks name the client and its release.
      'apollographql-client-name': config.clientName,
      'apollographql-client-version': config.clientVersion,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    };
  };
  const http = ApolloLink.from([
    new SetContextLink((context) => ({ headers: { ...context.headers, ...headers() } })),
    // Hash only: the document itself is never sent for a query the manifest holds; queries go as GET, cacheable by the browser and proxies.
    new PersistedQueryLink({ sha256, useGETForHashedQueries: true }),
    new HttpLink({ uri: config.graphUrl }),
  ]);
  const isSubscription = ({ query }: ApolloLink.Operation) => {
    const definition = getMainDefinition(query);
    return definition.kind === Kind.OPERATION_DEFINITION && definition.operation === OperationTypeNode.SUBSCRIPTION;
  };
  return new ApolloClient({
    link: ApolloLink.split(isSubscription, new SseLink(config.graphUrl, headers), http),
    cache: new InMemoryCache({
      possibleTypes: possibleTypes as Record<string, string[]>,
      typePolicies: {
        // Entities keyed as the graph keys them: an agency by its CGAC code, a QSMO by its domain, a capability by its FIBF code.
        Agency: { keyFields: ['code'] },
        Qsmo: { keyFields: ['domain'] },
        ...Object.fromEntries((possibleTypes.Capability ?? []).map((type) => [type, { keyFields: ['code'] }])),
        Query: {
          fields: {
            // One list per search, pages appended as they are fetched.
            agencies: relayStylePagination(['filter']),
          },
        },
      },
    }),
  });
}
