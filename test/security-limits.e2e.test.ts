import { createLogger } from '@qsmo/service-kit/logger';
import { createMetrics } from '@qsmo/service-kit/metrics';
import { DEFAULT_OPERATION_LIMITS } from '@qsmo/service-kit/limits';
import { composeSupergraph, localSubgraphSources } from '../gateway/src/compose';
import { loadOperationsLibrary } from '../gateway/src/operations';
import { standardPlugins } from '../gateway/src/plugins';
import { useOperationLimits } from '../gateway/src/plugins/operation-limits';
import { useDemandControl } from '../gateway/src/plugins/demand-control';
import { useTrustedDocuments } from '../gateway/src/plugins/trusted-documents';
import { createGatewayServer } from '../gateway/src/server';
import { SUBGRAPHS } from '../gateway/src/subgraphs';
import { documentHash, readTrustedDocuments } from '../gateway/src/trusted-documents';
import { startGraph, type RunningGraph } from './support/graph';
import { DIRECTORY } from '@qsmo/service-kit/subgraphs';

process.env.APOLLO_TELEMETRY_DISABLED = '1';

/**
 * Hostile documents against the real graph over HTTP, set up as in
 * production (introspection off, suggestions hidden, the default limits at
 * the gateway and in every subgraph): each probe gets a clear 4xx naming the
 * limit within a bounded time and gateway CPU, and the graph keeps answering
 * other clients. The gateway and subgraphs run in this process, so the CPU
 * and heap measured are the whole graph's: an upper bound for the gateway's.
 */
interface Probe {
  name: string;
  status: number;
  ms: number;
  cpuMs: number;
  bytes: number;
  message: string;
}
const probes: Probe[] = [];

let graph: RunningGraph;
let heapBefore = 0;
beforeAll(async () => {
  graph = await startGraph({ gateway: { introspection: false, hideSchemaDetails: true }, subgraph: { hideSchemaDetails: true } });
  global.gc?.();
  heapBefore = process.memoryUsage().heapUsed;
}, 60_000);
afterAll(async () => {
  const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  // The measured table, for the record of what each probe costs.
  console.log(
    [
      'probe | status | wall ms | CPU ms (whole graph) | request bytes | message',
      ...probes.map((p) => `${p.name} | ${p.status} | ${p.ms.toFixed(0)} | ${p.cpuMs.toFixed(0)} | ${p.bytes} | ${p.message.slice(0, 110)}`),
      `heap growth over all probes: ${heapGrowthMb.toFixed(1)} MB`,
    ].join('\n'),
  );
  await graph?.stop();
});

interface Answer {
  status: number;
  ms: number;
  cpuMs: number;
  body: { data?: any; errors?: { message: string; extensions?: { code?: string; cost?: unknown } }[]; extensions?: { cost?: unknown } };
}

async function send(url: string, payload: unknown): Promise<Answer> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const json = (await res.json()) as Answer['body'];
  const used = process.cpuUsage(cpu);
  return { status: res.status, body: json, ms: performance.now() - started, cpuMs: (used.user + used.system) / 1_000 };
}

/** Sends a probe, records it, and checks the common promise: a 4xx, a message, under a second of wall time and CPU. */
async function probe(name: string, payload: unknown, url = graph.gatewayUrl): Promise<Answer> {
  const answer = await send(url, payload);
  const message = answer.body.errors?.map((e) => e.message).join(' / ') ?? '';
  probes.push({
    name,
    status: answer.status,
    ms: answer.ms,
    cpuMs: answer.cpuMs,
    bytes: (typeof payload === 'string' ? payload : JSON.stringify(payload)).length,
    message,
  });
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  expect(answer.ms).toBeLessThan(1_000);
  expect(answer.cpuMs).toBeLessThan(1_000);
  return answer;
}
const messages = (a: Answer) => a.body.errors?.map((e) => e.message) ?? [];

/** The issue's ~200-byte recursive query: `parent { children { ... } }` six times over, depth 14. */
const RECURSIVE = `{ grantsManagement { capability(code: "GRM.030.010") { ${'parent { children { '.repeat(6)}code${' } }'.repeat(6)} } } }`;

