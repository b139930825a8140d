import { Supergraph } from '@apollo/federation-internals';
import { validate } from 'graphql';
import { ConfigError } from '@qsmo/service-kit/errors';
import { EnvReader } from '@qsmo/service-kit/config';
import { createLogger } from '@qsmo/service-kit/logger';
import { DEFAULT_OPERATION_LIMITS, MAX_EXPANDED_FIELDS, operationLimitRules, readOperationLimits, subgraphLimits } from '@qsmo/service-kit/limits';
import { costModelOfSupergraph, estimateCost } from '@qsmo/service-kit/cost';
import { DEFAULT_COST_BUDGETS, readCostBudgets } from '@qsmo/service-kit/demand-control';
import { composeSupergraph, localSubgraphSources } from '../src/compose';
import { loadOperationsLibrary, localApiSchema } from '../src/operations';
import type { GatewayContext, GatewayPlugin } from '../src/plugin';
import { useOperationLimits } from '../src/plugins/operation-limits';
import { useRequestHygiene } from '../src/plugins/request-hygiene';
import { useTrustedDocuments, type TrustedDocumentsMode } from '../src/plugins/trusted-documents';
import { createGatewayServer, type GatewayServer } from '../src/server';
import { SUBGRAPHS } from '../src/subgraphs';
import { documentHash, readTrustedDocuments, trustedDocumentsManifest } from '../src/trusted-documents';
import { DIRECTORY } from '@qsmo/service-kit/subgraphs';

process.env.APOLLO_TELEMETRY_DISABLED = '1';

/**
 * Operation limits and trusted documents at the gateway, over HTTP, with the
 * real composed schema and no subgraph running: every document here is
 * refused (or answered, `__typename`) before any subgraph would be asked.
 */
const supergraphSdl = composeSupergraph(
  localSubgraphSources(
    // Nothing listens here: a test that reached a subgraph would fail loudly.
    [...SUBGRAPHS, DIRECTORY].map((s) => ({ name: s.name, area: s.area, url: `http://127.0.0.1:9/${s.name}` })),
  ),
).supergraphSdl;
const library = loadOperationsLibrary();

/** Marks a request as an analyst's when it carries `x-test-role: analyst`, as the identity plugin would. */
const testIdentity: GatewayPlugin = {
  name: 'test-identity',
  context: (request) =>
    ({
      identity: { subject: 'test', issuer: null, roles: request.headers['x-test-role'] ? [request.headers['x-test-role']] : [], qsmos: [] },
    }) as unknown as Partial<GatewayContext>,
};

interface Running {
  server: GatewayServer;
  url: string;
}
const running: Running[] = [];
async function start(plugins: GatewayPlugin[], options: { hideSchemaDetails?: boolean } = {}): Promise<string> {
  const server = createGatewayServer({ supergraph: supergraphSdl, plugins, logger: createLogger('gateway', 'silent'), ...options });
  const url = await server.http.listen(0, '127.0.0.1');
  running.push({ server, url });
  return url;
}
afterEach(async () => {
  for (const r of running.splice(0)) await r.server.http.stop();
});

interface Answer {
  status: number;
  ms: number;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}
async function send(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Answer['body'], ms: performance.now() - started };
}
const first = (a: Answer) => a.body.errors?.[0];

