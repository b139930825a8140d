import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { buildSchema, GraphQLError, parse, printSchema, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { createHandler as createSseHandler, type RequestParams } from 'graphql-sse';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { Counter, Gauge } from 'prom-client';
import { ErrorCode } from '@qsmo/service-kit/errors';
import { isAnonymous } from '@qsmo/service-kit/auth/identity';
import { type Logger } from '@qsmo/service-kit/logger';
import { type Metrics } from '@qsmo/service-kit/metrics';
import { checkGraphQLRequest, jsonNestingRefusal } from '@qsmo/service-kit/http/request-checks';
import { identityOf } from '../plugins/authentication';
import { clientAddress } from '../rate-buckets';
import { incomingRequest, type GatewayPlugin, type GraphQLCallResult, type GraphQLExecutor } from '../plugin';
import type { SubscriptionConfig } from './config';
import { CatalogFeed, type CatalogChange } from './feed';
import { LiveSubscription } from './live';
import { operationOf, parseDocument, prepareSubscription, Refused, runOnEvent, type PreparedSubscription } from './operation';

export { readSubscriptionConfig, DEFAULT_SUBSCRIPTIONS, type SubscriptionConfig } from './config';

/** Where subscriptions are served: the GraphQL path, over SSE (POST) and WebSocket (upgrade). */
export const SUBSCRIPTIONS_PATH = '/graphql';
/** The largest SSE request body or WebSocket message read. */
const MAX_MESSAGE_BYTES = 1024 * 1024;

export interface SubscriptionsOptions {
  config: SubscriptionConfig;
  /** Proxies whose X-Forwarded-For is trusted for the client address (TRUST_PROXY_HOPS): the per-client limit of an anonymous caller is per address. */
  trustProxyHops: number;
  metrics: Metrics;
  logger: Logger;
  /**
   * Called with a marketplace whose catalog changed, before its events are
   * run for the subscribers: the response cache forgets what it read there,
   * so no event is answered from before its own change.
   */
  invalidate?(subgraphs: readonly string[]): void;
  /** The trusted document with this sha256 hash, so a client may send only `extensions.persistedQuery.sha256Hash`, as for queries. */
  trustedDocument?(hash: string): string | undefined;
}

/** Live updates at the gateway: the plugin to list, the WebSocket server to attach, and the drain. */
export interface Subscriptions {
  plugin: GatewayPlugin;
  /** Serves WebSockets (graphql-transport-ws) on the gateway's HTTP server, at /graphql. */
  serve(server: http.Server): void;
  /**
   * Ends every subscription and refuses new ones: each SSE stream gets
   * `complete` and ends, each WebSocket operation `complete` and then its
   * socket is closed with 1001 (going away); then stops following the feeds.
   * Run before the HTTP drain, which would otherwise wait on the streams.
   */
  close(): Promise<void>;
  /** Subscriptions open now. */
  readonly active: number;
}

type Transport = 'sse' | 'websocket';

/** What the transports carry from onSubscribe to execute/subscribe. */
type OperationContext = {
  transport: Transport;
  /** The request the operation runs as: the SSE POST, or the WebSocket's upgrade with the token of its connection_init. */
  req: IncomingMessage;
  query: string;
  variables: Record<string, unknown>;
  operationName?: string;
  /** Set for a subscription, with the slot it holds. */
  subscription?: { prepared: PreparedSubscription; client: string };
};

/** Concurrent subscriptions per client and in all; taken when a subscription is accepted, given back when it ends. */
class Slots {
  private readonly perClient = new Map<string, number>();
  total = 0;
  constructor(private readonly config: SubscriptionConfig) {}

  /** Takes a slot for `client`, or says which limit is reached. */
  take(client: string): string | undefined {
    const held = this.perClient.get(client) ?? 0;
    if (held >= this.config.maxPerClient) {
      return `You already hold ${held} subscriptions, the limit per client (SUBSCRIPTIONS_MAX_PER_CLIENT=${this.config.maxPerClient}): end one (close its stream, or complete it) before starting another, or ask for several marketplaces in one catalogChanged(domains: [...]).`;
    }
    if (this.total >= this.config.max) {
      return `This gateway holds ${this.total} subscriptions, its limit (SUBSCRIPTIONS_MAX=${this.config.max}): retry in a while.`;
    }
    this.perClient.set(client, held + 1);
    this.total++;
    return undefined;
  }

  release(client: string): void {
    const held = (this.perClient.get(client) ?? 1) - 1;
    if (held <= 0) this.perClient.delete(client);
    else this.perClient.set(client, held);
    this.total--;
  }
}

/** A GraphQLError list as an SSE answer with a status (graphql-sse's Response tuple). */
function errorResponse(
  status: number,
  errors: readonly GraphQLError[],
  headers: Record<string, string> = {},
): [string, { status: number; statusText: string; headers: Record<string, string> }] {
  const statusText =
    ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 429: 'Too Many Requests', 503: 'Service Unavailable' } as Record<number, string>)[status] ??
    'Error';
  return [
    JSON.stringify({ errors: errors.map((e) => e.toJSON()) }),
    { status, statusText, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } },
  ];
}

