import { randomBytes, randomUUID } from 'node:crypto';
import { ANONYMOUS } from '@qsmo/service-kit/auth/identity';
import { createMetrics } from '@qsmo/service-kit/metrics';
import { type Logger } from '@qsmo/service-kit/logger';
import { IDENTITY_HEADER, secretBytes, signInternalToken } from '@qsmo/service-kit/auth/internal-token';
import { MAX_JSON_NESTING } from '@qsmo/service-kit/http/request-checks';
import { DEFAULT_OPERATION_LIMITS } from '@qsmo/service-kit/limits';
import { loadOperationsLibrary } from '../gateway/src/operations';
import { standardPlugins, useUpstreamTimeout } from '../gateway/src/plugins';
import { useCatalogWrites } from '../gateway/src/plugins/catalog-writes';
import { useOperationLimits } from '../gateway/src/plugins/operation-limits';
import { useResponseCache } from '../gateway/src/plugins/response-cache';
import { securityPlugins } from '../gateway/src/plugins/security';
import { useTrustedDocuments } from '../gateway/src/plugins/trusted-documents';
import { documentHash, readTrustedDocuments } from '../gateway/src/trusted-documents';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy';
import { startGraph, type RunningGraph } from './support/graph';
import { createTestIdentityProvider, type TestIdentityProvider } from './support/identity-provider';

process.env.APOLLO_TELEMETRY_DISABLED = '1';

/**
 * Client mistakes against the real graph over loopback, set up as in
 * production (TRUSTED_DOCUMENTS=enforce, introspection off, suggestions
 * hidden, subgraphs answering only what the gateway signed, the response
 * cache on): each one answers a 4xx with its own code within a second, and
 * neither the gateway nor any subgraph logs a line at error level for it.
 * The Grants subgraph sits behind a fault proxy, so a mutation can time out
 * at the gateway after the subgraph has committed it.
 */
const SECRET = randomBytes(32).toString('hex');
const GRANTS = 'grants-management';
const TIMEOUT_MS = 2_000;

/** Every line the gateway and the subgraphs log at warn or error, with its level. */
const logged: { level: string; line: string }[] = [];
function capturingLogger(service: string): Logger {
  const at =
    (level: string) =>
    (message?: unknown, ...rest: unknown[]) => {
      logged.push({ level, line: `${service} ${[message, ...rest].map((p) => (p instanceof Error ? p.stack : String(p))).join(' ')}` });
    };
  return { debug: () => undefined, info: () => undefined, warn: at('warn'), error: at('error') };
}
const errorLines = () => logged.filter((l) => l.level === 'error').map((l) => l.line);

let idp: TestIdentityProvider;
let graph: RunningGraph;
let proxy: FaultProxy;
let analyst: string;
let editor: string;

const token = (sub: string, roles: string[], qsmos: string[] = []) => idp.token(sub, roles, qsmos);

interface Answer {
  status: number;
  ms: number;
  body: { data?: any; errors?: { message: string; extensions?: { code?: string; serviceName?: string } }[] };
}

/** POSTs a body (an object, or JSON text as sent) with optional headers, timing the answer. */
async function send(url: string, payload: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  const body = (await res.json()) as Answer['body'];
  return { status: res.status, ms: performance.now() - started, body };
}
const codes = (a: Answer) => a.body.errors?.map((e) => e.extensions?.code) ?? [];
const messages = (a: Answer) => a.body.errors?.map((e) => e.message).join(' / ') ?? '';

/** The figures of every probe, printed at the end for the record. */
const measured: string[] = [];

/** Sends a client mistake and checks the promise: the status, the one code, within a second, no error-level log line. */
async function probe(
  name: string,
  url: string,
  payload: unknown,
  expected: { status: number; code: string },
  headers: Record<string, string> = {},
): Promise<Answer> {
  const errorsBefore = errorLines().length;
  const answer = await send(url, payload, headers);
  measured.push(`${name} | ${answer.status} | ${codes(answer).join(',')} | ${answer.ms.toFixed(0)} ms | ${messages(answer).slice(0, 120)}`);
  expect({ name, status: answer.status, codes: codes(answer) }).toEqual({ name, status: expected.status, codes: [expected.code] });
  expect(answer.ms).toBeLessThan(1_000);
  expect(errorLines().slice(errorsBefore)).toEqual([]);
  return answer;
}

