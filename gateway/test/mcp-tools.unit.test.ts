import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { documentHash } from '@qsmo/service-kit/http/request-checks';
import type { ServerResponse } from 'node:http';
import { OperationTools, variablesInputSchema } from '../src/mcp/tools';
import { useRateLimit } from '../src/plugins/rate-limit';
import { ManifestFile, type TrustedDocumentsManifest } from '../src/trusted-documents';

/**
 * The MCP tool source without a graph: input schemas from variables against
 * a small schema, and a manifest followed on disk (rewritten, broken, fixed).
 */
const SCHEMA = buildSchema(`
  "How sure a source is."
  enum Verification { "Stated by the QSMO." VERIFIED UNVERIFIED }
  "A filter of filters."
  input Filter { name: String, verification: [Verification!], not: Filter, limit: Int = 10, code: ID! }
  type Query { items(filter: Filter, first: Int = 100, tags: [String!]!, ratio: Float, on: Boolean): [String] }
`);

const operation = (source: string) => parse(source).definitions[0] as OperationDefinitionNode;

test('variables become a JSON Schema: scalars, lists, enums, recursive input objects, required and defaults', () => {
  const schema = variablesInputSchema(
    operation(
      'query Q($filter: Filter, $first: Int = 50, $tags: [String!]!, $ratio: Float, $on: Boolean) { items(filter: $filter, first: $first, tags: $tags, ratio: $ratio, on: $on) }',
    ),
    SCHEMA,
  );
  expect(schema).toEqual({
    type: 'object',
    properties: {
      filter: { $ref: '#/$defs/Filter', description: 'GraphQL type Filter. A filter of filters.' },
      first: { type: 'integer', description: 'GraphQL type Int.', default: 50 },
      tags: { type: 'array', items: { type: 'string' }, description: 'GraphQL type [String!]!.' },
      ratio: { type: 'number', description: 'GraphQL type Float.' },
      on: { type: 'boolean', description: 'GraphQL type Boolean.' },
    },
    required: ['tags'],
    additionalProperties: false,
    $defs: {
      Filter: {
        type: 'object',
        description: 'A filter of filters.',
        additionalProperties: false,
        required: ['code'],
        properties: {
          name: { type: 'string' },
          verification: {
            type: 'array',
            items: { type: 'string', enum: ['VERIFIED', 'UNVERIFIED'], description: 'How sure a source is. VERIFIED: Stated by the QSMO.' },
          },
          not: { $ref: '#/$defs/Filter' },
          limit: { type: 'integer', default: 10 },
          code: { type: 'string' },
        },
      },
    },
  });
});

function manifestOf(bodies: Record<string, string>): TrustedDocumentsManifest {
  return {
    format: 'apollo-persisted-query-manifest',
    version: 1,
    operations: Object.entries(bodies).map(([name, body]) => ({ id: documentHash(body), name, type: 'query', body })),
  };
}

