import { DATA_VERSION_PATH, type DataVersionAnswer } from '@qsmo/service-kit/data-version-protocol';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { DocumentNode } from 'graphql';
import type { Db } from 'mongodb';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyFieldRules, RESTRICTED_FIELDS, type FieldRules } from '../auth/field-guard';
import { gatewaySignatureGuard, type GatewaySignatureConfig } from '@qsmo/service-kit/auth/gateway-signature';
import { ANONYMOUS, type Identity } from '@qsmo/service-kit/auth/identity';
import { createContext, graphCollections, type GraphContext } from '../context';
import { CatalogStore, type WriteHooks } from '../domain/changes';
import { CHANGE_FEED_PATH, changeFeedRoute } from '../domain/change-feed';
import { DOMAIN_COLLECTIONS } from '../domain/data';
import type { DomainDefinition } from '../domain/definition';
import { createHttpService, type DrainOptions, type HttpService, type MetricsAccess } from '@qsmo/service-kit/http/service';
import { createLogger, type Logger } from '@qsmo/service-kit/logger';
import { DEFAULT_OPERATION_LIMITS, subgraphLimits, type OperationLimits } from '@qsmo/service-kit/limits';
import { createMetrics, type Metrics } from '@qsmo/service-kit/metrics';
import { pingDb } from '@qsmo/service-kit/mongo';
import { instrumentResolvers } from '../resolver-metrics';
import { readDataVersion, type ReadModel } from '../read-model';
import { subgraphTypeDefs } from './schema';
import { createSubgraphApollo } from './apollo';
import { DEFAULT_COST_BUDGETS, subgraphCostBudgets, type CostBudgets } from '@qsmo/service-kit/demand-control';

export { formatSubgraphError } from './apollo';

export interface SubgraphServerDeps {
  definition: DomainDefinition;
  db: Db;
  logger?: Logger;
  metrics?: Metrics;
  /** Overrides the whole SDL built from the subgraph's sources (schema rollout tests, with a definition whose resolvers match). */
  typeDefs?: DocumentNode;
  /** How stop() drains (see HttpServiceOptions). */
  drain?: DrainOptions;
  /** Whether requests must carry the gateway's signature, and its secret; default: unsigned requests are the anonymous reader. */
  gatewaySignature?: GatewaySignatureConfig;
  /** Fields only some roles may read; default RESTRICTED_FIELDS (tests pass their own). */
  restrictedFields?: FieldRules;
  /** Who may read /metrics; default: anyone. */
  metricsAccess?: MetricsAccess;
  /** What one document may ask for (see limits.ts); default: subgraphLimits of the gateway's defaults. */
  limits?: OperationLimits;
  /** The largest estimated cost of one operation per class of caller (see demand-control.ts); default: subgraphCostBudgets of the gateway's defaults. */
  costBudgets?: CostBudgets;
  /** Whether validation errors leave out field suggestions; by default only in production. */
  hideSchemaDetails?: boolean;
  /** Answers repeated reads from memory, exactly (see read-model.ts); default: every read goes to the database. */
  readModel?: ReadModel;
  /** Test seam of the catalog's writes: awaited between their steps (crash tests stop the process there). */
  writeHooks?: WriteHooks;
}

export interface SubgraphServer {
  apollo: ApolloServer<GraphContext>;
  http: HttpService;
  metrics: Metrics;
  /** The catalog's writer, for tools and tests that change the catalog as the mutations do. */
  catalog: CatalogStore;
  /** A fresh per-request context, for in-process executeOperation tests; anonymous unless an identity is given. */
  context(identity?: Identity): GraphContext;
}

/**
 * `GET /data-version`: this subgraph's data version (readDataVersion), which
 * changes with every catalog write through any replica or tool and every
 * seed. Gateways poll it to evict the cached answers they read from this
 * subgraph when its data changed elsewhere (useSubgraphChanges). An opaque
 * counter, so it needs no signature; 503 while the database cannot say.
 * With a read model, the version is the one this replica serves, and
 * `settleMs` says how long a sibling replica may lag behind it.
 */
function dataVersionRoute(db: Db, readModel: ReadModel | undefined, logger: Logger) {
  return async (_req: IncomingMessage, res: ServerResponse) => {
    let status = 200;
    let body: unknown;
    try {
      const answer: DataVersionAnswer = readModel
        ? { version: await readModel.dataVersion(), settleMs: readModel.lagMs }
        : { version: await readDataVersion(db), settleMs: 0 };
      body = answer;
    } catch (error) {
      logger.debug(`data version unavailable: ${(error as Error).message}`);
      status = 503;
      body = { errors: [{ message: 'The database cannot be read right now; retry shortly.' }] };
    }
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  };
}

/** Builds a subgraph server from its dependencies; listening is the caller's business. */
export function createSubgraphServer(deps: SubgraphServerDeps): SubgraphServer {
  const { definition } = deps;
  const logger = deps.logger ?? createLogger(definition.serviceName, 'warn');
  const metrics = deps.metrics ?? createMetrics(definition.serviceName, { defaultMetrics: false });
  // The audit trail grows with every change and is read only by history and the changes feed: kept per read, never whole.
  const collections = deps.readModel
    ? deps.readModel.wrapAll(graphCollections(deps.db), { notWhole: [DOMAIN_COLLECTIONS.changes] })
    : graphCollections(deps.db);
  const limits = deps.limits ?? subgraphLimits(DEFAULT_OPERATION_LIMITS);
  const hideSchemaDetails = deps.hideSchemaDetails ?? process.env.NODE_ENV === 'production';
  const typeDefs = deps.typeDefs ?? subgraphTypeDefs(definition.entry);
  const schema = applyFieldRules<GraphContext>(
    // Timed before the field rules wrap them, so a refused read is not counted as a resolver call.
    instrumentResolvers(buildSubgraphSchema([{ typeDefs, resolvers: definition.resolvers }]), metrics),
    deps.restrictedFields ?? RESTRICTED_FIELDS,
    definition.domain,
  );
  const apollo = createSubgraphApollo<GraphContext>({
    schema,
    typeDefs,
    logger,
    metrics,
    limits,
    hideSchemaDetails,
    costBudgets: deps.costBudgets ?? subgraphCostBudgets(DEFAULT_COST_BUDGETS),
  });
  const catalog = new CatalogStore({ db: deps.db, readModel: deps.readModel, logger, hooks: deps.writeHooks });
  const context = (identity: Identity = ANONYMOUS) => createContext(collections, identity, catalog);
  // The guard verifies the gateway's signature before the body is read; the context picks up what it found.
  const identities = new WeakMap<IncomingMessage, Identity>();
  const http: HttpService = createHttpService({
    apollo,
    context: async (req) => context(identities.get(req) ?? ANONYMOUS),
    beforeRequest: gatewaySignatureGuard(deps.gatewaySignature ?? { required: false }, definition.serviceName, identities),
    metricsAccess: deps.metricsAccess,
    metrics,
    logger,
    isReady: () => pingDb(deps.db),
    routes: {
      [`GET ${DATA_VERSION_PATH}`]: dataVersionRoute(deps.db, deps.readModel, logger),
      // Gateways follow it for live updates (Subscription.catalogChanged).
      [`GET ${CHANGE_FEED_PATH}`]: changeFeedRoute(deps.db, (): boolean => http.state !== 'ready', logger),
    },
    ...deps.drain,
  });
  return { apollo, http, metrics, catalog, context };
}
