import { DATA_VERSION_PATH, type DataVersionAnswer } from '@qsmo/service-kit/data-version-protocol';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gatewaySignatureGuard, type GatewaySignatureConfig } from '@qsmo/service-kit/auth/gateway-signature';
import { ANONYMOUS, type Identity } from '@qsmo/service-kit/auth/identity';
import { DEFAULT_COST_BUDGETS, subgraphCostBudgets, type CostBudgets } from '@qsmo/service-kit/demand-control';
import { createHttpService, type DrainOptions, type HttpService, type MetricsAccess } from '@qsmo/service-kit/http/service';
import { DEFAULT_OPERATION_LIMITS, subgraphLimits, type OperationLimits } from '@qsmo/service-kit/limits';
import { createLogger, type Logger } from '@qsmo/service-kit/logger';
import { createMetrics, type Metrics } from '@qsmo/service-kit/metrics';
import { createSubgraphApollo } from '@qsmo/subgraph-kit/subgraph/apollo';
import { DIRECTORY, SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { DirectoryProjection, type MarketplaceSource } from './projection';
import { readAgencies, readProviders } from '@qsmo/catalog/read';
import { directoryResolvers, type DirectoryContext, type DirectoryReference } from './resolvers';
import { directoryTypeDefs } from './schema';

/** The directory's service name: in the supergraph, logs, metrics and the signed identity's audience. */
export const DIRECTORY_NAME = DIRECTORY.name;

export interface DirectoryServerDeps {
  /** Where each marketplace of the list is read. */
  marketplaces: readonly MarketplaceSource[];
  /** GATEWAY_SIGNING_SECRET, GATEWAY_SIGNING_SECRETS_ACCEPTED and REQUIRE_GATEWAY_SIGNATURE: the signing secret alone signs the directory's reads; it and the accepted ones verify the gateway's requests. */
  gatewaySignature?: GatewaySignatureConfig;
  /** DIRECTORY_POLL_MS: how often the marketplaces' data versions are read; default 500. */
  pollMs?: number;
  /** DIRECTORY_READ_TIMEOUT_MS: how long one read of a marketplace may take; default 5,000. */
  readTimeoutMs?: number;
  /** DIRECTORY_FRESHEN_MS: how long a request waits for the marketplaces' current data versions before it is answered from the projection as it stands; default 250. */
  freshenMs?: number;
  logger?: Logger;
  metrics?: Metrics;
  limits?: OperationLimits;
  costBudgets?: CostBudgets;
  metricsAccess?: MetricsAccess;
  drain?: DrainOptions;
  hideSchemaDetails?: boolean;
  /** Its copy of the reference lists; default: read from the reference catalog (shared/catalog), as every subgraph seeds its own. */
  reference?: DirectoryReference;
}

export interface DirectoryServer {
  apollo: ApolloServer<DirectoryContext & { identity: Identity }>;
  http: HttpService;
  projection: DirectoryProjection;
  /** Reads every marketplace once and starts following them; call before listen, so the first answers are complete. */
  start(): Promise<void>;
}

export const DEFAULT_DIRECTORY_POLL_MS = 500;
export const DEFAULT_DIRECTORY_READ_TIMEOUT_MS = 5_000;
export const DEFAULT_DIRECTORY_FRESHEN_MS = 250;

/** The marketplaces of the one list at the given URLs (by service name): a QSMO added to the list is followed without any change here. */
export function marketplaceSources(urlOf: (name: string) => string): MarketplaceSource[] {
  return SUBGRAPHS.map((s) => ({ name: s.name, domain: s.domain, area: s.area, fieldName: s.fieldName, url: urlOf(s.name) }));
}

/**
 * The directory subgraph: `Query.offerings` across every marketplace and the
 * cross-QSMO counts on Agency and Provider, answered from its projection.
 * It answers with entity references; the owning marketplaces resolve the
 * rest of each offering.
 */
export function createDirectoryServer(deps: DirectoryServerDeps): DirectoryServer {
  const logger = deps.logger ?? createLogger(DIRECTORY_NAME, 'warn');
  const metrics = deps.metrics ?? createMetrics(DIRECTORY_NAME, { defaultMetrics: false });
  const limits = deps.limits ?? subgraphLimits(DEFAULT_OPERATION_LIMITS);
  const hideSchemaDetails = deps.hideSchemaDetails ?? process.env.NODE_ENV === 'production';
  const projection = new DirectoryProjection({
    marketplaces: deps.marketplaces,
    signingSecret: deps.gatewaySignature?.secret,
    pollMs: deps.pollMs ?? DEFAULT_DIRECTORY_POLL_MS,
    timeoutMs: deps.readTimeoutMs ?? DEFAULT_DIRECTORY_READ_TIMEOUT_MS,
    logger,
  });
  const reference = deps.reference ?? { agencies: readAgencies(), providers: readProviders() };
  const freshenMs = deps.freshenMs ?? DEFAULT_DIRECTORY_FRESHEN_MS;
  const typeDefs = directoryTypeDefs();
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: directoryResolvers(deps.marketplaces) as never }]);
  type Context = DirectoryContext & { identity: Identity };
  const apollo = createSubgraphApollo<Context>({
    schema,
    typeDefs,
    logger,
    metrics,
    limits,
    hideSchemaDetails,
    costBudgets: deps.costBudgets ?? subgraphCostBudgets(DEFAULT_COST_BUDGETS),
  });
  const identities = new WeakMap<IncomingMessage, Identity>();
  let started = false;
  const http = createHttpService<Context>({
    apollo,
    context: async (req) => {
      let fresh: Promise<void> | undefined;
      return { projection, reference, identity: identities.get(req) ?? ANONYMOUS, fresh: () => (fresh ??= projection.freshen(freshenMs)) };
    },
    beforeRequest: gatewaySignatureGuard(deps.gatewaySignature ?? { required: false }, DIRECTORY_NAME, identities),
    metricsAccess: deps.metricsAccess,
    metrics,
    logger,
    isReady: () => started,
    readinessDetails: () => ({ marketplacesUnread: projection.unread().map((m) => m.name) }),
    // The gateway's response cache follows this as it follows the marketplaces', so a cached list is evicted when the projection moves.
    routes: {
      [`GET ${DATA_VERSION_PATH}`]: (_req: IncomingMessage, res: ServerResponse) => {
        const answer: DataVersionAnswer = { version: projection.version(), settleMs: projection.settleMs() };
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(answer));
      },
    },
    ...deps.drain,
  });
  const stop = http.stop.bind(http);
  http.stop = async () => {
    projection.stop();
    await stop();
  };
  return {
    apollo,
    http,
    projection,
    async start() {
      await projection.start();
      started = true;
    },
  };
}
