import { spawnSync } from 'node:child_process';
import { validate } from 'graphql';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import type {
  AgencyPortfolioQuery,
  FibfFunctionCoverageQuery,
  MarketplaceTotalsQuery,
  ProviderAcrossMarketplacesQuery,
  QsmosOverviewQuery,
} from '../operations/generated/operations';
import { loadOperationsLibrary, localApiSchema } from '../src/operations';
import { post } from '../../test/support/graphql';
import { startGraph, type RunningGraph } from '../../test/support/graph';

/**
 * The operations library never rots: every operation validates against the
 * composed supergraph's API schema, runs end to end on the real catalog with
 * its sample variables, and its generated types are current.
 */
const library = loadOperationsLibrary();

test('the library covers the three user groups with described, uniquely named operations', () => {
  expect(new Set(library.map((op) => op.audience))).toEqual(new Set(['agencies', 'providers', 'analysts']));
  for (const op of library) expect(op.description.length).toBeGreaterThan(20);
  expect(library.map((op) => op.file)).toEqual(
    expect.arrayContaining([
      'agency-portfolio.graphql',
      'provider-across-marketplaces.graphql',
      'fibf-function-coverage.graphql',
      'grants-offerings-page.graphql',
    ]),
  );
});

test('every operation validates against the API schema of the composed supergraph', () => {
  const schema = localApiSchema();
  const problems = library.flatMap((op) => validate(schema, op.document).map((e) => `${op.file}: ${e.message}`));
  expect(problems).toEqual([]);
});

test('the generated types and schema are current (npm run codegen)', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'gateway/src/codegen-cli.ts', '--check'], { cwd: REPO_ROOT, encoding: 'utf8' });
  expect(result.stderr.replace(/npm warn.*\n/g, '')).toBe('');
  expect(result.status).toBe(0);
}, 60_000);

/** True when some leaf of the value is a non-null scalar: the operation found something. */
function hasValue(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.some(hasValue);
  if (typeof value === 'object') return Object.values(value).some(hasValue);
  return true;
}

describe('end to end through the gateway on the real catalog', () => {
  let graph: RunningGraph;
  beforeAll(async () => {
    graph = await startGraph();
  });
  afterAll(async () => {
    await graph.stop();
  });

  test.each(library.map((op) => [op.file, op] as const))('%s answers without errors and with data', async (_file, op) => {
    const r = await post(graph.gatewayUrl, op.source, op.variables);
    expect(r.errors).toBeUndefined();
    expect(r.status).toBe(200);
    for (const [field, value] of Object.entries(r.data ?? {})) expect([field, value]).not.toEqual([field, null]);
    expect(hasValue(r.data)).toBe(true);
  });

  const run = <T>(file: string, variables?: Record<string, unknown>) => {
    const op = library.find((o) => o.file === file)!;
    return post<T>(graph.gatewayUrl, op.source, variables ?? op.variables);
  };

  test('the examples answer what their titles promise', async () => {
    const portfolio = (await run<AgencyPortfolioQuery>('agency-portfolio.graphql')).data!;
    expect(portfolio.agency?.grantsManagement?.offerings.map((o) => o.name)).toEqual(expect.arrayContaining(['GrantSolutions', 'eRA']));
    const provider = (await run<ProviderAcrossMarketplacesQuery>('provider-across-marketplaces.graphql')).data!;
    expect(provider.provider?.grantsManagement?.offerings.map((o) => o.id)).toEqual(['grm-ibc-indirect-cost-negotiation']);
    expect(provider.provider?.financialManagement?.offeringCount).toBe(1);
    expect(provider.provider?.acquisition?.offerings.map((o) => o.id)).toEqual(['acq-doi-ibc-acquisition-services']);
    const qsmos = (await run<QsmosOverviewQuery>('qsmos-overview.graphql')).data!;
    expect(qsmos.qsmos.find((q) => q.domain === 'ACQUISITION')).toMatchObject({
      leadAgency: { code: '047' },
      designatedOn: null,
      designation: { phase: 'PRE_DESIGNATED' },
    });
    const fibf = (await run<FibfFunctionCoverageQuery>('fibf-function-coverage.graphql')).data!;
    expect(fibf.grantsManagement?.capability?.children.map((c) => c.code)).toEqual(['GRM.030.010', 'GRM.030.020']);
    const totals = (await run<MarketplaceTotalsQuery>('marketplace-totals.graphql')).data!;
    expect(totals.grantsManagement?.stats.offeringCount).toBe(15);
  });
});
