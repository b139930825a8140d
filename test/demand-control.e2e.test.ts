import { randomBytes } from 'node:crypto';
import { createMetrics } from '@qsmo/service-kit/metrics';
import { DEFAULT_COST_BUDGETS } from '@qsmo/service-kit/demand-control';
import { DEFAULT_OPERATION_LIMITS } from '@qsmo/service-kit/limits';
import { standardPlugins } from '../gateway/src/plugins';
import { useDemandControl } from '../gateway/src/plugins/demand-control';
import { useOperationLimits } from '../gateway/src/plugins/operation-limits';
import { DEFAULT_RESPONSE_CACHE, useResponseCache, type ResponseCachePlugin } from '../gateway/src/plugins/response-cache';
import { securityPlugins } from '../gateway/src/plugins/security';
import { startGraph, type RunningGraph } from './support/graph';
import { createTestIdentityProvider, type TestIdentityProvider } from './support/identity-provider';

process.env.APOLLO_TELEMETRY_DISABLED = '1';

/**
 * Demand control per caller over loopback, with the gateway's plugins in
 * production order: tokens verified against an identity provider's keys
 * (generated here), subgraphs that answer only what the gateway signed,
 * demand control, then the response cache. The same operation is refused
 * for the anonymous reader and answered for an analyst or an editor, and
 * every costed answer, a cached one too, says what it cost.
 */
const SECRET = randomBytes(32).toString('hex');

let idp: TestIdentityProvider;
let graph: RunningGraph;
let cache: ResponseCachePlugin;

const token = (roles: string[], qsmos: string[] = []) => idp.token(`${roles.join('-') || 'reader'}-1`, roles, qsmos);

beforeAll(async () => {
  idp = await createTestIdentityProvider();
  const metrics = createMetrics('gateway', { defaultMetrics: false });
  cache = useResponseCache({ ...DEFAULT_RESPONSE_CACHE, maxBytes: 2 ** 22 });
  graph = await startGraph({
    gateway: {
      metrics,
      plugins: [
        ...securityPlugins(idp.security(SECRET)),
        ...standardPlugins({ metrics }),
        useOperationLimits(DEFAULT_OPERATION_LIMITS),
        useDemandControl(DEFAULT_COST_BUDGETS),
        cache,
      ],
    },
    subgraph: { gatewaySignature: { secret: SECRET, required: true } },
  });
}, 120_000);
afterAll(async () => {
  await graph?.stop();
});

interface Answer {
  status: number;
  ms: number;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[]; extensions?: { cost?: { estimated: number; budget: number } } };
}
async function post(query: string, variables: Record<string, unknown>, bearer?: string): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(graph.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Answer['body'];
  return { status: res.status, ms: performance.now() - started, body };
}

const marketplaces = ['financialManagement', 'humanResources', 'grantsManagement', 'cybersecurity'];
/** A page of agencies with each marketplace's offerings: 1 + n × (2 + 4 × (1 + 1 + 10 × 2)); 9,001 for n = 100. */
const AGENCIES = `query Agencies($n: Int) { agencies(first: $n) { edges { node { code name ${marketplaces.map((f) => `${f} { offeringCount offerings { id name provider { id name } } }`).join(' ')} } } } }`;
/** Every agency's own listings across the four marketplaces, as an analyst asks it: 16,601 for n = 100. */
const LISTINGS = `query Listings($n: Int, $code: ID!) { agencies(first: $n) { edges { node { code ${marketplaces.map((f) => `${f} { offerings { id name provider { id name } customerLink(agencyCode: $code) { statedOn { value } verification } } }`).join(' ')} } } } }`;

