import type { ApolloServerPlugin, BaseContext, GraphQLRequestContext } from '@apollo/server';
import type { Logger } from './logger';
import { requestTraceId } from './telemetry';

/**
 * Each GraphQL request, as an operator follows it: the trace id goes back to
 * the caller (the `x-trace-id` header and `extensions.traceId` of every
 * error), so a user can quote it, and one log line per request carries it
 * with the operation, the client, the duration and the outcome, so the
 * gateway's line and each subgraph's line of one request are found by it.
 */
export const TRACE_ID_HEADER = 'x-trace-id';

/** Who sent a request, as far as it says: Apollo's client awareness headers, else the token's subject. */
export interface RequestClient {
  name?: string;
  version?: string;
}

export interface RequestLogOptions<TContext extends BaseContext> {
  logger: Logger;
  /** The request's trace id when the service knows it better than the headers (the gateway's context); default: active span, else traceparent. */
  traceIdOf?(context: TContext): string | undefined;
  /** Who is calling; default: the apollographql-client-name/-version headers. */
  clientOf?(request: GraphQLRequestContext<TContext>): RequestClient;
}

/** Client-chosen text in a log line is cut short: a name, not a document. */
const clip = (value: string | undefined, max = 100) => (value === undefined ? undefined : value.length <= max ? value : `${value.slice(0, max)}…`);

/** The client awareness headers of a request, clipped. */
export function headerClient(request: GraphQLRequestContext<BaseContext>): RequestClient {
  const headers = request.request.http?.headers;
  return { name: clip(headers?.get('apollographql-client-name')), version: clip(headers?.get('apollographql-client-version')) };
}

/** The Apollo Server plugin behind the trace id header, the errors' traceId and the request log line. */
export function requestLogPlugin<TContext extends BaseContext>(options: RequestLogOptions<TContext>): ApolloServerPlugin<TContext> {
  const { logger } = options;
  return {
    async requestDidStart(start) {
      const began = process.hrtime.bigint();
      const headers = start.request.http?.headers;
      const traceId = options.traceIdOf?.(start.contextValue) ?? requestTraceId({ traceparent: headers?.get('traceparent') });
      return {
        async willSendResponse(ctx) {
          const body = ctx.response.body;
          if (traceId) {
            ctx.response.http.headers.set(TRACE_ID_HEADER, traceId);
            if (body.kind === 'single' && body.singleResult.errors) {
              body.singleResult.errors = body.singleResult.errors.map((e) => ({ ...e, extensions: { ...e.extensions, traceId } }));
            }
          }
          const errors = body.kind === 'single' ? (body.singleResult.errors ?? []) : (ctx.errors ?? []);
          const codes = [...new Set(errors.map((e) => String((e as { extensions?: { code?: unknown } }).extensions?.code ?? 'none')))];
          const client = options.clientOf ? options.clientOf(ctx) : headerClient(ctx as GraphQLRequestContext<BaseContext>);
          const fields = {
            traceId,
            operation: clip(ctx.operationName ?? undefined) ?? (ctx.operation ? 'anonymous' : undefined),
            operationType: ctx.operation?.operation,
            client: client.name,
            clientVersion: client.version,
            durationMs: Math.round(Number(process.hrtime.bigint() - began) / 1e4) / 100,
            outcome: !ctx.operation ? 'invalid' : errors.length > 0 ? 'error' : 'success',
            status: ctx.response.http.status ?? 200,
            ...(codes.length ? { errorCodes: codes } : {}),
          };
          const message = `graphql ${fields.operation ?? 'request'} ${fields.outcome}`;
          if (logger.event) logger.event(errors.length ? 'warn' : 'info', fields, message);
          else (errors.length ? logger.warn : logger.info).call(logger, message, fields);
        },
      };
    },
  };
}