describe('deep and recursive queries', () => {
  test('the 200-byte depth-14 recursive query is refused at the gateway', async () => {
    expect(RECURSIVE.length).toBeLessThan(260);
    const answer = await probe('recursive depth 14, gateway', { query: RECURSIVE });
    expect(messages(answer)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Query depth limit of 10 exceeded, found 15 \(MAX_DEPTH\)/),
        expect.stringMatching(/^Recursion limit of 2 exceeded, found GrantsManagementCapability\.(parent|children) nested 3 times \(MAX_RECURSION\)/),
      ]),
    );
  });

  test('and by a subgraph asked directly', async () => {
    const answer = await probe('recursive depth 14, grants subgraph directly', { query: RECURSIVE }, graph.subgraphs['grants-management']!.url);
    expect(messages(answer)).toEqual(expect.arrayContaining([expect.stringMatching(/^Query depth limit of 12 exceeded, found 15 \(MAX_DEPTH\)/)]));
  });

  test('provider <-> offerings recursion is bounded too', async () => {
    const query = `{ provider(id: "doi-ibc") { ${'grantsManagement { offerings { provider { '.repeat(3)}name${' } } }'.repeat(3)} } }`;
    const answer = await probe('provider <-> offerings x3', { query });
    expect(messages(answer)).toEqual(expect.arrayContaining([expect.stringMatching(/Recursion limit of 2 exceeded, found \w+\.\w+ nested 3 times/)]));
  });

  test('the deepest recursion the limits allow answers in bounded time', async () => {
    const query = '{ grantsManagement { capability(code: "GRM.030.010") { parent { children { parent { children { code } } } } } } }';
    const answer = await send(graph.gatewayUrl, { query });
    probes.push({ name: 'allowed recursion (x2), answered', status: answer.status, ms: answer.ms, cpuMs: answer.cpuMs, bytes: query.length, message: '' });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    // A real database round trip per level; generous for a loaded 2-core machine.
    expect(answer.ms).toBeLessThan(5_000);
  });
});

