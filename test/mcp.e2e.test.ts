import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { createMetrics } from '@qsmo/service-kit/metrics';
import { type Logger } from '@qsmo/service-kit/logger';
import { DEFAULT_COST_BUDGETS } from '@qsmo/service-kit/demand-control';
import { DEFAULT_OPERATION_LIMITS } from '@qsmo/service-kit/limits';
import { documentHash } from '@qsmo/service-kit/http/request-checks';
import { loadOperationsLibrary } from '../gateway/src/operations';
import { standardPlugins } from '../gateway/src/plugins';
import { useDemandControl } from '../gateway/src/plugins/demand-control';
import { useMcp } from '../gateway/src/plugins/mcp';
import { useOperationLimits } from '../gateway/src/plugins/operation-limits';
import { useRequestLog } from '../gateway/src/plugins/request-log';
import { securityPlugins } from '../gateway/src/plugins/security';
import { useTracing } from '../gateway/src/plugins/tracing';
import { useTrustedDocuments } from '../gateway/src/plugins/trusted-documents';
import { OperationTools } from '../gateway/src/mcp/tools';
import { ManifestFile, TRUSTED_DOCUMENTS_FILE, type TrustedDocumentsManifest } from '../gateway/src/trusted-documents';
import { startGraph, type RunningGraph } from './support/graph';
import { createTestIdentityProvider, type TestIdentityProvider } from './support/identity-provider';

process.env.APOLLO_TELEMETRY_DISABLED = '1';

/**
 * The MCP endpoint with the SDK's own client over real HTTP, against the
 * whole graph with the gateway's plugins in production order: tokens from
 * an identity provider (keys generated here), trusted documents enforced,
 * operation limits, demand control, the request log. The tools come from a
 * copy of the library's manifest, so the test can regenerate it.
 */
const SECRET = randomBytes(32).toString('hex');
const LIBRARY = loadOperationsLibrary();

let idp: TestIdentityProvider;
let graph: RunningGraph;
let manifestFile: string;
const logged: Record<string, unknown>[] = [];

const token = (roles: string[]) => idp.token(`${roles.join('-') || 'reader'}-1`, roles);

const mcpUrl = () => new URL(graph.gatewayUrl.replace(/graphql$/, 'mcp'));

/** An MCP client as an assistant's host runs one: the SDK's client over Streamable HTTP, with or without a bearer token. */
async function connect(bearer?: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'qsmo-test-assistant', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(mcpUrl(), { requestInit: { headers: { ...headers, ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) } } }),
  );
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}
const text = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

