import path from 'node:path';
import { createLogger, type Logger } from '@qsmo/service-kit/logger';
import { createMetrics } from '@qsmo/service-kit/metrics';
import { packageDirOf } from '@qsmo/service-kit/subgraphs';
import { type DomainDefinition } from '@qsmo/subgraph-kit/domain/definition';
import { type SubgraphServer, type SubgraphServerDeps } from '@qsmo/subgraph-kit/subgraph/server';
import { composeSupergraph, localSubgraphSources } from '../../gateway/src/compose';
import { createGatewayServer, type GatewayDeps, type GatewayServer } from '../../gateway/src/server';
import { standardPlugins } from '../../gateway/src/plugins';
import { useOperationLimits } from '../../gateway/src/plugins/operation-limits';
import { useDemandControl } from '../../gateway/src/plugins/demand-control';
import { DEFAULT_OPERATION_LIMITS } from '@qsmo/service-kit/limits';
import { DEFAULT_COST_BUDGETS, subgraphCostBudgets, type CostBudgets } from '@qsmo/service-kit/demand-control';
import { DEFAULT_READ_MODEL, ReadModel } from '@qsmo/subgraph-kit/read-model';
import { SUBGRAPHS } from '../../gateway/src/subgraphs';
import { DIRECTORY } from '@qsmo/service-kit/subgraphs';
import { createDirectoryServer, marketplaceSources, type DirectoryServer } from '@qsmo/directory';
import { openSeededDatabase, type TestDatabase } from './db';
import { testPort } from './ports';

/** What every subgraph package exports for tests: its definition and its server builder. */
export interface SubgraphPackage {
  definition: DomainDefinition;
  createServer: (deps: Omit<SubgraphServerDeps, 'definition'>) => SubgraphServer;
}

/** Every subgraph package of the list, loaded from subgraphs/<name>/src, in list order. */
export const DOMAINS: SubgraphPackage[] = SUBGRAPHS.map((s) => {
  const { definition } = require(path.join(packageDirOf(s), 'src', 'definition')) as Pick<SubgraphPackage, 'definition'>;
  const { createServer } = require(path.join(packageDirOf(s), 'src', 'server')) as Pick<SubgraphPackage, 'createServer'>;
  return { definition, createServer };
});

export interface RunningSubgraph {
  name: string;
  server: SubgraphServer;
  database: TestDatabase;
  url: string;
}

/** The directory subgraph of a running graph; restart() stops it and starts a fresh one on the same port (its projection rebuilt from the marketplaces). */
export interface RunningDirectory {
  server: DirectoryServer;
  url: string;
  restart(): Promise<void>;
}

export interface RunningGraph {
  gateway: GatewayServer;
  gatewayUrl: string;
  subgraphs: Record<string, RunningSubgraph>;
  directory: RunningDirectory;
  stop(): Promise<void>;
}

/**
 * The whole graph over real HTTP on free ports: every subgraph, each on its
 * own seeded database, composed by a gateway, as clients see it in production.
 */
export interface GraphOptions {
  /** Opens a subgraph's database; by default a fresh one seeded with the real catalog. */
  openDatabase?: (definition: DomainDefinition) => Promise<TestDatabase>;
  /** Extra gateway routes, e.g. the browser IDE. */
  routes?: GatewayDeps['routes'];
  /** Gateway settings beyond the supergraph, as an entry point passes them; default plugins: the standard ones, the default operation limits and demand control. */
  gateway?: Omit<GatewayDeps, 'supergraph' | 'logger' | 'routes'>;
  /** Settings of every subgraph server (limits, hideSchemaDetails). */
  subgraph?: Omit<SubgraphServerDeps, 'definition' | 'db' | 'metrics'>;
  /** Each subgraph answers reads from its read model, as in production (default: off, every read goes to the database). */
  readModel?: boolean;
  /** The gateway's logger, for tests that check what it logs; default: silent. */
  logger?: Logger;
  /** Demand control's budgets at the gateway (with the default plugins), and twice them at every subgraph; default: the defaults. */
  costBudgets?: CostBudgets;
}

