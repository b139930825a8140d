import type { ErrorCode } from './errors';

/**
 * What a caller who meets each error code should do, the half of the error
 * reference (docs/reference/error-codes.md) the registry's own comments do not
 * say. Keyed by the registry, so a new code does not compile until it is
 * explained here too.
 */
export interface ErrorGuide {
  /** The HTTP status the error usually comes with. */
  status: string;
  /** What to change, addressed to the caller. */
  change: string;
}

export const ERROR_GUIDE: Record<ErrorCode, ErrorGuide> = {
  BAD_USER_INPUT: {
    status: "200 with the error next to the other fields' data; 400 when a variable does not fit its declaration",
    change:
      'Correct the argument the message names (`extensions.argumentName` when there is one): the message says the accepted form, e.g. a three-digit agency code, a real calendar day, `first` from 1 to 100.',
  },
  SUBGRAPH_UNAVAILABLE: {
    status: "200, with the other QSMOs' data",
    change:
      'Nothing in the query: the area named in the message (`extensions.serviceName`) is down or its circuit is open. Show the data you got and retry the missing part later.',
  },
  SUBGRAPH_TIMEOUT: {
    status: "200, with the other QSMOs' data",
    change:
      'For a query, retry later or ask for less from that area. For a mutation, send it again with the same `input.idempotencyKey`: the change may already have been made, and the key keeps it from being made twice.',
  },
  DATABASE_UNAVAILABLE: {
    status: "200, with the other QSMOs' data",
    change:
      "Nothing in the query: the named area's database did not answer within `MONGODB_TIMEOUT_MS`. Retry later; operators see it on that subgraph's `/health/ready`.",
  },
  UNAUTHENTICATED: {
    status: '401, with `WWW-Authenticate: Bearer`',
    change:
      'Send a valid token: `extensions.reason` says what was wrong (`missing`, `expired`, `audience`, `issuer`, `signature`, `unknown-key`, `algorithm`, `malformed`, `claims`). Locally, `npm run -s token -- --role analyst` prints one the graph accepts; an expired one needs a fresh token, the others a token from the identity provider the gateway trusts.',
  },
  FORBIDDEN: {
    status: '200 with the error, the refused field null; 403 for a browser page whose origin the gateway does not allow (`extensions.reason` `origin`)',
    change:
      "Use a token with the role in `extensions.requiredRole` (and, for catalog edits, an editor token whose `qsmos` claim names the QSMO in `extensions.domain`). For `reason: \"origin\"`, the gateway's operators add the page's origin (scheme, host and port, e.g. `https://grants.example.gov`) to `CORS_ORIGINS`; the gateway's own pages need no listing.",
  },
  PERSISTED_QUERY_NOT_IN_LIST: {
    status: '400',
    change:
      'The gateway runs with `TRUSTED_DOCUMENTS=enforce`: send the `sha256Hash` of an operation of `gateway/operations` (add a new one to the library and run `npm run codegen`), or call with an analyst or editor token, who may send any document.',
  },
  RATE_LIMITED: {
    status: '429, with `Retry-After`',
    change:
      'Wait the `Retry-After` seconds before the next request, and spread requests out; the limit is per caller (`RATE_LIMIT_ANONYMOUS`, `RATE_LIMIT_ANALYST`, `RATE_LIMIT_EDITOR` per minute), and signed-in callers have larger ones.',
  },
  BAD_REQUEST: {
    status: '400',
    change:
      'Send a GraphQL request: a JSON body `{"query": …, "variables": …}` with `content-type: application/json`, one operation per request (batching is off), and an `operationName` that names an operation of the document.',
  },
  JSON_TOO_DEEP: {
    status: '400',
    change: "Flatten the variables or extensions: nothing in the graph's inputs nests more than a few levels, and the limit is 64.",
  },
  PERSISTED_QUERY_HASH_MISMATCH: {
    status: '400',
    change: 'Send the sha256 of the exact query text sent with it (hex, lower case), or the hash alone for an operation the gateway already knows.',
  },
  PERSISTED_QUERY_VERSION_NOT_SUPPORTED: {
    status: '400',
    change: 'Send `extensions.persistedQuery` as `{"version": 1, "sha256Hash": "…"}`.',
  },
  SUBSCRIPTIONS_NOT_SUPPORTED: {
    status: '400',
    change: 'Send a query instead and poll it; the response cache makes a repeated query cheap.',
  },
  SUBSCRIPTION_LIMIT_EXCEEDED: {
    status: '429 over SSE; an error message on the WebSocket',
    change:
      'Close subscriptions you no longer need before opening more: one client holds at most `SUBSCRIPTIONS_MAX_PER_CLIENT` at once on each gateway process, and a gateway at most `SUBSCRIPTIONS_MAX`. One subscription with `domains` absent covers every marketplace.',
  },
  COST_LIMIT_EXCEEDED: {
    status: '400, with `extensions.cost { estimated budget }`',
    change:
      'Ask for less: a smaller `first` (then page with `after`), fewer nested lists, or two queries instead of one. Analysts and editors, signed in, have a larger budget (`COST_BUDGET_ANALYST`, `COST_BUDGET_EDITOR`).',
  },
  INTERNAL_SERVER_ERROR: {
    status: '200 or 500',
    change:
      "Nothing in the request should change: report the `extensions.traceId` (also in the `x-trace-id` header) to the graph's operators, who find the details in the server log by it.",
  },
};

/** The page and anchor of an error code's section in the error reference. */
export const errorDocLink = (code: string) => `docs/reference/error-codes.md#${code.toLowerCase()}`;

/** The sentence that ends a message users meet often, pointing to what to change. */
export const seeErrorDoc = (code: string) => ` See ${errorDocLink(code)}.`;
