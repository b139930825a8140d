import type { GraphQLFormattedError } from 'graphql';

/** Talking to the gateway over HTTP, with failures explained in terms of what to do. */
export interface GraphQLResponse {
  data?: unknown;
  errors?: readonly GraphQLFormattedError[];
}

/** The graph could not be asked: nothing listening, not a GraphQL endpoint, too slow. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
}

export interface RequestOptions {
  endpoint: string;
  headers: readonly [string, string][];
  timeoutMs: number;
}

export async function postOperation(
  options: RequestOptions,
  body: { query: string; operationName?: string; variables: Record<string, unknown> },
): Promise<GraphQLResponse> {
  let res: Response;
  try {
    res = await fetch(options.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...Object.fromEntries(options.headers),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError') {
      throw new TransportError(
        `the graph at ${options.endpoint} did not answer within ${options.timeoutMs / 1000}s: ask for less (smaller first:, fewer fields) or raise --timeout.`,
      );
    }
    const code = e.cause?.code ? ` (${e.cause.code})` : '';
    throw new TransportError(
      `could not reach the graph at ${options.endpoint}${code}: start it with npm start, or point --endpoint or GRAPHQL_URL at a running gateway.`,
    );
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object' || !('data' in parsed || 'errors' in parsed)) {
    throw new TransportError(
      `${options.endpoint} answered HTTP ${res.status} (${res.headers.get('content-type') ?? 'no content type'}), not a GraphQL response: ` +
        "is this the gateway's /graphql URL?",
    );
  }
  return parsed as GraphQLResponse;
}

/** GraphQL errors as lines a person can act on: code, where in the result, where in the operation. */
export function formatErrors(errors: readonly GraphQLFormattedError[], label: string): string {
  return errors
    .map((e) => {
      const code = typeof e.extensions?.code === 'string' ? ` [${e.extensions.code}]` : '';
      const at = e.path?.length ? ` at ${e.path.join('.')}` : '';
      const loc = e.locations?.[0] ? ` (${label}:${e.locations[0].line}:${e.locations[0].column})` : '';
      return `error${code}${at}: ${e.message}${loc}`;
    })
    .join('\n');
}