describe('the default limits', () => {
  test("every operation of gateway/operations passes them, at the gateway and with a subgraph's headroom", () => {
    const schema = localApiSchema();
    for (const limits of [DEFAULT_OPERATION_LIMITS, subgraphLimits(DEFAULT_OPERATION_LIMITS)]) {
      const problems = library.flatMap((op) => validate(schema, op.document, operationLimitRules(limits)).map((e) => `${op.file}: ${e.message}`));
      expect(problems).toEqual([]);
    }
  });

  test("every operation of gateway/operations, with its sample variables and with a full page (first: 100), fits its audience's cost budget at least twice over (the anonymous reader's; the analyst's for analysts)", () => {
    const supergraph = Supergraph.build(supergraphSdl);
    const model = costModelOfSupergraph(supergraph, supergraph.apiSchema().toGraphQLJSSchema());
    const estimates = library.map((op) => {
      const fullPage = op.document.definitions.some(
        (d) => d.kind === 'OperationDefinition' && d.variableDefinitions?.some((v) => v.variable.name.value === 'first'),
      );
      return {
        op: op.name,
        audience: op.audience,
        sample: estimateCost(model, op.document, op.name, op.variables),
        fullPage: fullPage ? estimateCost(model, op.document, op.name, { ...op.variables, first: 100 }) : undefined,
      };
    });
    // The table of estimates, for the record of what each operation costs.
    console.log(estimates.map((e) => `${e.op} (${e.audience}): ${e.sample}${e.fullPage === undefined ? '' : `, first: 100 → ${e.fullPage}`}`).join('\n'));
    // Analysts sign in: their operations (the cross-marketplace questions among them) are held to the analyst's budget.
    const budgetOf = (audience: string) => (audience === 'analysts' ? DEFAULT_COST_BUDGETS.analyst : DEFAULT_COST_BUDGETS.anonymous);
    for (const e of estimates) expect([e.op, Math.max(e.sample, e.fullPage ?? 0) * 2 <= budgetOf(e.audience)]).toEqual([e.op, true]);
  });

  test('a bad MAX_* or COST_BUDGET_* value stops start-up with a message naming it; a leftover MAX_COST names the settings that replace it', () => {
    const env = new EnvReader({ MAX_DEPTH: 'deep', MAX_COST: '5000', COST_BUDGET_ANALYST: '0' });
    readOperationLimits(env);
    readCostBudgets(env);
    expect(() => env.done()).toThrow(ConfigError);
    try {
      env.done();
    } catch (e) {
      expect((e as Error).message).toMatch(/MAX_DEPTH="deep" must be a positive whole number/);
      expect((e as Error).message).toMatch(
        /MAX_COST is no longer read: .*Remove MAX_COST and set COST_BUDGET_ANONYMOUS \(default 5000\), COST_BUDGET_ANALYST \(default 50000\), COST_BUDGET_EDITOR \(default 50000\) instead\./,
      );
      expect((e as Error).message).toMatch(/COST_BUDGET_ANALYST="0" must be a positive whole number/);
    }
  });
});

