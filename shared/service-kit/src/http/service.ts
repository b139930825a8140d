import { createHash, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { EnvReader } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { ErrorCode } from '../errors';
import { checkGraphQLRequest, jsonNestingRefusal, type GraphQLParams, type RequestRefusal } from './request-checks';
import {
  ConnectionTracker,
  DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
  readConnectionLimits,
  type ConnectionLimits,
  type ShedAction,
  type ShedCap,
} from './connections';

/**
 * The HTTP layer every service shares: GraphQL at /graphql, Prometheus
 * metrics, liveness and readiness probes, and graceful draining. A tiny
 * router of our own instead of a web framework: these five routes are all
 * the graph needs.
 */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/**
 * A route that takes only some of the requests at its path, e.g. browsers
 * asking for HTML at /graphql; the others go on to the built-in handling.
 */
export interface ConditionalRoute {
  accepts(req: IncomingMessage): boolean;
  handle: RouteHandler;
}

export type Route = RouteHandler | ConditionalRoute;

export interface HttpServiceOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  context: (req: IncomingMessage) => Promise<TContext>;
  metrics: Metrics;
  logger: Logger;
  /** Readiness beyond "started and not draining": e.g. the database answers. */
  isReady?: () => Promise<boolean> | boolean;
  /** Extra routes keyed by "METHOD /path", checked before /graphql (e.g. the IDE at "GET /"). */
  routes?: Record<string, Route>;
  /** Extra fields of the /health/ready JSON (e.g. the supergraph version the gateway serves). */
  readinessDetails?: () => Record<string, unknown>;
  maxBodyBytes?: number;
  /**
   * Runs for every request before any route (CORS, authentication, rate
   * limits). Resolves true when it has answered the request itself (a 401,
   * a 429, a preflight); headers it sets stay on the response otherwise.
   */
  beforeRequest?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;
  /** Who may read /metrics (see readMetricsAccess); default: anyone, as in development. */
  metricsAccess?: MetricsAccess;
  /** How long draining waits for in-flight requests before cutting connections. */
  drainTimeoutMs?: number;
  /**
   * How long stop() keeps accepting requests after readiness turns 503, so a
   * load balancer polling /health/ready takes the instance out of rotation
   * before connections are refused. 0 (the default) closes the listener at once.
   */
  drainDelayMs?: number;
  /**
   * GraphQL requests served at once; past it a request gets 503 with
   * Retry-After at once instead of queuing without limit (probes and
   * /metrics are never shed). Default 256.
   */
  maxInFlight?: number;
  /** How long a client may take to send a whole request, headers and body (default 10 s; Node's own is 300 s). */
  requestTimeoutMs?: number;
  /** How long a client may take to send the request headers (default 5 s). */
  headersTimeoutMs?: number;
  /**
   * Runs for each GraphQL request that passed the checks before Apollo,
   * before Apollo parses or validates its document: resolves with a refusal
   * to answer the request without Apollo (e.g. a document that is not
   * trusted), so nothing about the schema is learnt from it. `context` is
   * the request's context, built once and shared with Apollo.
   */
  screenRequest?: (params: GraphQLParams, context: () => Promise<TContext>) => Promise<RequestRefusal | undefined>;
  /**
   * Caps on open connections, per client address and in all (see
   * connections.ts); health and metrics connections count too. Default: no caps.
   */
  connectionLimits?: ConnectionLimits;
  /** How long an idle keep-alive connection is kept (default 65 s, see DEFAULT_KEEP_ALIVE_TIMEOUT_MS). */
  keepAliveTimeoutMs?: number;
}

/**
 * The serving settings a process reads from its environment: draining
 * (DRAIN_DELAY_MS, DRAIN_TIMEOUT_MS) and the limits that keep slow or
 * numerous clients from holding the process (MAX_IN_FLIGHT,
 * HTTP_REQUEST_TIMEOUT_MS, HTTP_HEADERS_TIMEOUT_MS, MAX_CONNECTIONS,
 * MAX_CONNECTIONS_PER_CLIENT, HTTP_KEEP_ALIVE_TIMEOUT_MS).
 */