/** An answer of the gateway's executor (a plain JSON body) as the transports' ExecutionResult. */
const asResult = (answer: GraphQLCallResult): ExecutionResult => answer.body as unknown as ExecutionResult;

/** Reads a request body up to `limit` bytes; undefined when it is larger. */
async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The request a WebSocket's operations run as: its upgrade request's
 * headers (origin, client address, trace context), with the token of its
 * connection_init payload (`{ "authorization": "Bearer <token>" }`), as
 * browsers cannot set headers on a WebSocket.
 */
function webSocketRequest(upgrade: IncomingMessage, params: Readonly<Record<string, unknown>> | undefined): IncomingMessage {
  const headers: http.IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(upgrade.headers)) {
    if (!/^(upgrade|connection|sec-websocket-.*)$/.test(name)) headers[name] = value;
  }
  const token = params?.authorization ?? params?.Authorization;
  if (typeof token === 'string') headers.authorization = token;
  return {
    method: 'POST',
    url: SUBSCRIPTIONS_PATH,
    headers,
    socket: upgrade.socket,
    httpVersion: '1.1',
    httpVersionMajor: 1,
    httpVersionMinor: 1,
  } as unknown as IncomingMessage;
}

/** When the bearer token of an admitted request expires (its `exp`, verified at admission), in ms; undefined without one. */
function tokenExpiry(req: IncomingMessage): number | undefined {
  const token = /^Bearer +(\S+)$/i.exec(String(req.headers.authorization ?? '').trim())?.[1];
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** A WebSocket close reason may be at most 123 bytes: the message's first sentence, cut there. */
function closeReason(message: string): string {
  let reason = message.split(/(?<=[.:])\s/)[0] ?? message;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -2) + '…';
  return reason;
}

const UNKNOWN_HASH =
  'No trusted document has this sha256Hash: send the document as "query", or the hash of an operation of gateway/operations/generated/trusted-documents.json or of a published client manifest.';

