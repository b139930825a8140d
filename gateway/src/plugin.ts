import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Supergraph } from '@apollo/federation-internals';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayGraphQLRequest, GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { Fetcher, FetcherResponse } from '@apollo/utils.fetcher';
import type { DocumentNode, GraphQLError, GraphQLSchema, ParseOptions, ValidationRule } from 'graphql';
import type { Logger } from '@qsmo/service-kit/logger';
import type { Route } from '@qsmo/service-kit/http/service';
import type { GraphQLParams, RequestRefusal } from '@qsmo/service-kit/http/request-checks';
import type { HttpServiceOptions } from '@qsmo/service-kit/http/service';
import type { PluginPlace } from './phase-names';

/**
 * The gateway's seam: every concern (metrics, headers, failover,
 * authentication, limits, timeouts, caching) is one GatewayPlugin, so adding
 * one is a new file in plugins/ and one entry in PLUGIN_PLACES (phases.ts),
 * never an edit of server.ts or datasource.ts. Every member but the name is
 * optional; a plugin contributes only what its concern needs. "List order"
 * below is the order the plugins are given to the server: the entry point
 * gives them in phase order (inPhaseOrder).
 */
export interface GatewayPlugin {
  /** Names the concern in logs and errors about the plugin, and finds its place in PLUGIN_PLACES. */
  readonly name: string;
  /** Its phase and position, for a plugin that has no entry in PLUGIN_PLACES (e.g. one built by a test). */
  readonly place?: PluginPlace;
  /**
   * Runs for every HTTP request before any route, in list order (CORS,
   * authentication, rate limits). Resolves true when it has answered the
   * request itself (a preflight, a 401, a 429); headers it sets on `response`
   * stay on whatever answers the request otherwise. Work done here for the
   * context can be kept by `request`, which is the same object context() gets.
   */
  beforeRequest?(request: IncomingRequest, response: ServerResponse): boolean | Promise<boolean>;
  /**
   * Runs for each GraphQL request once its body is read and has passed the
   * checks every service makes, before Apollo parses or validates the
   * document, in list order; the first refusal answers the request (e.g. a
   * document that is not trusted, refused without telling whether its
   * fields exist). `context` is the request's context, the one Apollo gets.
   */
  screenRequest?(params: GraphQLParams, context: GatewayContext): RequestRefusal | undefined | Promise<RequestRefusal | undefined>;
  /** Apollo Server plugins the concern needs (response headers, operation metrics). */
  apolloPlugins?: readonly ApolloServerPlugin<GatewayContext>[];
  /** Validation rules run with GraphQL's own on every new document, before it is planned (operation limits). */
  validationRules?: readonly ValidationRule[];
  /**
   * When a subscription starts, with the queries its events will run: an
   * error refuses the subscription at once (HTTP 400 over SSE, an `error`
   * message over a WebSocket), before it takes a place. In list order, the
   * first error wins; e.g. demand control, as a selection over the caller's
   * budget would fail on every event.
   */
  checkSubscription?(start: SubscriptionStart, context: GatewayContext): GraphQLError | undefined;
  /** Options of the parser for client documents (e.g. maxTokens); merged in list order. */
  parseOptions?: ParseOptions;
  /**
   * The concern's part of each client request's context, computed once per
   * request from the incoming HTTP request (headers now, identity later).
   * Plugins declare their fields by augmenting GatewayContext; `soFar` holds
   * what the plugins listed earlier contributed (identity before limits).
   */
  context?(request: IncomingRequest, soFar: Readonly<GatewayContext>): Partial<GatewayContext> | Promise<Partial<GatewayContext>>;
  /** Before each subgraph request is sent: the place to set outgoing headers. */
  willSendRequest?(request: SubgraphRequest): void | Promise<void>;
  /** After each subgraph response; returning a response replaces it. */
  didReceiveResponse?(response: SubgraphResponse): GatewayGraphQLResponse | void | Promise<GatewayGraphQLResponse | void>;
  /**
   * When a subgraph request fails in transport (no answer, a 5xx, an
   * unreadable body). Sees the real error; returning an Error replaces the
   * one thrown. Runs before the core maps client requests' unreachable
   * subgraphs to SUBGRAPH_UNAVAILABLE.
   */
  didEncounterError?(failure: SubgraphFailure): Error | void;
  /**
   * Wraps the HTTP client of one subgraph (timeouts, retries, circuit
   * breakers); plugins listed first wrap innermost. The client request a
   * call serves is `subgraphCallContext()`, never a header.
   */
  wrapFetcher?(fetcher: Fetcher, subgraph: SubgraphInfo): Fetcher;
  /**
   * Wraps one subgraph's data source, to act on whole fetches (failover).
   * `peers` gives the other served subgraphs' data sources as they are below
   * this plugin's wrapper, so a wrapper never re-enters itself.
   */
  wrapDataSource?(source: GatewayDataSource, env: DataSourceEnv): GatewayDataSource;
  /** Extra HTTP routes, keyed by "METHOD /path" (see createHttpService). */
  routes?: Readonly<Record<string, Route>>;
  /** Fields added to the /health/ready JSON. */
  readinessDetails?(): Record<string, unknown>;
  /** Called with each supergraph the gateway starts serving (first load and every update). */
  onSupergraphLoad?(supergraph: LoadedSupergraph): void;
  /**
   * Called once the gateway is built, with a way to run GraphQL requests
   * in-process exactly as /graphql runs them (screens, context, Apollo's
   * plugins), for routes that speak another protocol over the graph (MCP).
   */
  attach?(graphql: GraphQLExecutor): void;
}