export async function startGraph(options: GraphOptions = {}): Promise<RunningGraph> {
  const subgraphs: Record<string, RunningSubgraph> = {};
  const readModels: (ReadModel | undefined)[] = [];
  await Promise.all(
    DOMAINS.map(async ({ definition, createServer }) => {
      const database = await (options.openDatabase ?? openSeededDatabase)(definition);
      const readModel = options.readModel
        ? new ReadModel(database.db, { ...DEFAULT_READ_MODEL, logger: createLogger(definition.serviceName, 'silent') })
        : undefined;
      await readModel?.start();
      const server = createServer({
        costBudgets: subgraphCostBudgets(options.costBudgets ?? DEFAULT_COST_BUDGETS),
        ...options.subgraph,
        db: database.db,
        metrics: database.metrics,
        readModel,
      });
      readModels.push(readModel);
      const url = await server.http.listen(0, '127.0.0.1');
      subgraphs[definition.serviceName] = { name: definition.serviceName, server, database, url };
    }),
  );
  const directory = await startDirectory(subgraphs, options);
  const { supergraphSdl } = composeSupergraph(
    localSubgraphSources([
      ...SUBGRAPHS.map((s) => ({ name: s.name, area: s.area, url: subgraphs[s.name]!.url })),
      { name: DIRECTORY.name, url: directory.url },
    ]),
  );
  const metrics = options.gateway?.metrics ?? createMetrics('gateway', { defaultMetrics: false });
  const gateway = createGatewayServer({
    plugins: [...standardPlugins({ metrics }), useOperationLimits(DEFAULT_OPERATION_LIMITS), useDemandControl(options.costBudgets)],
    ...options.gateway,
    metrics,
    supergraph: supergraphSdl,
    logger: options.logger ?? createLogger('gateway', 'silent'),
    routes: options.routes,
  });
  const gatewayUrl = await gateway.http.listen(0, '127.0.0.1');
  return {
    gateway,
    gatewayUrl,
    subgraphs,
    directory,
    async stop() {
      await gateway.http.stop();
      await directory.server.http.stop();
      for (const model of readModels) model?.stop();
      for (const s of Object.values(subgraphs)) {
        await s.server.http.stop();
        await s.database.drop();
      }
    },
  };
}

/** The directory over the graph's marketplaces, on a free port, ready once it has read them all. */
async function startDirectory(subgraphs: Record<string, RunningSubgraph>, options: GraphOptions): Promise<RunningDirectory> {
  const make = () =>
    createDirectoryServer({
      marketplaces: marketplaceSources((name) => subgraphs[name]!.url),
      costBudgets: subgraphCostBudgets(options.costBudgets ?? DEFAULT_COST_BUDGETS),
      // The subgraphs' signature settings: the directory signs its reads with that secret and requires it of the gateway alike.
      gatewaySignature: options.subgraph?.gatewaySignature,
      pollMs: 200,
      logger: createLogger(DIRECTORY.name, 'silent'),
    });
  const running: RunningDirectory = {
    server: make(),
    url: '',
    async restart() {
      await running.server.http.stop();
      const port = new URL(running.url).port;
      running.server = make();
      await running.server.start();
      await running.server.http.listen(Number(port), '127.0.0.1');
    },
  };
  await running.server.start();
  // A port no other test picks, because restart() binds it again after letting it go.
  running.url = await running.server.http.listen(await testPort(), '127.0.0.1');
  return running;
}

/** The number of MongoDB commands a subgraph has sent so far, read from its /metrics endpoint. */
export async function mongoCommandCount(subgraph: RunningSubgraph): Promise<number> {
  const text = await (await fetch(subgraph.url.replace(/\/graphql$/, '/metrics'))).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^mongodb_commands_total\{([^}]*)\} (\d+(?:\.\d+)?)$/.exec(line);
    // The gateway's background poll of each subgraph's data version reads `_meta`: not part of any request.
    if (m && !/collection="_meta"/.test(m[1]!)) total += Number(m[2]);
  }
  return total;
}