/** A request the subgraph accepts as the gateway's, for probes sent to a subgraph directly. */
async function signedBy(audience: string): Promise<Record<string, string>> {
  return { [IDENTITY_HEADER]: await signInternalToken(ANONYMOUS, secretBytes(SECRET), audience) };
}

const library = loadOperationsLibrary();
const byName = (name: string) => library.find((op) => op.name === name)!;
const persisted = (name: string) => ({ persistedQuery: { version: 1, sha256Hash: documentHash(byName(name).source) } });
const QSMOS = persisted('QsmosOverview');
const OFFERINGS_PAGE = persisted('GrantsOfferingsPage');

beforeAll(async () => {
  idp = await createTestIdentityProvider();
  // Nothing answers on port 9 (discard): the proxy is pointed at Grants once it listens, before anything asks it.
  proxy = await startFaultProxy(9);
  const metrics = createMetrics('gateway', { defaultMetrics: false });
  graph = await startGraph({
    logger: capturingLogger('gateway'),
    gateway: {
      introspection: false,
      hideSchemaDetails: true,
      metrics,
      subgraphs: { [GRANTS]: { url: `http://${proxy.address}/graphql` } },
      plugins: [
        ...securityPlugins(idp.security(SECRET)),
        useCatalogWrites(),
        ...standardPlugins({ metrics }),
        useUpstreamTimeout({ timeoutMs: TIMEOUT_MS }),
        useOperationLimits(DEFAULT_OPERATION_LIMITS),
        useTrustedDocuments({ mode: 'enforce', documents: readTrustedDocuments() }),
        useResponseCache(),
      ],
    },
    subgraph: { gatewaySignature: { secret: SECRET, required: true }, hideSchemaDetails: true, logger: capturingLogger('subgraph') },
  });
  proxy.setTarget(Number(new URL(graph.subgraphs[GRANTS]!.url).port));
  analyst = await token('analyst@gsa.gov', ['analyst']);
  editor = await token('grm-editor@hhs.gov', ['editor'], ['GRANTS_MANAGEMENT']);
  // Warm: the first request of a fresh process compiles a great deal.
  expect((await send(graph.gatewayUrl, { extensions: QSMOS })).status).toBe(200);
}, 120_000);

afterAll(async () => {
  console.log(['probe | status | code | wall | message', ...measured].join('\n'));
  await graph?.stop();
  await proxy?.close();
});

afterAll(() => {
  // Refused requests leave no error-level line anywhere in the graph (the timeouts below log at warn at most).
  expect(errorLines()).toEqual([]);
});

