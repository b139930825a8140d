import type { ApolloServer, BaseContext, GraphQLRequest } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';

export interface Result<T = any> {
  data?: T | null;
  errors?: readonly GraphQLFormattedError[];
}

/** Runs an operation in process and returns its single result. */
export async function execute<TContext extends BaseContext, T = any>(
  server: ApolloServer<TContext>,
  request: GraphQLRequest,
  contextValue: TContext,
): Promise<Result<T>> {
  const response = await server.executeOperation(request, { contextValue });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return response.body.singleResult as Result<T>;
}

/** Posts an operation over HTTP, as a client would. */
export async function post<T = any>(url: string, query: string, variables?: Record<string, unknown>): Promise<Result<T> & { status: number }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as Result<T>;
  return { ...body, status: res.status };
}

export function codes(result: Result): string[] {
  return (result.errors ?? []).map((e) => String(e.extensions?.code));
}