export type DrainOptions = Pick<
  HttpServiceOptions<BaseContext>,
  'drainDelayMs' | 'drainTimeoutMs' | 'maxInFlight' | 'requestTimeoutMs' | 'headersTimeoutMs' | 'connectionLimits' | 'keepAliveTimeoutMs'
>;

/**
 * Reads DrainOptions once at the entry point; a headers timeout longer than
 * the request timeout is reported, as Node would ignore it. The per-client
 * connection cap is off unless `defaults` turns it on: a service's callers
 * may all share one address (a subgraph's are gateways).
 */
export function readDrainOptions(env: EnvReader, defaults: { maxConnectionsPerClient?: number } = {}): DrainOptions {
  const requestTimeoutMs = env.positiveInt('HTTP_REQUEST_TIMEOUT_MS', DEFAULT_REQUEST_TIMEOUT_MS);
  const headersTimeoutMs = env.positiveInt('HTTP_HEADERS_TIMEOUT_MS', Math.min(DEFAULT_HEADERS_TIMEOUT_MS, requestTimeoutMs));
  if (headersTimeoutMs > requestTimeoutMs)
    env.problem(
      `HTTP_HEADERS_TIMEOUT_MS=${headersTimeoutMs} is longer than HTTP_REQUEST_TIMEOUT_MS=${requestTimeoutMs}: the headers are part of the request, so lower it.`,
    );
  return {
    drainDelayMs: env.nonNegativeInt('DRAIN_DELAY_MS', 0),
    drainTimeoutMs: env.positiveInt('DRAIN_TIMEOUT_MS', 10_000),
    maxInFlight: env.positiveInt('MAX_IN_FLIGHT', DEFAULT_MAX_IN_FLIGHT),
    requestTimeoutMs,
    headersTimeoutMs,
    connectionLimits: readConnectionLimits(env, { perClient: defaults.maxConnectionsPerClient ?? 0 }),
    keepAliveTimeoutMs: env.positiveInt('HTTP_KEEP_ALIVE_TIMEOUT_MS', DEFAULT_KEEP_ALIVE_TIMEOUT_MS),
  };
}

export { DEFAULT_MAX_CONNECTIONS_PER_CLIENT };
export const DEFAULT_MAX_IN_FLIGHT = 256;
/**
 * Longer than the idle timeout of the load balancers usually in front (60 s
 * on AWS's), so the balancer closes an idle connection first and never sends
 * a request on one the service is closing. Holding idle connections this
 * long is safe because admission closes the oldest idle one when a cap is
 * reached; a service facing clients directly may lower it.
 */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Admission's warning about closed or refused connections is written at most this often, with the counts since the last one. */
const SHED_LOG_INTERVAL_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 5_000;
/**
 * While draining, a keep-alive connection is closed only once it has been
 * idle this long. Closing an idle socket races a request the client is
 * sending on it, which the client sees as a reset; a busy client instead gets
 * `Connection: close` on its next answer and closes it itself. Closing idle
 * connections sooner once nobody seemed to be sending (100 ms, then 500 ms of
 * quiet) still reset a request now and then: a client process paused by its
 * own work between two requests looks quiet, and then writes its next request
 * onto the socket being closed. An idle client costs the drain at most this.
 */
const DRAIN_IDLE_MS = 1_500;

/** True for a request the client gave up on (closed the socket): nothing to answer, nothing to log as an error. */
function isClientAbort(req: IncomingMessage, error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return req.destroyed || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (error as Error)?.message === 'aborted';
}

/**
 * Who may read /metrics: with a token, only callers sending it as a Bearer
 * token; without one, everyone when `open`, nobody otherwise. Metrics name
 * operations, clients and collections, so production keeps them closed.
 */
export interface MetricsAccess {
  token?: string;
  open: boolean;
}

/** The shortest METRICS_TOKEN accepted: it is a password, compared in constant time. */
export const MIN_METRICS_TOKEN_LENGTH = 16;