describe('a manifest followed on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-manifest-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('tools follow rewrites; an unreadable rewrite keeps the last good version and is reported once', () => {
    const file = path.join(dir, 'trusted-documents.json');
    fs.writeFileSync(file, JSON.stringify(manifestOf({ Items: '# Every item.\nquery Items { items(tags: []) }\n' })));
    const problems: string[] = [];
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (m: unknown) => {
        warnings.push(String(m));
      },
      error() {},
    };
    const tools = new OperationTools([{ file: new ManifestFile(file, (p) => problems.push(p), 0) }], logger);
    expect([...tools.tools(SCHEMA).keys()]).toEqual(['Items']);
    expect(tools.tools(SCHEMA).get('Items')!.description).toBe('Every item.');

    fs.writeFileSync(
      file,
      JSON.stringify(
        manifestOf({
          Items: '# Every item.\nquery Items { items(tags: []) }\n',
          Tagged: '# Items with a tag.\nquery Tagged($tag: String!) { items(tags: [$tag]) }\n',
          // Not in the served schema yet: left out, with the reason.
          Future: 'query Future { gadgets }\n',
          // The graph's own tool names are not taken.
          query: 'query query { items(tags: []) }\n',
        }),
      ),
    );
    expect([...tools.tools(SCHEMA).keys()]).toEqual(['Items', 'Tagged']);
    expect(tools.tools(SCHEMA).get('Tagged')!.inputSchema.required).toEqual(['tag']);
    expect(warnings.join('\n')).toMatch(/Future .* does not validate against the supergraph being served \(Cannot query field "gadgets"/);
    expect(warnings.join('\n')).toMatch(/"query" is the name of one of the graph's own tools/);

    const tampered = manifestOf({ Items: 'query Items { items(tags: []) }\n' });
    tampered.operations[0]!.body = 'query Items { items(tags: ["x"]) }\n';
    fs.writeFileSync(file, JSON.stringify(tampered));
    expect([...tools.tools(SCHEMA).keys()]).toEqual(['Items', 'Tagged']);
    expect(tools.tools(SCHEMA).size).toBe(2);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/does not match its hash; run npm run codegen .* Still serving the version read before\./);
  });

  test('a new supergraph with the missing field turns the waiting operation into a tool, with its new enum values', () => {
    const file = path.join(dir, 'trusted-documents.json');
    fs.writeFileSync(file, JSON.stringify(manifestOf({ Gadgets: 'query Gadgets($v: Verification) { gadgets(verification: $v) }\n' })));
    const logger = { debug() {}, info() {}, warn() {}, error() {} };
    const tools = new OperationTools([{ file: new ManifestFile(file) }], logger);
    expect(tools.tools(SCHEMA).size).toBe(0);
    const published = buildSchema(`enum Verification { VERIFIED UNVERIFIED PARTIAL } type Query { gadgets(verification: Verification): [String] }`);
    expect(tools.tools(published).get('Gadgets')!.inputSchema.properties!.v).toMatchObject({ type: 'string', enum: ['VERIFIED', 'UNVERIFIED', 'PARTIAL'] });
  });

  test('an operator exposes only the operations listed for a manifest', () => {
    const file = path.join(dir, 'frontend.json');
    fs.writeFileSync(file, JSON.stringify(manifestOf({ Items: 'query Items { items(tags: []) }\n', Other: 'query Other { items(tags: ["a"]) }\n' })));
    const logger = { debug() {}, info() {}, warn() {}, error() {} };
    const tools = new OperationTools([{ file: new ManifestFile(file), expose: ['Other'] }], logger);
    expect([...tools.tools(SCHEMA).keys()]).toEqual(['Other']);
  });

  test('a manifest that cannot be read at start stops start-up with what to run', () => {
    expect(() => new ManifestFile(path.join(dir, 'missing.json'))).toThrow(/Cannot read the trusted documents .*missing\.json.*Run npm run codegen/);
  });
});

test('rate limits count MCP messages as they count GraphQL requests, per caller', async () => {
  const limit = useRateLimit({ perMinute: { anonymous: 2, analyst: 0, editor: 0 }, trustProxyHops: 0, maxCallers: 10 });
  const answers: { status: number; body: string }[] = [];
  const send = async (url: string, address: string) => {
    const response = {
      statusCode: 200,
      headers: {} as Record<string, string>,
      setHeader(k: string, v: string) {
        this.headers[k] = v;
      },
      end(body: string) {
        answers.push({ status: this.statusCode, body });
      },
    };
    return await limit.beforeRequest!({ method: 'POST', url, headers: {}, remoteAddress: address }, response as unknown as ServerResponse);
  };
  expect([await send('/mcp', '10.0.0.1'), await send('/graphql', '10.0.0.1'), await send('/mcp', '10.0.0.1')]).toEqual([false, false, true]);
  expect(answers[0]).toMatchObject({ status: 429, body: expect.stringContaining('RATE_LIMITED') });
  // Another address is another caller.
  expect(await send('/mcp', '10.0.0.2')).toBe(false);
});