describe('deeply nested variables and extensions (a 10 KB body nested 5,000 levels)', () => {
  const arrays = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  const objects = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
  // As an attacker writes it: an unused variable of a trusted document, anonymous.
  const body = (nested: string) => `{"extensions":${JSON.stringify(QSMOS)},"variables":{"x":${nested}}}`;
  const TOO_DEEP = { status: 400, code: 'JSON_TOO_DEEP' };

  test('nested arrays and nested objects in variables, and nesting in extensions, are refused with 400 JSON_TOO_DEEP naming the limit', async () => {
    expect(body(arrays(5_000)).length).toBeLessThan(11_000);
    const answer = await probe('variables: arrays 5,000 deep', graph.gatewayUrl, body(arrays(5_000)), TOO_DEEP);
    expect(messages(answer)).toMatch(new RegExp(`nests more than ${MAX_JSON_NESTING} levels deep`));
    await probe('variables: objects 5,000 deep', graph.gatewayUrl, body(objects(5_000)), TOO_DEEP);
    await probe(
      'extensions: arrays 5,000 deep',
      graph.gatewayUrl,
      `{"extensions":{"persistedQuery":${JSON.stringify(QSMOS.persistedQuery)},"x":${arrays(5_000)}}}`,
      TOO_DEEP,
    );
  });

  test('a GET carrying nested variables is refused the same way', async () => {
    const errorsBefore = errorLines().length;
    const params = new URLSearchParams({ extensions: JSON.stringify(QSMOS), variables: `{"x":${arrays(200)}}` });
    const res = await fetch(`${graph.gatewayUrl}?${params}`, { headers: { 'apollo-require-preflight': 'true' } });
    const answer = (await res.json()) as Answer['body'];
    expect([res.status, answer.errors?.map((e) => e.extensions?.code)]).toEqual([400, ['JSON_TOO_DEEP']]);
    expect(errorLines().slice(errorsBefore)).toEqual([]);
  });

  test('a subgraph sent the same body directly (signed, as from the gateway) refuses it too', async () => {
    const direct = `{"query":"{ __typename }","variables":{"x":${arrays(5_000)}}}`;
    await probe('variables: arrays 5,000 deep, Grants directly', graph.subgraphs[GRANTS]!.url, direct, TOO_DEEP, await signedBy(GRANTS));
  });

  test('nesting within the limit still runs: the limit refuses only what no input type needs', async () => {
    const answer = await send(graph.gatewayUrl, body(arrays(MAX_JSON_NESTING - 3)));
    expect([answer.status, answer.body.errors]).toEqual([200, undefined]);
    expect(answer.body.data.qsmos.length).toBeGreaterThan(0);
  });

  test('twenty at once while another client is answered at once', async () => {
    const errorsBefore = errorLines().length;
    const attacks = Array.from({ length: 20 }, () => send(graph.gatewayUrl, body(objects(5_000))));
    const other = send(graph.gatewayUrl, { extensions: OFFERINGS_PAGE, variables: { first: 3 } });
    const answers = await Promise.all(attacks);
    const plain = await other;
    measured.push(`a client during 20 concurrent nested bodies | ${plain.status} | | ${plain.ms.toFixed(0)} ms |`);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 400));
    expect([plain.status, plain.body.errors]).toEqual([200, undefined]);
    expect(plain.body.data.grantsManagement.offerings.edges).toHaveLength(3);
    expect(plain.ms).toBeLessThan(1_000);
    expect(errorLines().slice(errorsBefore)).toEqual([]);
  });
});

describe('persisted queries and subscriptions', () => {
  const QSMOS_TEXT = byName('QsmosOverview').source;

  test('a hash that is not the sha256 of the query sent with it: 400 PERSISTED_QUERY_HASH_MISMATCH, at the gateway and at a subgraph', async () => {
    const mismatched = { query: QSMOS_TEXT, extensions: { persistedQuery: { version: 1, sha256Hash: documentHash('{ __typename }') } } };
    const answer = await probe('persisted query, hash mismatch', graph.gatewayUrl, mismatched, { status: 400, code: 'PERSISTED_QUERY_HASH_MISMATCH' });
    expect(messages(answer)).toMatch(/not the sha256 of the query sent with it/);
    await probe(
      'persisted query, hash mismatch, Grants directly',
      graph.subgraphs[GRANTS]!.url,
      { query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } } },
      { status: 400, code: 'PERSISTED_QUERY_HASH_MISMATCH' },
      await signedBy(GRANTS),
    );
  });

  test('an unsupported persisted-query version: 400 PERSISTED_QUERY_VERSION_NOT_SUPPORTED, whoever sends it', async () => {
    const v2 = { extensions: { persistedQuery: { version: 2, sha256Hash: QSMOS.persistedQuery.sha256Hash } } };
    const answer = await probe('persisted query, version 2', graph.gatewayUrl, v2, { status: 400, code: 'PERSISTED_QUERY_VERSION_NOT_SUPPORTED' });
    expect(messages(answer)).toMatch(/version 2 is not supported: send extensions.persistedQuery as \{"version": 1/);
    await probe(
      'persisted query, version 2, analyst',
      graph.gatewayUrl,
      v2,
      { status: 400, code: 'PERSISTED_QUERY_VERSION_NOT_SUPPORTED' },
      { authorization: `Bearer ${analyst}` },
    );
    await probe(
      'persisted query, version 2, Grants directly',
      graph.subgraphs[GRANTS]!.url,
      v2,
      { status: 400, code: 'PERSISTED_QUERY_VERSION_NOT_SUPPORTED' },
      await signedBy(GRANTS),
    );
  });

  test('a subscription: 400 SUBSCRIPTIONS_NOT_SUPPORTED for a caller who may send it, NOT_IN_LIST for one who may not, and at a subgraph', async () => {
    const subscription = { query: 'subscription { catalogChanged { offeringId } }' };
    const answer = await probe(
      'subscription, analyst',
      graph.gatewayUrl,
      subscription,
      { status: 400, code: 'SUBSCRIPTIONS_NOT_SUPPORTED' },
      { authorization: `Bearer ${analyst}` },
    );
    expect(messages(answer)).toMatch(
      /not served over a plain POST: send this subscription to \/graphql with "Accept: text\/event-stream".*WebSocket to \/graphql with the graphql-transport-ws subprotocol/,
    );
    await probe('subscription, anonymous', graph.gatewayUrl, subscription, { status: 400, code: 'PERSISTED_QUERY_NOT_IN_LIST' });
    await probe(
      'subscription, Grants directly',
      graph.subgraphs[GRANTS]!.url,
      subscription,
      { status: 400, code: 'SUBSCRIPTIONS_NOT_SUPPORTED' },
      await signedBy(GRANTS),
    );
  });
});

