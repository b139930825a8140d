import { GraphQLError } from 'graphql';

/**
 * The graph's error codes: the only values `extensions.code` takes in errors
 * we raise. Frontend teams switch on these, so they are part of the contract.
 */
export const ErrorCode = {
  /** An argument is malformed or out of range; the message says what to change. */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** A subgraph could not be reached; the rest of the response is still valid. */
  SUBGRAPH_UNAVAILABLE: 'SUBGRAPH_UNAVAILABLE',
  /** A subgraph did not answer within its deadline; the rest of the response is still valid. */
  SUBGRAPH_TIMEOUT: 'SUBGRAPH_TIMEOUT',
  /** The subgraph's database did not answer in time. */
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
  /** No credentials where they are needed, or credentials that do not verify (HTTP 401); the message says which. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The caller is known but lacks the role (or the QSMO) needed; `requiredRole` names it. */
  FORBIDDEN: 'FORBIDDEN',
  /** TRUSTED_DOCUMENTS=enforce and the document is neither one of gateway/operations nor in a published client manifest (HTTP 400); send its sha256Hash, or sign in as an analyst. */
  PERSISTED_QUERY_NOT_IN_LIST: 'PERSISTED_QUERY_NOT_IN_LIST',
  /** Too many requests from one caller (HTTP 429); Retry-After says when to try again. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The HTTP request is not a GraphQL request the service can read (HTTP 400), e.g. a body that is not JSON; Apollo Server's own code for the same. */
  BAD_REQUEST: 'BAD_REQUEST',
  /**
   * The request's JSON (the body, or a GET's variables or extensions) nests
   * deeper than MAX_JSON_NESTING (HTTP 400), refused before anything walks it;
   * no input type of the graph nests nearly that deep.
   */
  JSON_TOO_DEEP: 'JSON_TOO_DEEP',
  /** extensions.persistedQuery.sha256Hash is not the sha256 of the query sent with it (HTTP 400); send the hash of the exact text, or the hash alone. */
  PERSISTED_QUERY_HASH_MISMATCH: 'PERSISTED_QUERY_HASH_MISMATCH',
  /** extensions.persistedQuery is not `{"version": 1, "sha256Hash": …}` (HTTP 400): version 1 is the only one there is. */
  PERSISTED_QUERY_VERSION_NOT_SUPPORTED: 'PERSISTED_QUERY_VERSION_NOT_SUPPORTED',
  /** A subscription sent where it is not served (HTTP 400): to a subgraph, or to the gateway as a plain POST (the message names its SSE and WebSocket endpoints); nothing was run. */
  SUBSCRIPTIONS_NOT_SUPPORTED: 'SUBSCRIPTIONS_NOT_SUPPORTED',
  /** A subscription over a limit of concurrent subscriptions (HTTP 429 over SSE, an error message over WebSocket): the message names the limit (SUBSCRIPTIONS_MAX_PER_CLIENT or SUBSCRIPTIONS_MAX) and its value. */
  SUBSCRIPTION_LIMIT_EXCEEDED: 'SUBSCRIPTION_LIMIT_EXCEEDED',
  /** The operation's estimated cost is over the caller's budget (HTTP 400); `extensions.cost` gives `estimated` and `budget`, the message how to ask for less. */
  COST_LIMIT_EXCEEDED: 'COST_LIMIT_EXCEEDED',
  /** Anything unexpected; details go to the log, never to the client. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function badUserInput(message: string, argumentName?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, ...(argumentName ? { argumentName } : {}) },
  });
}

export function subgraphUnavailable(serviceName: string, area: string): GraphQLError {
  return new GraphQLError(
    `The ${area} subgraph is unavailable right now, so its fields are null in this response. ` +
      'Data from the other QSMO subgraphs is unaffected; retry later for the missing part.',
    { extensions: { code: ErrorCode.SUBGRAPH_UNAVAILABLE, serviceName } },
  );
}

/**
 * A subgraph that did not answer in time: its fields are null, the other
 * areas' data stands. In a mutation the subgraph may still have committed the
 * change after the gateway stopped waiting, so "retry later" could apply it
 * twice; the client is told to retry with the same idempotency key instead,
 * which the catalog never applies twice.
 */
export function subgraphTimeout(serviceName: string, area: string, ms: number, operation: 'query' | 'mutation' = 'query'): GraphQLError {
  const advice =
    operation === 'mutation'
      ? 'The change may have been applied all the same: send the same mutation again with the same input.idempotencyKey, which never applies a change twice ' +
        '(the retry answers with the change if it was made, or makes it). Without a key, read the offering (its version and history) before deciding to retry.'
      : 'Data from the other QSMO subgraphs is unaffected; retry later for the missing part.';
  return new GraphQLError(`The ${area} subgraph did not answer within ${ms} ms, so its fields are null in this response. ${advice}`, {
    extensions: { code: ErrorCode.SUBGRAPH_TIMEOUT, serviceName },
  });
}

/**
 * Cuts a caller's value to a short prefix for an error message, so a huge
 * argument is never echoed back whole (or written whole to the log).
 */
export function excerpt(value: string, max = 60): string {
  return value.length <= max ? value : `${value.slice(0, max)}… (${value.length} characters)`;
}

/** A configuration problem found at start-up: the message lists every bad setting and how to fix it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