describe('useOperationLimits refuses with 400, naming the limit, the value found and the setting', () => {
  const small = { maxDepth: 4, maxAliases: 3, maxTokens: 200, maxDirectives: 3, maxRecursion: 2 };
  const cases: [string, string, RegExp][] = [
    [
      'depth',
      '{ agencies { edges { node { grantsManagement { offerings { provider { name } } } } } } }',
      /Query depth limit of 4 exceeded, found \d+ \(MAX_DEPTH\)/,
    ],
    ['aliases', '{ a: qsmos { name } b: qsmos { name } c: qsmos { name } d: qsmos { name } }', /Aliases limit of 3 exceeded, found 4 \(MAX_ALIASES\)/],
    [
      'directives',
      '{ qsmos { name @include(if: true) shortName @include(if: true) designatedOn @skip(if: false) leadAgency @skip(if: false) { code } } }',
      /Directives limit of 3 exceeded, found 4 \(MAX_DIRECTIVES\)/,
    ],
    [
      'recursion',
      '{ grantsManagement { capability(code: "GRM.030") { children { parent { children { parent { children { code } } } } } } } }',
      /Recursion limit of 2 exceeded, found GrantsManagementCapability\.children nested 3 times \(MAX_RECURSION\)/,
    ],
  ];
  test.each(cases)('%s', async (what, query, message) => {
    // Deep enough for the recursion case to meet its own limit first.
    const url = await start([useOperationLimits({ ...small, maxDepth: what === 'depth' ? small.maxDepth : 20 })]);
    const answer = await send(url, { query });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toHaveLength(1);
    expect(first(answer)?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(first(answer)?.message).toMatch(message);
  });

  test('tokens: the parser stops at the limit and the message gives the count', async () => {
    const url = await start([useOperationLimits(small)]);
    const answer = await send(url, { query: `{ ${'__typename '.repeat(500)} }` });
    expect(answer.status).toBe(400);
    expect(first(answer)?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(first(answer)?.message).toBe(
      'Token limit of 200 exceeded, found 502 (MAX_TOKENS): send a smaller document. See docs/reference/error-codes.md#graphql_parse_failed.',
    );
  });

  test('recursion through fragments counts too, and a fragment bomb is refused', async () => {
    const url = await start([useOperationLimits({ ...small, maxDepth: 20, maxTokens: 5_000 })]);
    const viaFragments = await send(url, {
      query: `
      { providers { edges { node { ...P } } } }
      fragment P on Provider { grantsManagement { offerings { ...O } } }
      fragment O on GrantsManagementOffering { provider { grantsManagement { offerings { provider { grantsManagement { offerings { name } } } } } } }`,
    });
    expect(viaFragments.status).toBe(400);
    expect(first(viaFragments)?.message).toMatch(/Recursion limit of 2 exceeded, found \w+\.\w+ nested 3 times \(MAX_RECURSION\)/);
    // Each fragment spreads the next twice: 2^40 fields once expanded, in under 300 tokens.
    const levels = Array.from({ length: 40 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join('\n');
    const bomb = await send(url, { query: `{ ...F0 }\n${levels}\nfragment F40 on Query { __typename }` });
    expect(bomb.status).toBe(400);
    expect(bomb.body.errors?.map((e) => e.message)).toContain(
      `The operation expands to more than ${MAX_EXPANDED_FIELDS} fields through its fragments: use fewer fragment spreads. See docs/reference/error-codes.md#graphql_validation_failed.`,
    );
    expect(bomb.ms).toBeLessThan(1_000);
  });
});

describe('hygiene', () => {
  test('suggestions are hidden where asked (production), shown otherwise', async () => {
    const hidden = await send(await start([], { hideSchemaDetails: true }), { query: '{ agencie { name } }' });
    expect(hidden.status).toBe(400);
    expect(first(hidden)?.message).not.toMatch(/Did you mean/);
    const shown = await send(await start([], { hideSchemaDetails: false }), { query: '{ agencie { name } }' });
    expect(first(shown)?.message).toMatch(/Did you mean "agencies"/);
  });

  test("an unknown operationName is the caller's mistake: 400", async () => {
    const answer = await send(await start([useRequestHygiene()]), { query: 'query A { __typename }', operationName: 'B' });
    expect(answer.status).toBe(400);
    expect(first(answer)?.message).toMatch(/Unknown operation named "B"/);
  });

  test('a batched (array) body is refused with 400', async () => {
    const answer = await send(await start([]), [{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(answer.status).toBe(400);
  });
});

describe('useTrustedDocuments', () => {
  const ping = 'query Ping { __typename }\n';
  const documents = new Map([[documentHash(ping), ping]]);
  const start_ = (mode: TrustedDocumentsMode) => start([testIdentity, useTrustedDocuments({ mode, documents })]);
  const hashOnly = (body: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: documentHash(body) } } });

  test('enforce: a library hash alone runs; an ad-hoc document is refused with 400 naming the setting; an analyst or an editor may send one', async () => {
    const url = await start_('enforce');
    const byHash = await send(url, hashOnly(ping));
    expect(byHash).toMatchObject({ status: 200, body: { data: { __typename: 'Query' } } });
    const adHoc = await send(url, { query: '{ __typename }' });
    expect(adHoc.status).toBe(400);
    expect(first(adHoc)?.extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    expect(first(adHoc)?.message).toMatch(/TRUSTED_DOCUMENTS=enforce.*sign in as an analyst or an editor/);
    // The full text of a trusted document is as good as its hash.
    expect((await send(url, { query: ping })).status).toBe(200);
    // Registering an ad-hoc document as a persisted query is refused too, and so is a hash the library does not hold.
    expect((await send(url, { query: '{ __typename }', ...hashOnly('{ __typename }') })).status).toBe(400);
    expect(first(await send(url, hashOnly('{ __typename }')))?.extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    expect((await send(url, { query: '{ __typename }' }, { 'x-test-role': 'analyst' })).status).toBe(200);
    // Editors maintain their catalog with mutations no library operation covers.
    expect((await send(url, { query: '{ __typename }' }, { 'x-test-role': 'editor' })).status).toBe(200);
  });

  test('allow: library hashes resolve and ad-hoc documents run; off: plain APQ (register, then the hash alone)', async () => {
    const allow = await start_('allow');
    expect((await send(allow, hashOnly(ping))).status).toBe(200);
    expect((await send(allow, { query: '{ __typename }' })).status).toBe(200);
    const off = await start_('off');
    const adHoc = '{ q: __typename }';
    expect(first(await send(off, hashOnly(adHoc)))?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await send(off, { query: adHoc, ...hashOnly(adHoc) })).status).toBe(200);
    expect(await send(off, hashOnly(adHoc))).toMatchObject({ status: 200, body: { data: { q: 'Query' } } });
  });

  test('the manifest holds every library operation under the APQ hash of its text, and refuses a tampered entry', () => {
    const manifest = trustedDocumentsManifest(library);
    expect(manifest.operations.map((o) => o.name)).toEqual(library.map((op) => op.name));
    const documentsOnDisk = readTrustedDocuments();
    for (const op of library) expect(documentsOnDisk.get(documentHash(op.source))).toBe(op.source);
    const fs = jest.requireActual<typeof import('node:fs')>('node:fs');
    const os = jest.requireActual<typeof import('node:os')>('node:os');
    const file = `${fs.mkdtempSync(`${os.tmpdir()}/trusted-`)}/m.json`;
    fs.writeFileSync(file, JSON.stringify({ ...manifest, operations: [{ ...manifest.operations[0], body: '{ __schema { types { name } } }' }] }));
    expect(() => readTrustedDocuments(file)).toThrow(/does not match its hash; run npm run codegen/);
  });
});