describe('nothing about the schema leaks in production', () => {
  test('a misspelt field of an input variable gets no suggestion, at the gateway and at a subgraph', async () => {
    const answer = await probe(
      'variable coercion, misspelt input field',
      graph.gatewayUrl,
      { extensions: OFFERINGS_PAGE, variables: { filter: { serch: 'grants' } } },
      { status: 400, code: 'BAD_USER_INPUT' },
    );
    expect(messages(answer)).toMatch(/Field "serch" is not defined by type "OfferingFilter"\.$/);
    expect(messages(answer)).not.toMatch(/Did you mean|"search"/);
    const enumValue = await probe(
      'variable coercion, misspelt enum value',
      graph.gatewayUrl,
      { extensions: OFFERINGS_PAGE, variables: { filter: { shelf: 'FEDRAL' } } },
      { status: 400, code: 'BAD_USER_INPUT' },
    );
    expect(messages(enumValue)).toMatch(/Value "FEDRAL" does not exist in "Shelf" enum\.$/);
    const direct = await probe(
      'variable coercion, Grants directly',
      graph.subgraphs[GRANTS]!.url,
      { query: 'query ($f: OfferingFilter) { grantsManagement { offerings(filter: $f) { totalCount } } }', variables: { f: { serch: 'grants' } } },
      { status: 400, code: 'BAD_USER_INPUT' },
      await signedBy(GRANTS),
    );
    expect(messages(direct)).toMatch(/Field "serch" is not defined by type "OfferingFilter"\.$/);
  });

  test('under enforce an anonymous caller gets the same refusal for a field that exists and one that does not', async () => {
    const unknown = await probe(
      'untrusted document, unknown field',
      graph.gatewayUrl,
      { query: '{ qsmoz { name } }' },
      { status: 400, code: 'PERSISTED_QUERY_NOT_IN_LIST' },
    );
    const known = await probe(
      'untrusted document, known field',
      graph.gatewayUrl,
      { query: '{ qsmos { name } }' },
      { status: 400, code: 'PERSISTED_QUERY_NOT_IN_LIST' },
    );
    const unparsable = await probe(
      'untrusted document, not even GraphQL',
      graph.gatewayUrl,
      { query: '{ qsmos { ' },
      { status: 400, code: 'PERSISTED_QUERY_NOT_IN_LIST' },
    );
    expect(unknown.body).toEqual(known.body);
    expect(unparsable.body).toEqual(known.body);
    // An analyst, who may explore, is told what is wrong (without suggestions).
    const analysts = await probe(
      'unknown field, analyst',
      graph.gatewayUrl,
      { query: '{ qsmoz { name } }' },
      { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
      { authorization: `Bearer ${analyst}` },
    );
    expect(messages(analysts)).toBe('Cannot query field "qsmoz" on type "Query".');
  });
});

describe('a mutation that times out at the gateway', () => {
  const CREATE = `mutation Create($input: CreateGrantsManagementOfferingInput!) {
    createGrantsManagementOffering(input: $input) { offering { id version } change { id version } userErrors { code message } }
  }`;
  const HISTORY = 'query History($id: ID!) { grantsManagement { offering(id: $id) { version history { version mutation } } } }';
  const provenance = { sources: [{ title: 'Grants QSMO marketplace', url: 'https://www.usaspending.gov/grants-qsmo/marketplace' }], verification: 'CONFIRMED' };
  const asEditor = () => ({ authorization: `Bearer ${editor}` });

  // Grants answers this long after the gateway's timeout; each test waits for the late answer, so none is in flight after it.
  const LATE_MS = 500;
  afterEach(async () => {
    proxy.setMode({ kind: 'pass' });
    await new Promise((r) => setTimeout(r, LATE_MS + 100));
  });

  test('says the change may have been applied and to retry with the same idempotency key; the retry applies nothing twice', async () => {
    const id = `grm-timeout-${randomUUID().slice(0, 8)}`;
    const input = {
      id,
      name: 'Timeout Test Portal',
      shelf: 'FEDERAL',
      providerId: 'hhs',
      capabilityCodes: ['GRM.030.010'],
      provenance,
      idempotencyKey: randomUUID(),
    };
    // Grants commits at once, but its answer reaches the gateway only after the gateway's timeout.
    proxy.setMode({ kind: 'delay', ms: TIMEOUT_MS + LATE_MS });
    const timedOut = await send(graph.gatewayUrl, { query: CREATE, variables: { input } }, asEditor());
    measured.push(
      `mutation, Grants answers after the timeout | ${timedOut.status} | ${codes(timedOut).join(',')} | ${timedOut.ms.toFixed(0)} ms | ${messages(timedOut)}`,
    );
    expect(codes(timedOut)).toEqual(['SUBGRAPH_TIMEOUT']);
    expect(timedOut.body.errors?.[0]?.extensions?.serviceName).toBe(GRANTS);
    expect(messages(timedOut)).toMatch(
      /did not answer within 2000 ms.*The change may have been applied all the same: send the same mutation again with the same input\.idempotencyKey, which never applies a change twice/,
    );
    expect(messages(timedOut)).not.toMatch(/retry later/);
    expect(timedOut.ms).toBeLessThan(TIMEOUT_MS + 1_000);

    proxy.setMode({ kind: 'pass' });
    const retried = await send(graph.gatewayUrl, { query: CREATE, variables: { input } }, asEditor());
    expect(retried.body.errors).toBeUndefined();
    expect(retried.body.data.createGrantsManagementOffering).toMatchObject({
      offering: { id, version: 1 },
      change: { id: `${id}@1`, version: 1 },
      userErrors: [],
    });
    const history = await send(graph.gatewayUrl, { query: HISTORY, variables: { id } }, asEditor());
    expect(history.body.data.grantsManagement.offering).toEqual({ version: 1, history: [{ version: 1, mutation: 'createGrantsManagementOffering' }] });
  }, 30_000);

  test('a query that times out keeps its message: the other areas stand, retry later for the missing part', async () => {
    proxy.setMode({ kind: 'delay', ms: TIMEOUT_MS + LATE_MS });
    // A page size no other test asked for, so the response cache cannot answer it.
    const timedOut = await send(graph.gatewayUrl, { extensions: OFFERINGS_PAGE, variables: { first: 5 } });
    expect(codes(timedOut)).toEqual(['SUBGRAPH_TIMEOUT']);
    expect(messages(timedOut)).toMatch(
      /did not answer within 2000 ms, so its fields are null in this response\. Data from the other QSMO subgraphs is unaffected; retry later for the missing part\./,
    );
    expect(messages(timedOut)).not.toMatch(/idempotencyKey/);
  }, 30_000);
});