/** A JSON object's members, or undefined for anything else (graphql-sse then answers the body itself). */
function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Subscription.catalogChanged at the gateway. `@apollo/gateway` executes no
 * subscriptions, so the gateway serves them itself: it follows every
 * marketplace's committed changes (CatalogFeed) and, for each change and
 * each subscriber whose marketplaces it concerns, runs the subscriber's
 * selection on the event; the offering is fetched by a query through the
 * gateway's own executor as the subscriber (identity, operation limits,
 * demand control, response cache, query planning), so fields other
 * subgraphs own resolve as in any query. Subscribers with the same token
 * and selection share one fetch per event.
 *
 * Transports: GraphQL over SSE in distinct-connections mode (graphql-sse;
 * a POST to /graphql with `Accept: text/event-stream`) and WebSocket with
 * the graphql-transport-ws subprotocol (graphql-ws). Both are admitted by
 * the same front door as queries (CORS, authentication, rate limits; a
 * WebSocket's token comes in its connection_init payload), screened by the
 * same plugins (trusted documents) and validated with the same rules
 * (operation limits). Queries and mutations sent over them are run as over
 * a POST. A supergraph update changes the schema new subscriptions are
 * checked against; open ones keep theirs and keep receiving.
 */
export function createSubscriptions(options: SubscriptionsOptions): Subscriptions {
  const { config, logger } = options;
  const slots = new Slots(config);
  const open = new Set<LiveSubscription>();
  let executor: GraphQLExecutor | undefined;
  let schema: GraphQLSchema | undefined;
  let closing = false;
  const active = new Gauge({
    name: 'gateway_subscriptions_active',
    help: 'Subscriptions open now, by transport (sse, websocket).',
    labelNames: ['transport'],
    registers: [options.metrics.registry],
  });
  const delivered = new Counter({
    name: 'gateway_subscription_events_delivered_total',
    help: 'Subscription results handed to clients, by transport.',
    labelNames: ['transport'],
    registers: [options.metrics.registry],
  });
  const received = new Counter({
    name: 'gateway_catalog_changes_received_total',
    help: "Committed catalog changes read from the marketplaces' change feeds, by subgraph.",
    labelNames: ['subgraph'],
    registers: [options.metrics.registry],
  });
  for (const transport of ['sse', 'websocket']) {
    active.set({ transport }, 0);
    delivered.inc({ transport }, 0);
  }

  const feed = new CatalogFeed({
    waitMs: config.feedWaitMs,
    logger,
    onChanges(subgraph, changes) {
      received.inc({ subgraph }, changes.length);
      options.invalidate?.([subgraph]);
      for (const change of changes) for (const subscription of open) subscription.offer(change);
    },
  });

  /** Who a request is for the per-client limit: the signed-in subject, else the client address. */
  const clientOf = (req: IncomingMessage): string => {
    const request = incomingRequest(req);
    const identity = identityOf(request);
    return identity && !isAnonymous(identity) ? `sub:${identity.issuer ?? ''}:${identity.subject}` : `ip:${clientAddress(request, options.trustProxyHops)}`;
  };

  /** Fetches shared by the subscribers of one event that send the same token, document and variables. */
  const fetches = new WeakMap<CatalogChange, Map<string, Promise<GraphQLCallResult>>>();
  /** The tries of an event after which the response cache was emptied of its marketplace's answers. */
  const retried = new WeakMap<CatalogChange, Set<number>>();
  const runFor =
    (req: IncomingMessage, prepared: PreparedSubscription) =>
    async (event: CatalogChange): Promise<ExecutionResult> => {
      try {
        return await runOnEvent(prepared, event, (query, variables, attempt) => {
          let shared = fetches.get(event);
          if (!shared) fetches.set(event, (shared = new Map()));
          const key = `${attempt}\u0000${req.headers.authorization ?? ''}\u0000${query}\u0000${JSON.stringify(variables)}`;
          let answer = shared.get(key);
          if (!answer) {
            // A stale read may have been cached on the way: it must not answer the next try.
            const tries = retried.get(event) ?? new Set<number>();
            retried.set(event, tries);
            if (attempt > 0 && !tries.has(attempt)) {
              tries.add(attempt);
              options.invalidate?.([event.subgraph]);
            }
            shared.set(key, (answer = executor!.execute(req, { query, variables, derived: true })));
          }
          return answer;
        });
      } catch (error) {
        logger.error(`live updates: running a subscription on ${event.id} of ${event.subgraph} failed`, error);
        return { errors: [new GraphQLError('Internal server error', { extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } })] };
      }
    };

  /**
   * Everything before an operation runs, for both transports: the checks
   * every GraphQL request gets, the screens, then for a subscription its
   * validation and a slot. Throws Refused.
   */
  const prepare = async (
    transport: Transport,
    req: IncomingMessage,
    params: { query?: unknown; variables?: unknown; operationName?: unknown; extensions?: unknown },
  ): Promise<ExecutionArgs & { contextValue: OperationContext }> => {
    if (closing)
      throw new Refused(503, [
        new GraphQLError('This gateway is shutting down: subscribe again, and another instance will take the subscription.', {
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        }),
      ]);
    if (!executor || !schema)
      throw new Refused(503, [new GraphQLError('The gateway is starting; retry shortly.', { extensions: { code: 'SERVICE_UNAVAILABLE' } })]);
    const checked = checkGraphQLRequest('POST', params, new URLSearchParams());
    const variables = (params.variables ?? {}) as Record<string, unknown>;
    const deep = checked.refusal ?? jsonNestingRefusal(JSON.stringify(variables), 'variables');
    if (deep) throw new Refused(deep.status, [new GraphQLError(deep.message, { extensions: { code: deep.code } })]);
    const screened = await executor.screen(req, checked.params);
    if (screened) throw new Refused(screened.status, [new GraphQLError(screened.message, { extensions: { code: screened.code } })]);
    const hash = (params.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
    if (params.query === undefined && typeof hash === 'string') {
      params = { ...params, query: options.trustedDocument?.(hash) };
      if (params.query === undefined) throw new Refused(400, [new GraphQLError(UNKNOWN_HASH, { extensions: { code: ErrorCode.PERSISTED_QUERY_NOT_IN_LIST } })]);
    }
    const document = parseDocument(params.query);
    const operationName = typeof params.operationName === 'string' ? params.operationName : undefined;
    const context: OperationContext = { transport, req, query: params.query as string, variables, operationName };
    const operation = operationOf(document, operationName);
    if (operation?.operation !== 'subscription') return { schema, document, operationName, variableValues: variables, contextValue: context };
    const prepared = prepareSubscription(schema, document, operationName, variables, executor.validationRules);
    const refused = await executor.checkSubscription(req, {
      eventQueries: prepared.eventQueries.map((q) => ({ document: parse(q.query), variables: q.variables })),
    });
    if (refused) {
      // The status is the transport's to set; `http` is for Apollo, which strips it from what clients see.
      const { http: _status, ...extensions } = refused.extensions;
      throw new Refused(400, [new GraphQLError(refused.message, { extensions })]);
    }
    const client = clientOf(req);
    const refusal = slots.take(client);
    if (refusal) throw new Refused(429, [new GraphQLError(refusal, { extensions: { code: ErrorCode.SUBSCRIPTION_LIMIT_EXCEEDED } })]);
    context.subscription = { prepared, client };
    return { schema, document, operationName, variableValues: variables, contextValue: context };
  };

  /** A query or mutation sent over SSE or a WebSocket: run as over a POST. */
  const executeOperation = async (args: ExecutionArgs): Promise<ExecutionResult> => {
    const context = args.contextValue as OperationContext;
    return asResult(
      await executor!.execute(context.req, { query: context.query, variables: context.variables, operationName: context.operationName, derived: true }),
    );
  };

  /** The subscription's stream of results; its slot is given back however it ends. */
  const subscribe = (args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> => {
    const context = args.contextValue as OperationContext;
    const { prepared, client } = context.subscription!;
    const { transport } = context;
    let expiryTimer: NodeJS.Timeout | undefined;
    const live: LiveSubscription = new LiveSubscription({
      prepared,
      run: runFor(context.req, prepared),
      ended() {
        clearTimeout(expiryTimer);
        open.delete(live);
        slots.release(client);
        active.dec({ transport });
      },
      delivered: () => delivered.inc({ transport }),
      // An expired token fails every later event alike: the client is told once, and subscribes again with a new one.
      isFinal: (result) => (result.errors ?? []).some((e) => e.extensions?.code === ErrorCode.UNAUTHENTICATED),
    });
    const expiry = tokenExpiry(context.req);
    if (expiry !== undefined) {
      // The token was checked when the subscription began; it does not outlive it.
      expiryTimer = setTimeout(
        () =>
          live.finish({
            errors: [
              new GraphQLError(`The token expired at ${new Date(expiry).toISOString()}: subscribe again with a new token from the identity provider.`, {
                extensions: { code: ErrorCode.UNAUTHENTICATED, reason: 'expired' },
              }),
            ],
          }),
        Math.min(Math.max(0, expiry - Date.now()), 2 ** 31 - 1),
      );
      expiryTimer.unref();
    }
    open.add(live);
    active.inc({ transport });
    if (closing) live.end();
    return live;
  };

  const sse = createSseHandler<IncomingMessage, { res: ServerResponse }, OperationContext>({
    // Distinct connections only: one stream per subscription, nothing reserved between requests.
    authenticate: () => null,
    onSubscribe: async (req, params: RequestParams) => {
      try {
        return await prepare('sse', req.raw, params);
      } catch (error) {
        if (error instanceof Refused)
          return errorResponse(error.status, error.errors, error.status === 429 || error.status === 503 ? { 'retry-after': '5' } : {});
        throw error;
      }
    },
    execute: executeOperation,
    subscribe,
  });

  /** POST /graphql with Accept: text/event-stream, once the front door (CORS, identity, rate limits) has admitted it. */
  const handleSse = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req, MAX_MESSAGE_BYTES);
    const refuse = (status: number, message: string, code: string) =>
      void res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
    if (raw === undefined)
      return refuse(413, `Request body is larger than ${MAX_MESSAGE_BYTES} bytes: send a smaller subscription or variables.`, ErrorCode.BAD_REQUEST);
    const deep = jsonNestingRefusal(raw, 'the request body');
    if (deep) return refuse(deep.status, deep.message, deep.code);
    // graphql-sse refuses a body without `query` before onSubscribe sees it: one sent by its trusted document's hash alone gets the document here.
    let text = raw;
    const sent = parseJsonObject(raw);
    const hash = (sent?.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
    if (sent && sent.query === undefined && typeof hash === 'string') {
      const query = options.trustedDocument?.(hash);
      if (query === undefined) return refuse(400, UNKNOWN_HASH, ErrorCode.PERSISTED_QUERY_NOT_IN_LIST);
      text = JSON.stringify({ ...sent, query });
    }
    const [body, init] = await sse({
      method: 'POST',
      url: req.url ?? SUBSCRIPTIONS_PATH,
      // graphql-sse recognises an event stream by this exact value; the route took the request because it accepts one.
      headers: {
        get: (key: string) =>
          key === 'accept' ? 'text/event-stream' : key === 'content-type' ? 'application/json' : [req.headers[key]].flat().join('\n') || undefined,
      },
      body: () => text,
      raw: req,
      context: { res },
    });
    res.writeHead(init.status, init.statusText, init.headers as Record<string, string>);
    if (!body || typeof body === 'string') return void res.end(body ?? undefined);
    res.once('close', () => void body.return?.(undefined));
    for await (const chunk of body) {
      if (!res.writable) break;
      await new Promise<void>((resolve, reject) => res.write(chunk, (error) => (error ? reject(error) : resolve())));
    }
    res.end();
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const sockets = new Set<WebSocket>();
  wss.on('connection', (socket: WebSocket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const ws = useServer<Record<string, unknown>, { admitted: IncomingMessage }>(
    {
      onConnect: async (ctx) => {
        if (closing || !executor) {
          ctx.extra.socket.close(1013, closing ? 'The gateway is shutting down: connect again.' : 'The gateway is starting: connect again shortly.');
          return false;
        }
        const req = webSocketRequest(ctx.extra.request, ctx.connectionParams);
        const refusal = await executor.admit(req);
        if (refusal) {
          // 4401/4403/4429: the HTTP status the same credentials would get on a POST, in the graphql-ws convention of 4xxx.
          const message = refusal.body.errors?.[0]?.message ?? `Refused with HTTP ${refusal.status}.`;
          ctx.extra.socket.close(4000 + refusal.status, closeReason(message));
          return false;
        }
        ctx.extra.admitted = req;
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        try {
          return await prepare('websocket', ctx.extra.admitted!, payload);
        } catch (error) {
          if (error instanceof Refused) return error.errors;
          throw error;
        }
      },
      execute: executeOperation,
      subscribe,
    },
    wss,
    config.keepAliveMs,
  );

  const plugin: GatewayPlugin = {
    name: 'subscriptions',
    routes: {
      [`POST ${SUBSCRIPTIONS_PATH}`]: {
        accepts: (req) => (req.headers.accept ?? '').includes('text/event-stream'),
        handle: handleSse,
      },
    },
    wrapFetcher(fetcher, subgraph) {
      feed.serve(subgraph.name, subgraph.url);
      return fetcher;
    },
    onSupergraphLoad({ apiSchema }) {
      // New subscriptions are checked against the new schema; open ones keep theirs. A copy without the
      // gateway's resolvers (it reads every field by its alias), so graphql-js runs the subscriptions' own.
      schema = buildSchema(printSchema(apiSchema));
    },
    attach(graphql) {
      executor = graphql;
    },
    apolloPlugins: [
      {
        async serverWillStart() {
          feed.start();
          return {
            async serverWillStop() {
              feed.stop();
            },
          };
        },
      },
    ],
    readinessDetails: () => ({ subscriptions: { active: open.size, feeds: feed.positions() } }),
  };

  return {
    plugin,
    get active() {
      return open.size;
    },
    serve(server) {
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        const { pathname } = new URL(req.url ?? '/', 'http://localhost');
        if (pathname !== SUBSCRIPTIONS_PATH || closing) {
          const status = closing ? '503 Service Unavailable' : '404 Not Found';
          socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
          return;
        }
        wss.handleUpgrade(req, socket, head, (client) => wss.emit('connection', client, req));
      });
    },
    async close() {
      closing = true;
      // Each open subscription completes first (SSE: `complete`, then the stream ends; WebSocket: `complete` per operation)...
      for (const subscription of [...open]) subscription.end();
      await new Promise((r) => setImmediate(r));
      // ...then each WebSocket is closed with 1001, going away; a client that does not answer the close within 2 s is cut.
      const disposed = ws.dispose();
      await Promise.race([disposed, new Promise((r) => setTimeout(r, 2_000).unref())]);
      for (const socket of sockets) socket.terminate();
      await disposed;
      feed.stop();
    },
  };
}
