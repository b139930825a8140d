import { createHash } from 'node:crypto';
import { ErrorCode, excerpt } from '../errors';
import { nestingRefusal } from '../limits';

/**
 * The checks every service makes on a GraphQL request before Apollo reads
 * it: what Apollo would otherwise answer with a 500 (a stack overflow) or
 * with an error that carries no code (and so is logged and masked as
 * internal) is refused here with 400 and a code of the graph's own.
 */

/**
 * How deep JSON may nest in a GraphQL request: the body, or a GET's
 * variables and extensions. The graph's input types nest a handful of
 * levels; whatever walks a value recursively (graphql-js coercing
 * variables, JSON.stringify building a cache key) overflows the stack a
 * few thousand levels down, which a 10 KB body reaches.
 */
export const MAX_JSON_NESTING = 64;

/** A request refused before Apollo sees it: answered with `status` and one error carrying `code`. */
export interface RequestRefusal {
  status: number;
  message: string;
  code: string;
}

/** The parts of a GraphQL request that checks before Apollo look at, from a POST body or a GET's parameters. */
export interface GraphQLParams {
  query?: unknown;
  extensions?: unknown;
}

/** The hash automatic persisted queries use for a document: sha256 of its exact text, hex. */
export function documentHash(query: string): string {
  return createHash('sha256').update(query).digest('hex');
}

/**
 * The deepest nesting of `[` and `{` in a JSON text, strings skipped. A
 * loop over the characters, so it cannot overflow however deep the text;
 * stops as soon as the nesting passes `stopAbove`. Malformed JSON gives what
 * was read, and JSON.parse reports it.
 */
export function jsonNesting(text: string, stopAbove = MAX_JSON_NESTING): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // A backslash escapes the next character, a quote included.
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest && (deepest = depth) > stopAbove) return deepest;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

/** The refusal of JSON nested deeper than MAX_JSON_NESTING; `where` names the part ("the request body", "variables"). */
export function jsonNestingRefusal(text: string, where: string): RequestRefusal | undefined {
  if (jsonNesting(text) <= MAX_JSON_NESTING) return undefined;
  return {
    status: 400,
    code: ErrorCode.JSON_TOO_DEEP,
    message: `The JSON of ${where} nests more than ${MAX_JSON_NESTING} levels deep (the limit): no input type of this graph nests nearly as deep, so send flatter variables and extensions.`,
  };
}

/**
 * The refusal of a malformed persisted-query extension: a version other
 * than 1, or a hash that is not the sha256 of the query sent with it (which
 * would otherwise register a document under another document's hash).
 * Apollo raises both without a code, so they would be masked as internal
 * errors; a hash sent alone is left to Apollo and the trusted documents.
 */
export function persistedQueryRefusal({ query, extensions }: GraphQLParams): RequestRefusal | undefined {
  const persisted = (extensions as { persistedQuery?: unknown } | null | undefined)?.persistedQuery;
  // Apollo ignores a falsy persistedQuery, so this does too.
  if (!persisted) return undefined;
  const { version, sha256Hash } = persisted as { version?: unknown; sha256Hash?: unknown };
  if (typeof persisted !== 'object' || version !== 1) {
    const problem =
      typeof persisted !== 'object'
        ? `extensions.persistedQuery is ${excerpt(JSON.stringify(persisted))}, not an object`
        : version === undefined
          ? 'extensions.persistedQuery has no version'
          : `Persisted query version ${excerpt(JSON.stringify(version))} is not supported`;
    return {
      status: 400,
      code: ErrorCode.PERSISTED_QUERY_VERSION_NOT_SUPPORTED,
      message: `${problem}: send extensions.persistedQuery as {"version": 1, "sha256Hash": "<sha256 of the document, hex>"}.`,
    };
  }
  if (typeof query === 'string' && sha256Hash !== documentHash(query)) {
    return {
      status: 400,
      code: ErrorCode.PERSISTED_QUERY_HASH_MISMATCH,
      message:
        'extensions.persistedQuery.sha256Hash is not the sha256 of the query sent with it: send the hash of the exact query text (hex, lower case), or send the hash alone to run the document it names.',
    };
  }
  return undefined;
}

/**
 * Reads a GraphQL request's parts and runs the checks before Apollo: the
 * nesting of a GET's variables and extensions (a POST body's is checked on
 * its text before it is parsed), the document's bracket nesting (graphql's
 * parser recurses per level) and the persisted-query extension. Gives the
 * parts for later checks, or the refusal.
 */
export function checkGraphQLRequest(method: string, body: unknown, search: URLSearchParams): { params: GraphQLParams; refusal?: RequestRefusal } {
  let params: GraphQLParams;
  if (method === 'GET') {
    for (const name of ['variables', 'extensions']) {
      const text = search.get(name);
      const refusal = text === null ? undefined : jsonNestingRefusal(text, name);
      if (refusal) return { params: {}, refusal };
    }
    params = { query: search.get('query') ?? undefined, extensions: parseOrKeep(search.get('extensions')) };
  } else {
    // A batch (an array) is Apollo's to refuse: batching is off.
    const single = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as GraphQLParams) : {};
    params = { query: single.query, extensions: single.extensions };
  }
  const nesting = typeof params.query === 'string' ? nestingRefusal(params.query) : undefined;
  if (nesting) return { params, refusal: { status: 400, message: nesting.message, code: nesting.extensions.code } };
  return { params, refusal: persistedQueryRefusal(params) };
}

/** A GET parameter's JSON, or undefined when there is none or it does not parse (Apollo then answers 400 itself). */
function parseOrKeep(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