/**
 * METRICS_TOKEN (a Bearer token for /metrics) and METRICS_PUBLIC (open
 * without one; default true except with NODE_ENV=production).
 */
export function readMetricsAccess(env: EnvReader): MetricsAccess {
  const token = env.string('METRICS_TOKEN');
  if (token !== undefined && token.length < MIN_METRICS_TOKEN_LENGTH) {
    env.problem(
      `METRICS_TOKEN is ${token.length} characters long: use at least ${MIN_METRICS_TOKEN_LENGTH} random characters (e.g. \`openssl rand -hex 24\`).`,
    );
  }
  return { token, open: env.boolean('METRICS_PUBLIC', env.string('NODE_ENV') !== 'production') };
}

/** Whether a request may read /metrics; the answer to send when not. */
function metricsRefusal(req: IncomingMessage, access: MetricsAccess | undefined): { status: number; message: string } | undefined {
  if (!access) return undefined;
  if (access.token === undefined) {
    return access.open
      ? undefined
      : { status: 403, message: 'Metrics are not public here: set METRICS_TOKEN and send it as "Authorization: Bearer <token>", or set METRICS_PUBLIC=true.' };
  }
  const sent = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (sent === undefined) return { status: 401, message: 'Metrics need the metrics token: send "Authorization: Bearer <METRICS_TOKEN>".' };
  // Digests first: timingSafeEqual needs equal lengths, and a length must not leak either.
  const digest = (v: string) => createHash('sha256').update(v).digest();
  if (!timingSafeEqual(digest(sent), digest(access.token))) return { status: 401, message: 'The metrics token is wrong: send the configured METRICS_TOKEN.' };
  return undefined;
}

export type ServiceState = 'starting' | 'ready' | 'draining' | 'stopped';