describe('bombs', () => {
  test('the 192 KB, 1,000-alias query over agencies(first: 100) is refused by the parser within a second of CPU, while another client is answered', async () => {
    const alias = (i: number) =>
      `a${i}: agencies(first: 100) { edges { node { code name financialManagement { offerings { name provider { name } } } grantsManagement { offerings { name provider { name } } } } } }`;
    const query = `{ ${Array.from({ length: 1_000 }, (_, i) => alias(i)).join(' ')} }`;
    expect(query.length).toBeGreaterThan(150_000);
    // Ten at once, as an attacker would send them, and a plain client in the middle of them.
    const attacks = Array.from({ length: 10 }, (_, i) => (i === 0 ? probe('1,000 aliases, 192 KB', { query }) : send(graph.gatewayUrl, { query })));
    const other = send(graph.gatewayUrl, { query: '{ __typename }' });
    const [first, ...rest] = await Promise.all(attacks);
    const typename = await other;
    probes.push({
      name: '{ __typename } during 10 concurrent 192 KB probes',
      status: typename.status,
      ms: typename.ms,
      cpuMs: typename.cpuMs,
      bytes: 28,
      message: '',
    });
    expect(messages(first!)).toEqual([expect.stringMatching(/^Token limit of 2000 exceeded, found \d{5} \(MAX_TOKENS\)/)]);
    for (const answer of rest) expect(answer.status).toBe(400);
    expect(typename).toMatchObject({ status: 200, body: { data: { __typename: 'Query' } } });
    expect(typename.ms).toBeLessThan(1_000);
  });

  test('an alias bomb under the token limit is refused by the alias limit', async () => {
    const query = `{ ${Array.from({ length: 200 }, (_, i) => `q${i}: qsmos { name }`).join(' ')} }`;
    const answer = await probe('200 aliases', { query });
    expect(messages(answer)).toContain(
      'Aliases limit of 30 exceeded, found 200 (MAX_ALIASES): use fewer aliases; page through a list with first/after instead of aliasing it. See docs/reference/error-codes.md#graphql_validation_failed.',
    );
  });

  test('a field bomb (the same field 5,000 times) is refused by the token limit', async () => {
    const answer = await probe('5,000 repeated fields', { query: `{ qsmos { ${'name '.repeat(5_000)} } }` });
    expect(messages(answer)).toEqual([expect.stringMatching(/^Token limit of 2000 exceeded, found 5005 \(MAX_TOKENS\)/)]);
  });

  test('a directive bomb is refused by the directive limit', async () => {
    const answer = await probe('300 directives', { query: `{ qsmos { ${Array.from({ length: 60 }, () => 'name @include(if: true)').join(' ')} } }` });
    expect(messages(answer)).toEqual(expect.arrayContaining([expect.stringMatching(/^Directives limit of 30 exceeded, found 60 \(MAX_DIRECTIVES\)/)]));
  });

  describe('demand control: a page size given as a variable costs what the literal costs', () => {
    const marketplaces = ['financialManagement', 'humanResources', 'grantsManagement', 'cybersecurity'];
    /** A page of agencies with each marketplace's offerings and their providers: 1 + n × (2 + 4 × (1 + 1 + 10 × 2)). */
    const AGENCIES = `query Agencies($n: Int) { agencies(first: $n) { edges { node { code name abbreviation ${marketplaces.map((f) => `${f} { offeringCount offerings { id name shelf provider { id name } } }`).join(' ')} } } } }`;
    const refused = { code: 'COST_LIMIT_EXCEEDED', cost: { estimated: 9_001, budget: 5_000 } };

    test('agencies(first: $n) with $n = 100 and four marketplaces nested: 400 COST_LIMIT_EXCEEDED with the estimate and the budget, as for first: 100', async () => {
      const variable = await probe('cost: agencies(first: $n), $n = 100, four marketplaces', { query: AGENCIES, variables: { n: 100 } });
      expect(variable.status).toBe(400);
      expect(variable.body.errors).toEqual([{ message: expect.any(String), extensions: refused }]);
      expect(messages(variable)[0]).toBe(
        'The estimated cost of this operation, 9001, is over the budget of 5000 for anonymous callers (COST_BUDGET_ANONYMOUS): ' +
          'ask for smaller pages (a smaller first, then page with after), select fewer nested lists, or split the query in two. Analysts, signed in, have a larger budget. See docs/reference/error-codes.md#cost_limit_exceeded.',
      );
      expect(variable.body.extensions?.cost).toEqual(refused.cost);
      // A variable's default is the variable's value too.
      const byDefault = await probe('cost: agencies(first: $n = 100) by default', { query: AGENCIES.replace('($n: Int)', '($n: Int = 100)') });
      expect(byDefault.body.errors?.[0]?.extensions).toEqual(refused);
      const literal = await probe('cost: agencies(first: 100), four marketplaces', { query: AGENCIES.replace('($n: Int)', '').replace('$n', '100') });
      expect(literal.body.errors?.[0]?.extensions).toEqual(refused);
    });

    test('the same query with a small page is answered, with extensions.cost', async () => {
      const answer = await send(graph.gatewayUrl, { query: AGENCIES, variables: { n: 5 } });
      probes.push({
        name: 'cost: agencies(first: $n), $n = 5, answered',
        status: answer.status,
        ms: answer.ms,
        cpuMs: answer.cpuMs,
        bytes: AGENCIES.length,
        message: '',
      });
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data.agencies.edges).toHaveLength(5);
      expect(answer.body.extensions?.cost).toEqual({ estimated: 451, budget: 5_000 });
    });

    test("a costly document sent to a subgraph directly is refused by the subgraph's own estimate (twice the gateway's budget)", async () => {
      // 100 functions × 50 children × 20 offerings × 25 customers: millions of objects from a 150-byte document.
      const query = 'query($n: Int) { grantsManagement { capabilities(first: $n) { edges { node { children { offerings { customers { code } } } } } } } }';
      const answer = await probe('cost: nested lists, grants subgraph directly', { query, variables: { n: 100 } }, graph.subgraphs['grants-management']!.url);
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.extensions).toEqual({ code: 'COST_LIMIT_EXCEEDED', cost: { estimated: 2_605_202, budget: 10_000 } });
      expect(messages(answer)[0]).toMatch(
        /^The estimated cost of this operation, 2605202, is over the budget of 10000 for anonymous callers \(COST_BUDGET_ANONYMOUS\)/,
      );
    });
  });

  test('a fragment bomb (2^40 fields once expanded) is refused', async () => {
    const levels = Array.from({ length: 40 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join('\n');
    const answer = await probe('fragment bomb 2^40', { query: `{ ...F0 }\n${levels}\nfragment F40 on Query { __typename }` });
    expect(messages(answer)).toEqual(expect.arrayContaining([expect.stringMatching(/expands to more than 20000 fields through its fragments/)]));
  });

  test('a batched (array) body is refused with 400', async () => {
    const answer = await probe(
      'batch of 50',
      Array.from({ length: 50 }, () => ({ query: '{ __typename }' })),
    );
    expect(answer.status).toBe(400);
  });
});