async function graphql(query: string, variables: Record<string, unknown>): Promise<{ data?: Record<string, unknown>; errors?: unknown[] }> {
  const res = await fetch(graph.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

beforeAll(async () => {
  idp = await createTestIdentityProvider();
  manifestFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-mcp-')), 'trusted-documents.json');
  fs.copyFileSync(TRUSTED_DOCUMENTS_FILE, manifestFile);
  // Looked at on every request, so the test needs not wait out the one-second check interval.
  const manifest = new ManifestFile(
    manifestFile,
    (problem) => {
      throw new Error(problem);
    },
    0,
  );
  const capture: Logger = {
    debug() {},
    info() {},
    warn() {},
    error() {},
    event: (_level, fields) => {
      logged.push(fields);
    },
  };
  const metrics = createMetrics('gateway', { defaultMetrics: false });
  graph = await startGraph({
    gateway: {
      metrics,
      plugins: [
        ...securityPlugins(idp.security(SECRET)),
        ...standardPlugins({ metrics }),
        useTracing(),
        useRequestLog({ logger: capture }),
        useMcp({ tools: new OperationTools([{ file: manifest }], capture), logger: capture }),
        useOperationLimits(DEFAULT_OPERATION_LIMITS),
        useTrustedDocuments({ mode: 'enforce', documents: () => manifest.current().documents }),
        useDemandControl(DEFAULT_COST_BUDGETS),
      ],
    },
    subgraph: { gatewaySignature: { secret: SECRET, required: true } },
  });
}, 120_000);
afterAll(async () => {
  await graph?.stop();
  if (manifestFile) fs.rmSync(path.dirname(manifestFile), { recursive: true, force: true });
});

describe('the tools', () => {
  let anonymousTools: Tool[];
  beforeAll(async () => {
    const client = await connect();
    anonymousTools = (await client.listTools()).tools;
    await client.close();
  });

  test('every library operation is a tool named after it, described by its leading comment, with its variables as a JSON Schema', () => {
    expect(anonymousTools.map((t) => t.name)).toEqual(LIBRARY.map((op) => op.name));
    for (const op of LIBRARY) {
      const tool = anonymousTools.find((t) => t.name === op.name)!;
      expect(tool.description).toBe(op.description);
      expect(tool.inputSchema.type).toBe('object');
      const declared =
        (
          op.document.definitions.find((d) => d.kind === 'OperationDefinition') as { variableDefinitions?: { variable: { name: { value: string } } }[] }
        ).variableDefinitions?.map((v) => v.variable.name.value) ?? [];
      expect(Object.keys(tool.inputSchema.properties ?? {})).toEqual(declared);
    }
  });

  test('types, required variables, defaults, input objects and enums are in the input schemas', () => {
    const portfolio = anonymousTools.find((t) => t.name === 'AgencyPortfolio')!.inputSchema;
    expect(portfolio).toMatchObject({
      type: 'object',
      required: ['code'],
      additionalProperties: false,
      properties: { code: { type: 'string', description: expect.stringContaining('ID!') } },
    });
    const page = anonymousTools.find((t) => t.name === 'GrantsOfferingsPage')!.inputSchema as Record<string, any>;
    expect(page.required).toBeUndefined();
    expect(page.properties.first).toMatchObject({ type: 'integer', default: 100 });
    expect(page.properties.after).toMatchObject({ type: 'string' });
    expect(page.properties.filter.$ref).toBe('#/$defs/OfferingFilter');
    const filter = page.$defs.OfferingFilter;
    expect(filter).toMatchObject({ type: 'object', additionalProperties: false });
    // At least one enum-typed field of the filter lists its values.
    const enums = Object.values(filter.properties as Record<string, any>).filter((p) => Array.isArray(p.enum) || Array.isArray(p.items?.enum));
    expect(enums.length).toBeGreaterThan(0);
  });

  test('an anonymous assistant sees only the operations; an analyst also gets query and schema', async () => {
    expect(anonymousTools.map((t) => t.name)).not.toEqual(expect.arrayContaining(['query']));
    expect(anonymousTools.map((t) => t.name)).not.toEqual(expect.arrayContaining(['schema']));
    const analyst = await connect(await token(['analyst']));
    const names = (await analyst.listTools()).tools.map((t) => t.name);
    expect(names).toEqual([...LIBRARY.map((op) => op.name), 'query', 'schema']);
    await analyst.close();
  });

  test('the guide resource names every QSMO and where the facts come from', async () => {
    const client = await connect();
    const resources = (await client.listResources()).resources.map((r) => r.uri);
    expect(resources).toEqual(['qsmo://guide', 'qsmo://reference/facts', 'qsmo://reference/notes', 'qsmo://reference/sources']);
    const guide = (await client.readResource({ uri: 'qsmo://guide' })).contents[0] as { text: string };
    for (const area of ['Financial Management', 'Human Resources', 'Grants Management', 'Cybersecurity']) expect(guide.text).toContain(area);
    expect(guide.text).toContain('statedOn');
    const facts = (await client.readResource({ uri: 'qsmo://reference/facts' })).contents[0] as { text: string };
    expect(facts.text).toContain('M-19-16');
    expect(client.getInstructions()).toContain('QSMO');
    await client.close();
  });
});

const marketplaces = ['financialManagement', 'humanResources', 'grantsManagement', 'cybersecurity'];
/** Six pages of a hundred agencies with each marketplace's offerings: 6 × 9,001, over an analyst's budget of 50,000. */
const OVER_BUDGET = `query Over($n: Int) { ${[1, 2, 3, 4, 5, 6].map((i) => `a${i}: agencies(first: $n) { edges { node { ...Listed } } }`).join(' ')} }
fragment Listed on Agency { code ${marketplaces.map((f) => `${f} { offeringCount offerings { id name provider { id name } } }`).join(' ')} }`;

describe('calling tools', () => {
  test('the portfolio tool for HHS answers what /graphql answers, as structured content, logged and counted under its name', async () => {
    const client = await connect();
    const result = await call(client, 'AgencyPortfolio', { code: '075' });
    await client.close();
    const op = LIBRARY.find((o) => o.name === 'AgencyPortfolio')!;
    const direct = await graphql(op.source, { code: '075' });
    expect(direct.errors).toBeUndefined();
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual(direct.data);
    expect((result.structuredContent as any).agency.name).toMatch(/Health and Human Services/);
    expect(JSON.parse(text(result))).toEqual(direct.data);
    expect(logged.some((l) => l.operation === 'AgencyPortfolio' && l.outcome === 'success' && typeof l.traceId === 'string')).toBe(true);
    const metrics = await (await fetch(graph.gatewayUrl.replace(/graphql$/, 'metrics'))).text();
    expect(metrics).toMatch(/graphql_operations_total\{operation="AgencyPortfolio",type="query",outcome="success"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/http_requests_total\{[^}]*method="POST",route="\/mcp",status="200"[^}]*\} [1-9]/);
  });

  test("a tool call joins the trace the assistant's host sent, in the request log", async () => {
    const traceId = randomBytes(16).toString('hex');
    const client = await connect(undefined, { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
    expect((await call(client, 'QsmosOverview', {})).isError).toBeFalsy();
    await client.close();
    expect(logged.find((l) => l.traceId === traceId)).toMatchObject({ operation: 'QsmosOverview', outcome: 'success' });
  });

  test('the query tool: an analyst within budget is answered; an anonymous caller is refused with what to do', async () => {
    const analyst = await connect(await token(['analyst']));
    const answered = await call(analyst, 'query', { query: 'query Qsmos { qsmos { domain name } }', variables: {} });
    expect(answered.isError).toBeFalsy();
    expect((answered.structuredContent as any).qsmos.length).toBeGreaterThanOrEqual(4);
    const sdl = await call(analyst, 'schema', { type: 'Agency' });
    expect(text(sdl)).toMatch(/^"""[\s\S]*type Agency/);
    await analyst.close();

    const anonymous = await connect();
    const refused = await call(anonymous, 'query', { query: 'query Qsmos { qsmos { domain name } }' });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/FORBIDDEN: the query tool is for analysts\. Connect with an analyst's token/);
    expect((await call(anonymous, 'schema', {})).isError).toBe(true);
    await anonymous.close();
  });

  test('over budget or malformed: a tool error that says what to change, while other clients keep being answered', async () => {
    const anonymous = await connect();
    const other = await connect();
    const analyst = await connect(await token(['analyst']));
    const [overBudget, missing, unknownArgument, wrongType, answeredMeanwhile] = await Promise.all([
      call(analyst, 'query', { query: OVER_BUDGET, variables: { n: 100 } }),
      call(anonymous, 'AgencyPortfolio', {}),
      call(anonymous, 'AgencyPortfolio', { code: '075', agency: 'HHS' }),
      call(anonymous, 'GrantsOfferingsPage', { first: 'ten' }),
      call(other, 'QsmosOverview', {}),
    ]);
    expect(overBudget.isError).toBe(true);
    expect(text(overBudget)).toMatch(/COST_LIMIT_EXCEEDED: .*54,?006.*50,?000/);
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/BAD_USER_INPUT: .*\$code.*was not provided/);
    expect(text(unknownArgument)).toBe('BAD_USER_INPUT: AgencyPortfolio has no argument agency: its arguments are code (see its input schema).');
    expect(wrongType.isError).toBe(true);
    expect(text(wrongType)).toMatch(/BAD_USER_INPUT: .*\$first.*Int/);
    expect(answeredMeanwhile.isError).toBeFalsy();
    expect((answeredMeanwhile.structuredContent as any).qsmos.length).toBeGreaterThanOrEqual(4);

    const mutation = await call(analyst, 'query', { query: 'mutation { __typename }' });
    expect(text(mutation)).toMatch(/runs queries only/);
    const unparsable = await call(analyst, 'query', { query: 'query { qsmos {' });
    expect(text(unparsable)).toMatch(/GRAPHQL_PARSE_FAILED: Syntax Error/);
    const notAnObject = await call(analyst, 'query', { query: 'query { qsmos { name } }', variables: 'code=075' });
    expect(text(notAnObject)).toMatch(/"variables" must be an object/);
    await Promise.all([anonymous.close(), other.close(), analyst.close()]);
  });

  test('a bad token is refused as at /graphql, before any tool runs', async () => {
    const client = new Client({ name: 'qsmo-test-assistant', version: '1.0.0' });
    await expect(
      client.connect(new StreamableHTTPClientTransport(mcpUrl(), { requestInit: { headers: { authorization: 'Bearer not-a-jwt' } } })),
    ).rejects.toThrow();
    const res = await fetch(mcpUrl(), {
      method: 'POST',
      headers: { authorization: 'Bearer not-a-jwt', 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
  });
});

test('regenerating the manifest adds the new operation as a tool without a restart, trusted at once', async () => {
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as TrustedDocumentsManifest;
  const body = '# The name of every QSMO.\n# Example: no arguments.\nquery QsmoNames {\n  qsmos {\n    name\n  }\n}\n';
  manifest.operations.push({ id: documentHash(body), name: 'QsmoNames', type: 'query', body });
  fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
  const client = await connect();
  const tools = (await client.listTools()).tools;
  expect(tools.find((t) => t.name === 'QsmoNames')).toMatchObject({
    description: 'The name of every QSMO. Example: no arguments.',
    inputSchema: { type: 'object', properties: {} },
  });
  const answer = await call(client, 'QsmoNames', {});
  expect(answer.isError).toBeFalsy();
  expect((answer.structuredContent as any).qsmos.length).toBeGreaterThanOrEqual(4);
  await client.close();
});