/** A subscription about to start: the queries (parsed, with the variables they run with) that its events will run through the gateway. */
export interface SubscriptionStart {
  eventQueries: readonly { document: DocumentNode; variables: Record<string, unknown> }[];
}

/** A GraphQL request run on behalf of an HTTP request that arrived at another route. */
export interface GraphQLCall {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  /**
   * The document was derived by the gateway from one that already passed the
   * screens (a subscription's selection, run as a query for each event): the
   * screens are not run again on it, Apollo's plugins still are.
   */
  derived?: boolean;
}

/** The answer to a GraphQLCall: the status and JSON body /graphql would have sent. */
export interface GraphQLCallResult {
  status: number;
  body: {
    data?: Record<string, unknown> | null;
    errors?: readonly { message: string; extensions?: Record<string, unknown> }[];
    extensions?: Record<string, unknown>;
  };
}

/** Runs GraphQL requests as the caller of `req` (its headers, its identity), through every plugin /graphql goes through. */
export interface GraphQLExecutor {
  execute(req: IncomingMessage, call: GraphQLCall): Promise<GraphQLCallResult>;
  /**
   * The plugins' beforeRequest hooks (CORS, authentication, rate limits) for
   * a request that did not come through the HTTP routes (a WebSocket's
   * upgrade): their refusal as a GraphQL answer, or undefined when admitted
   * (the identity found is then the request's context, as for /graphql).
   */
  admit(req: IncomingMessage): Promise<GraphQLCallResult | undefined>;
  /** The plugins' screens (trusted documents) for a document not sent to /graphql itself; the refusal, if any. */
  screen(req: IncomingMessage, params: GraphQLParams): Promise<RequestRefusal | undefined>;
  /** The plugins' subscription checks (demand control) as the caller of `req`; the first refusal, if any. */
  checkSubscription(req: IncomingMessage, start: SubscriptionStart): Promise<GraphQLError | undefined>;
  /** The plugins' validation rules (operation limits), for documents validated outside Apollo. */
  readonly validationRules: readonly ValidationRule[];
}

/**
 * The per-request context every resolver and subgraph hook sees. Plugins add
 * their own fields with declaration merging, e.g.
 * `declare module '../plugin' { interface GatewayContext { identity?: Identity } }`,
 * so the core never needs to know them.
 */
export interface GatewayContext {
  /** The incoming HTTP request, as far as plugins may need it. */
  request: IncomingRequest;
}

/** The parts of the client's HTTP request that context contributions may read. */
export interface IncomingRequest {
  method: string;
  url: string;
  /** Lower-cased names; repeated headers joined with ", " as HTTP allows. */
  headers: Readonly<Record<string, string>>;
  /** The peer's address (a proxy's, behind one); '' when the socket has closed. */
  remoteAddress: string;
}

/** Builds each client request's context; the default merges the plugins' contributions in list order. */
export type ContextBuilder = (request: IncomingRequest) => Promise<GatewayContext>;

/** What every subgraph hook knows about the subgraph it talks to. */
export interface SubgraphInfo {
  /** Service name in the supergraph. */
  name: string;
  /** Human name of its area, for messages to clients. */
  area: string;
  /** The URL actually used (overrides applied). */
  url: string;
}