describe('production hygiene', () => {
  test('introspection is refused', async () => {
    const answer = await probe('introspection', { query: '{ __schema { types { name fields { name } } } }' });
    expect(messages(answer).join(' ')).toMatch(/introspection is not allowed/i);
  });

  test('misspelt fields get no suggestions, at the gateway or a subgraph', async () => {
    for (const url of [graph.gatewayUrl, graph.subgraphs['grants-management']!.url]) {
      const answer = await probe(url === graph.gatewayUrl ? 'suggestions, gateway' : 'suggestions, subgraph', { query: '{ agencie { nam } }' });
      expect(messages(answer).join(' ')).toMatch(/Cannot query field "agencie"/);
      expect(messages(answer).join(' ')).not.toMatch(/Did you mean/);
    }
  });

  test('an unknown operationName answers 400 naming the operations there are', async () => {
    const answer = await probe('unknown operationName', { query: 'query A { __typename }', operationName: 'B' });
    expect(answer.status).toBe(400);
    expect(messages(answer)).toEqual(['Unknown operation named "B": the document has A; pass one of them as operationName.']);
  });

  test('a body that is not JSON answers 400', async () => {
    const answer = await probe('malformed JSON', '{"query": "{ __typename }"');
    expect(answer.status).toBe(400);
  });
});

describe('cursor tampering', () => {
  const forge = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');
  test.each([
    ['$regex', { v: { $regex: '.*' }, id: '' }],
    ['$in', { v: 'a', id: { $in: ['x', 'y'] } }],
    ['$where', { v: { $where: 'sleep(5000) || true' }, id: '' }],
  ])('a cursor carrying %s is BAD_USER_INPUT, and nothing runs', async (operator, payload) => {
    const query = `{ grantsManagement { offerings(first: 5, after: "${forge(payload)}") { edges { node { id } } } } }`;
    const answer = await send(graph.gatewayUrl, { query });
    probes.push({
      name: `cursor with ${operator}`,
      status: answer.status,
      ms: answer.ms,
      cpuMs: answer.cpuMs,
      bytes: query.length,
      message: messages(answer).join(' / '),
    });
    expect(answer.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(messages(answer)[0]).toMatch(/after is not a cursor from this list: pass pageInfo\.endCursor/);
    expect(answer.body.data?.grantsManagement?.offerings ?? null).toBeNull();
    expect(answer.ms).toBeLessThan(1_000);
  });
});

test("the heap grew by less than 200 MB over every probe above (the issue's recursive query exhausted a subgraph's whole heap)", () => {
  expect((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toBeLessThan(200);
});

describe('trusted documents through the graph (TRUSTED_DOCUMENTS=enforce)', () => {
  test('every library operation runs by its hash alone; an ad-hoc document is refused', async () => {
    const { supergraphSdl } = composeSupergraph(
      localSubgraphSources([
        ...SUBGRAPHS.map((s) => ({ name: s.name, area: s.area, url: graph.subgraphs[s.name]!.url })),
        { name: DIRECTORY.name, url: graph.directory.url },
      ]),
    );
    const metrics = createMetrics('gateway', { defaultMetrics: false });
    const gateway = createGatewayServer({
      supergraph: supergraphSdl,
      logger: createLogger('gateway', 'silent'),
      metrics,
      plugins: [
        ...standardPlugins({ metrics }),
        useOperationLimits(DEFAULT_OPERATION_LIMITS),
        useTrustedDocuments({ mode: 'enforce', documents: readTrustedDocuments() }),
        useDemandControl(),
      ],
    });
    const url = await gateway.http.listen(0, '127.0.0.1');
    try {
      for (const op of loadOperationsLibrary()) {
        const answer = await send(url, { variables: op.variables, extensions: { persistedQuery: { version: 1, sha256Hash: documentHash(op.source) } } });
        expect([op.file, answer.status, answer.body.errors]).toEqual([op.file, 200, undefined]);
        expect(answer.body.data).toBeTruthy();
      }
      const adHoc = await probe('ad-hoc document under enforce', { query: '{ qsmos { name } }' }, url);
      expect(adHoc.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    } finally {
      await gateway.http.stop();
    }
  }, 30_000);
});