describe('budgets per class of caller', () => {
  test('agencies(first: $n = 100) over four marketplaces: 400 for the anonymous reader within a second, answered for an analyst and an editor', async () => {
    const anonymous = await post(AGENCIES, { n: 100 });
    expect(anonymous.status).toBe(400);
    expect(anonymous.ms).toBeLessThan(1_000);
    expect(anonymous.body.errors).toEqual([
      {
        message: expect.stringMatching(
          /^The estimated cost of this operation, 9001, is over the budget of 5000 for anonymous callers \(COST_BUDGET_ANONYMOUS\)/,
        ),
        extensions: { code: 'COST_LIMIT_EXCEEDED', cost: { estimated: 9_001, budget: 5_000 } },
      },
    ]);

    const analyst = await post(AGENCIES, { n: 100 }, await token(['analyst']));
    expect([analyst.status, analyst.body.errors]).toEqual([200, undefined]);
    expect(analyst.body.data.agencies.edges.length).toBeGreaterThan(30);
    expect(analyst.body.extensions?.cost).toEqual({ estimated: 9_001, budget: 50_000 });

    const editor = await post(AGENCIES, { n: 100 }, await token(['editor'], ['GRANTS_MANAGEMENT']));
    expect([editor.status, editor.body.errors]).toEqual([200, undefined]);
    expect(editor.body.extensions?.cost).toEqual({ estimated: 9_001, budget: 50_000 });
  }, 30_000);

  test("an analyst's question, every agency's listings across the four marketplaces, fits the analyst budget", async () => {
    const answer = await post(LISTINGS, { n: 100, code: '075' }, await token(['analyst']));
    expect([answer.status, answer.body.errors]).toEqual([200, undefined]);
    expect(answer.body.extensions?.cost).toEqual({ estimated: 16_601, budget: 50_000 });
    const hhs = answer.body.data.agencies.edges.find((e: { node: { code: string } }) => e.node.code === '075').node;
    expect(hhs.grantsManagement.offerings.some((o: { customerLink: unknown }) => o.customerLink !== null)).toBe(true);
    // The same question is over the anonymous reader's budget, and the message says who has a larger one.
    const anonymous = await post(LISTINGS, { n: 100, code: '075' });
    expect(anonymous.status).toBe(400);
    expect(anonymous.body.errors?.[0]?.message).toMatch(
      /Analysts, signed in, have a larger budget\. See docs\/reference\/error-codes\.md#cost_limit_exceeded\.$/,
    );
  }, 30_000);
});

describe('extensions.cost on every costed answer', () => {
  test('a small page is answered with its cost, and so is the same answer served again from the response cache', async () => {
    const first = await post(AGENCIES, { n: 3 });
    expect([first.status, first.body.errors]).toEqual([200, undefined]);
    expect(first.body.extensions?.cost).toEqual({ estimated: 1 + 3 * (2 + 4 * 22), budget: 5_000 });
    const hits = cache.stats().hits;
    const cached = await post(AGENCIES, { n: 3 });
    // Served from the cache, with the cost still on it.
    expect(cache.stats().hits).toBe(hits + 1);
    expect(cached.body.data).toEqual(first.body.data);
    expect(cached.body.extensions?.cost).toEqual({ estimated: 271, budget: 5_000 });
  });

  test('a page an analyst was just answered (and the cache holds) is still refused to the anonymous reader', async () => {
    const analyst = await token(['analyst']);
    expect((await post(AGENCIES, { n: 60 }, analyst)).status).toBe(200);
    expect((await post(AGENCIES, { n: 60 }, analyst)).body.extensions?.cost).toEqual({ estimated: 5_401, budget: 50_000 });
    const anonymous = await post(AGENCIES, { n: 60 });
    expect(anonymous.status).toBe(400);
    expect(anonymous.body.errors?.[0]?.extensions).toEqual({ code: 'COST_LIMIT_EXCEEDED', cost: { estimated: 5_401, budget: 5_000 } });
  });

  test('variables that do not fit their definitions are a 400 BAD_USER_INPUT saying which, before any cost or plan', async () => {
    const answer = await post(AGENCIES, { n: 'a hundred' });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([
      {
        message: expect.stringMatching(/Variable "\$n" got invalid value "a hundred"; Int cannot represent non-integer value/),
        extensions: { code: 'BAD_USER_INPUT' },
      },
    ]);
  });
});