export interface HttpService {
  readonly server: http.Server;
  readonly state: ServiceState;
  /**
   * Listens, then starts Apollo (the gateway loads its supergraph here); the
   * probes answer 503 "starting" meanwhile. Port 0 picks a free port.
   * Resolves with the GraphQL URL once the service is ready.
   */
  listen(port: number, host?: string): Promise<string>;
  /**
   * Drains: readiness turns 503 at once, new connections are accepted for
   * drainDelayMs more, then the listener closes, in-flight requests finish
   * (or are cut after drainTimeoutMs) and Apollo stops. Idempotent.
   */
  stop(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `Request body is larger than ${limit} bytes: send a smaller query or variables.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

export function routeLabel(pathname: string): string {
  if (pathname === '/graphql' || pathname === '/mcp' || pathname === '/metrics' || pathname.startsWith('/health/') || pathname === '/') return pathname;
  return 'other';
}

export function createHttpService<TContext extends BaseContext>(options: HttpServiceOptions<TContext>): HttpService {
  const { apollo, metrics, logger } = options;
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  let state: ServiceState = 'starting';
  let apolloStarted = false;
  let starting: Promise<void> | undefined;

  async function handleGraphQL(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown;
    if (req.method === 'POST') {
      const raw = await readBody(req, maxBody);
      const type = headers.get('content-type') ?? '';
      if (type.startsWith('application/json') || type.startsWith('application/graphql-response+json')) {
        // Before JSON.parse, so no deeply nested value ever exists to be walked.
        const deep = jsonNestingRefusal(raw, 'the request body');
        if (deep) throw new HttpError(deep.status, deep.message, deep.code);
        try {
          body = raw === '' ? {} : JSON.parse(raw);
        } catch {
          throw new HttpError(400, 'The request body is not valid JSON: send {"query": "...", "variables": {...}}.', ErrorCode.BAD_REQUEST);
        }
      } else {
        body = raw;
      }
    }
    const { params, refusal } = checkGraphQLRequest(req.method ?? 'GET', body, url.searchParams);
    if (refusal) throw new HttpError(refusal.status, refusal.message, refusal.code);
    let contextValue: Promise<TContext> | undefined;
    const context = () => (contextValue ??= options.context(req));
    const screened = await options.screenRequest?.(params, context);
    if (screened) throw new HttpError(screened.status, screened.message, screened.code);
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context,
    });
    res.statusCode = response.status ?? 200;
    for (const [key, value] of response.headers) res.setHeader(key, value);
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
    } else {
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = routeLabel(url.pathname);
    const method = req.method ?? 'GET';
    res.on('finish', () => {
      metrics.httpRequests.inc({ method, route, status: String(res.statusCode) });
      metrics.httpDuration.observe({ method, route }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    if (state === 'draining') res.setHeader('connection', 'close');
    try {
      if (options.beforeRequest && (await options.beforeRequest(req, res, url))) return;
      const custom = options.routes?.[`${method} ${url.pathname}`];
      const handler = typeof custom === 'function' ? custom : custom?.accepts(req) ? custom.handle : undefined;
      if (handler) return await handler(req, res);
      switch (`${method} ${url.pathname}`) {
        case 'GET /health/live':
          return sendJson(res, 200, { status: 'live' });
        case 'GET /health/ready': {
          const ready = state === 'ready' && (await (options.isReady?.() ?? true));
          return sendJson(res, ready ? 200 : 503, {
            status: ready ? 'ready' : state === 'ready' ? 'not ready' : state,
            ...options.readinessDetails?.(),
          });
        }
        case 'GET /metrics': {
          const refusal = metricsRefusal(req, options.metricsAccess);
          if (refusal) {
            if (refusal.status === 401) res.setHeader('www-authenticate', 'Bearer realm="metrics"');
            return sendJson(res, refusal.status, { errors: [{ message: refusal.message }] });
          }
          res.setHeader('content-type', metrics.registry.contentType);
          res.end(await metrics.registry.metrics());
          return;
        }
      }
      if (url.pathname === '/graphql') {
        // While draining, requests still arriving (the load balancer has not
        // seen readiness turn 503 yet, or a keep-alive connection) are served.
        if (!apolloStarted || state === 'starting' || state === 'stopped') throw new HttpError(503, `The service is ${state}; retry shortly.`);
        if (inFlight >= maxInFlight) {
          // Shedding at once keeps latency bounded for the requests already admitted.
          res.setHeader('retry-after', '1');
          throw new HttpError(503, `The service is at its limit of ${maxInFlight} requests in flight; retry after a second.`);
        }
        inFlight++;
        active.add(res);
        try {
          return await handleGraphQL(req, res, url);
        } finally {
          inFlight--;
          active.delete(res);
        }
      }
      throw new HttpError(404, `Nothing at ${url.pathname}: GraphQL is served at /graphql.`);
    } catch (error) {
      if (error instanceof HttpError) {
        // A client's mistake, refused before Apollo's request log saw it: one line, never at error level.
        if (error.code) logger.info(`refused ${method} ${url.pathname}: ${error.status} ${error.code}`);
        return sendJson(res, error.status, { errors: [{ message: error.message, ...(error.code ? { extensions: { code: error.code } } : {}) }] });
      }
      if (isClientAbort(req, error)) {
        logger.debug(`client closed the connection before ${method} ${url.pathname} was answered`);
        if (!res.destroyed) res.destroy();
        return;
      }
      logger.error('unhandled HTTP error', error);
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error' }] });
      else res.destroy();
    }
  }

  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  let inFlight = 0;
  const active = new Set<ServerResponse>();
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const server = http.createServer(
    {
      // Slow clients (a stalled body, headers sent a byte at a time) get 408 in seconds, not Node's 300 s.
      requestTimeout,
      headersTimeout: Math.min(options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, requestTimeout),
      // Node checks those timeouts every 30 s by default, which would add up to 30 s to each.
      connectionsCheckingInterval: 500,
    },
    (req, res) => void handle(req, res),
  );
  // Every open connection and its requests in progress: admission caps them, draining closes only the idle ones.
  const limits = options.connectionLimits ?? { max: 0, perClient: 0 };
  const shed = new Map<string, { count: number; clients: Set<string> }>();
  const reportShed = () => {
    // A flood is the clients' doing, not a fault of the service: a warning naming the cap and a few of the clients.
    if (shed.size) logger.warn(`connection caps reached: ${[...shed].map(([what, e]) => `${e.count} ${what}, from ${[...e.clients].join(', ')}`).join('; ')}`);
    shed.clear();
  };
  let shedTimer: NodeJS.Timeout | undefined;
  const connections = new ConnectionTracker(limits, (cap: ShedCap, action: ShedAction, client: string) => {
    metrics.httpConnectionsShed.inc({ cap, action });
    const what = `${action === 'evicted' ? 'idle connections closed' : 'new connections refused'} at ${cap === 'client' ? `MAX_CONNECTIONS_PER_CLIENT=${limits.perClient}` : `MAX_CONNECTIONS=${limits.max}`}`;
    const entry = shed.get(what) ?? { count: 0, clients: new Set<string>() };
    entry.count++;
    if (entry.clients.size < 5) entry.clients.add(client);
    shed.set(what, entry);
    // The first at once, then at most one line per interval with the counts since.
    if (shedTimer) return;
    reportShed();
    shedTimer = setTimeout(() => {
      shedTimer = undefined;
      reportShed();
    }, SHED_LOG_INTERVAL_MS).unref();
  });
  server.on('connection', (socket: net.Socket) => {
    if (!connections.admit(socket)) return;
    metrics.httpConnections.inc();
    socket.once('close', () => metrics.httpConnections.dec());
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    connections.requestStarted(req.socket);
    res.once('close', () => connections.requestEnded(req.socket));
  });
  // A connection upgraded to a WebSocket (live updates) is busy while it is open: never closed as idle, neither under a cap nor by a drain.
  server.on('upgrade', (req: IncomingMessage, socket: net.Socket) => {
    // Without a handler of its own besides this one, Node would have destroyed it: so does this.
    if (server.listenerCount('upgrade') <= 1) return void socket.destroy();
    connections.requestStarted(req.socket);
    req.socket.once('close', () => connections.requestEnded(req.socket));
  });
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
  let stopping: Promise<void> | undefined;

  return {
    server,
    get state() {
      return state;
    },
    async listen(port, host = '0.0.0.0') {
      server.listen(port, host);
      await once(server, 'listening');
      starting = apollo.start().then(() => {
        apolloStarted = true;
      });
      try {
        await starting;
      } catch (error) {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        state = 'stopped';
        throw error;
      }
      if (state !== 'starting') throw new Error(`The service was stopped while it was starting (${state}).`);
      state = 'ready';
      const caps = [
        limits.max ? `${limits.max} in all` : 'none in all',
        limits.perClient ? `${limits.perClient} per client address` : 'none per client address',
      ];
      logger.info(`connection caps: ${caps.join(', ')}; idle keep-alive connections kept ${server.keepAliveTimeout / 1000} s`);
      const address = server.address() as AddressInfo;
      return `http://localhost:${address.port}/graphql`;
    },
    stop() {
      stopping ??= (async () => {
        state = 'draining';
        if (server.listening) {
          const delay = options.drainDelayMs ?? 0;
          if (delay > 0) await new Promise((r) => setTimeout(r, delay));
          // Answers not yet begun tell their clients to close the connection.
          for (const res of active) if (!res.headersSent) res.setHeader('connection', 'close');
          // Stops listening without http.Server's close(), which would also
          // close idle keep-alive sockets at once, racing requests clients
          // are sending on them (a reset for the client).
          const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
          // Idle keep-alive sockets would hold close() open forever; in-flight ones finish first.
          const closeIdle = () => connections.closeIdle(DRAIN_IDLE_MS);
          const sweep = setInterval(closeIdle, 50);
          const timeout = setTimeout(() => server.closeAllConnections(), options.drainTimeoutMs ?? 10_000);
          await closed;
          clearInterval(sweep);
          clearTimeout(timeout);
        }
        // Apollo can only be stopped once it has started; a start still under
        // way (a gateway waiting for its first supergraph) is waited for.
        await starting?.catch(() => undefined);
        if (apolloStarted) await apollo.stop();
        state = 'stopped';
      })();
      return stopping;
    },
  };
}