/** A subgraph request about to be sent. */
export interface SubgraphRequest {
  subgraph: SubgraphInfo;
  /** Apollo's options: `options.request.http.headers` is what goes on the wire. */
  options: GraphQLDataSourceProcessOptions<GatewayContext>;
  /** The client request's context; absent for the gateway's own health checks and schema loads. */
  context?: GatewayContext;
}

/** A subgraph response as received. */
export interface SubgraphResponse {
  subgraph: SubgraphInfo;
  request: GatewayGraphQLRequest;
  response: GatewayGraphQLResponse;
  context?: GatewayContext;
}

/** A failed subgraph request. */
export interface SubgraphFailure {
  subgraph: SubgraphInfo;
  error: Error;
  request?: GatewayGraphQLRequest;
  /** The HTTP response, when there was one. */
  response?: FetcherResponse;
  context?: GatewayContext;
  /** True when the subgraph did not answer or answered 5xx: the cases a client sees as SUBGRAPH_UNAVAILABLE. */
  unreachable: boolean;
}

/** A data source of the gateway, typed with our context. */
export type GatewayDataSource = GraphQLDataSource<GatewayContext>;

/** What a data source wrapper may use besides the data source it wraps. */
export interface DataSourceEnv {
  subgraph: SubgraphInfo;
  /** The served data source of another subgraph, at the same wrapping depth; undefined when it is not served. */
  peer(name: string): GatewayDataSource | undefined;
  logger: Logger;
}

/** The supergraph being served, as onSupergraphLoad receives it. */
export interface LoadedSupergraph {
  coreSupergraphSdl: string;
  apiSchema: GraphQLSchema;
  /** Parsed once by the core, so plugins need not rebuild it to read subgraph schemas. */
  supergraph: Supergraph;
}

const taken = new WeakMap<IncomingMessage, IncomingRequest>();

/**
 * The request facts a context builder needs, taken once from Node's request
 * so plugins never parse it themselves. The same object for the same request,
 * so beforeRequest and context() of one plugin can share per-request work.
 */
export function incomingRequest(req: IncomingMessage): IncomingRequest {
  const known = taken.get(req);
  if (known) return known;
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  const request = { method: req.method ?? 'GET', url: req.url ?? '/', headers, remoteAddress: req.socket.remoteAddress ?? '' };
  taken.set(req, request);
  return request;
}

/** The plugins' beforeRequest hooks as one HTTP guard, in list order; the first that answers ends the chain. */
export function requestGuard(plugins: readonly GatewayPlugin[]): ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>) | undefined {
  const guards = plugins.filter((p) => p.beforeRequest);
  if (!guards.length) return undefined;
  return async (req, res) => {
    const request = incomingRequest(req);
    for (const plugin of guards) if (await plugin.beforeRequest!(request, res)) return true;
    return false;
  };
}

/** The plugins' screenRequest hooks as one, in list order; the context is built only when some plugin screens. */
export function requestScreen(plugins: readonly GatewayPlugin[]): HttpServiceOptions<GatewayContext>['screenRequest'] {
  const screens = plugins.filter((p) => p.screenRequest);
  if (!screens.length) return undefined;
  return async (params, context) => {
    const contextValue = await context();
    for (const plugin of screens) {
      const refusal = await plugin.screenRequest!(params, contextValue);
      if (refusal) return refusal;
    }
    return undefined;
  };
}

/** The default context builder: the request itself, then each plugin's contribution, in list order (later plugins may read earlier fields). */
export function createContextBuilder(plugins: readonly GatewayPlugin[]): ContextBuilder {
  const contributors = plugins.filter((p) => p.context);
  return async (request) => {
    const context: GatewayContext = { request };
    for (const plugin of contributors) Object.assign(context, await plugin.context!(request, context));
    return context;
  };
}

const calls = new AsyncLocalStorage<GatewayContext>();

/**
 * Runs one data-source call with the client request's context it serves, so
 * the fetcher wrappers below it can read per-request values (the deadline)
 * without carrying them on the wire.
 */
export function withSubgraphCallContext<T>(context: GatewayContext | undefined, call: () => T): T {
  return context ? calls.run(context, call) : calls.exit(call);
}

/** In a fetcher wrapper: the context of the client request this subgraph call serves; undefined for the gateway's own calls (health checks, schema loads). */
export function subgraphCallContext(): GatewayContext | undefined {
  return calls.getStore();
}
