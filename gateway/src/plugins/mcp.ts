import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { getOperationAST, parse, printSchema, printType, type GraphQLSchema } from 'graphql';
import { ANONYMOUS, type Identity, type Role } from '@qsmo/service-kit/auth/identity';
import { ErrorCode } from '@qsmo/service-kit/errors';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { type Logger } from '@qsmo/service-kit/logger';
import { GUIDE_RESOURCES, guideText } from '../mcp/resources';
import { OperationTools, type OperationTool } from '../mcp/tools';
import { incomingRequest, type GatewayPlugin, type GraphQLCallResult, type GraphQLExecutor } from '../plugin';
import { identityOf, MCP_PATH } from './authentication';

/** What useMcp serves. */
export interface McpOptions {
  /** The operation tools (the operations library's manifest, later the manifests frontends publish). */
  tools: OperationTools;
  logger: Logger;
  /** The version the endpoint reports in MCP's initialize answer; default: the gateway package's. */
  version?: string;
}

/** The role that may explore with the ad-hoc `query` tool and the `schema` tool, as it may with any document at /graphql. */
export const EXPLORER_ROLE: Role = 'analyst';

const QUERY_TOOL: Tool = {
  name: 'query',
  title: 'Run a GraphQL query (analysts)',
  description:
    'Runs one GraphQL query against the graph, under the same depth, alias and cost limits as /graphql and your cost budget. ' +
    'Ask for a page with `first` rather than everything; read the `schema` tool first. Queries only: the graph is read-only here.',
  inputSchema: {
    type: 'object',
    properties: {
      query: { type: 'string', description: 'The GraphQL document, e.g. "query { qsmos { name } }".' },
      variables: { type: 'object', description: "Values of the document's variables, by name.", additionalProperties: true },
      operationName: { type: 'string', description: 'Which operation to run when the document holds several.' },
    },
    required: ['query'],
    additionalProperties: false,
  },
  annotations: { readOnlyHint: true, openWorldHint: false },
};

const SCHEMA_TOOL: Tool = {
  name: 'schema',
  title: "The graph's schema (analysts)",
  description: 'The GraphQL SDL of the public graph, with every type and field described; pass `type` for one type only (e.g. "Agency", "OfferingFilter").',
  inputSchema: {
    type: 'object',
    properties: { type: { type: 'string', description: 'A type name; omit for the whole schema.' } },
    additionalProperties: false,
  },
  annotations: { readOnlyHint: true, openWorldHint: false },
};

const isExplorer = (identity: Identity) => identity.roles.includes(EXPLORER_ROLE);

/** A tool answer that is an error the caller can act on; never a protocol error, so the assistant reads the message. */
function toolError(message: string, extra: Record<string, unknown> = {}): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: message }], ...(Object.keys(extra).length ? { structuredContent: extra } : {}) };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The type of the operation a document would run, when it parses and names one. */
function parsedOperation(query: string, operationName: string | undefined): string | undefined {
  try {
    return getOperationAST(parse(query), operationName)?.operation;
  } catch {
    return undefined;
  }
}

/** A GraphQL answer as a tool result: the data as structured content, or the errors with their codes and what to change. */
export function toolResult(answer: GraphQLCallResult): CallToolResult {
  const { data, errors, extensions } = answer.body;
  if (!errors?.length && isObject(data)) {
    return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data, ...(extensions ? { _meta: { extensions } } : {}) };
  }
  const lines = (errors ?? []).map((e) => `${String(e.extensions?.code ?? 'ERROR')}: ${e.message}`);
  const partial = isObject(data) ? '\nPart of the answer came back and is in structuredContent.data.' : '';
  return toolError(`The graph refused or could not fully answer this call:\n${lines.join('\n')}${partial}`, {
    ...(isObject(data) ? { data } : {}),
    errors: errors ?? [],
  });
}

/**
 * The Model Context Protocol at /mcp (Streamable HTTP, stateless: every
 * POST is answered on its own, so any gateway replica or worker can take
 * it). Tools are the trusted operations, plus `query` and `schema` for
 * analysts; resources are the guide and the reference notes. Every tool
 * call is a GraphQL request run in-process as the caller, through the same
 * plugins as /graphql: the identity and rate limit of the MCP request
 * (authentication treats /mcp like /graphql), then trusted documents,
 * operation limits, demand control, the response cache, the request log,
 * tracing and metrics. A library tool runs under its operation's name, so
 * logs and metrics name the tool.
 */
export function useMcp(options: McpOptions): GatewayPlugin {
  const { tools, logger } = options;
  const version = options.version ?? (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'gateway', 'package.json'), 'utf8')) as { version: string }).version;
  let graphql: GraphQLExecutor | undefined;
  let schema: GraphQLSchema | undefined;

  function listTools(identity: Identity): Tool[] {
    const operations = [...tools.tools(schema!).values()].map(
      (op): Tool => ({
        name: op.name,
        description: op.description,
        inputSchema: op.inputSchema as Tool['inputSchema'],
        annotations: { readOnlyHint: true, openWorldHint: false },
      }),
    );
    return isExplorer(identity) ? [...operations, QUERY_TOOL, SCHEMA_TOOL] : operations;
  }

  async function callOperation(req: IncomingMessage, tool: OperationTool, args: Record<string, unknown>): Promise<CallToolResult> {
    const unknown = Object.keys(args).filter((name) => !tool.variables.includes(name));
    if (unknown.length) {
      const known = tool.variables.length ? `its arguments are ${tool.variables.join(', ')}` : 'it takes no arguments';
      return toolError(`${ErrorCode.BAD_USER_INPUT}: ${tool.name} has no argument ${unknown.join(', ')}: ${known} (see its input schema).`);
    }
    return toolResult(await graphql!.execute(req, { query: tool.document, variables: args, operationName: tool.name }));
  }

  async function callQuery(req: IncomingMessage, args: Record<string, unknown>): Promise<CallToolResult> {
    const { query, variables, operationName } = args;
    if (typeof query !== 'string' || query.trim() === '')
      return toolError(`${ErrorCode.BAD_USER_INPUT}: pass the GraphQL document as the string argument "query".`);
    if (variables !== undefined && !isObject(variables))
      return toolError(`${ErrorCode.BAD_USER_INPUT}: "variables" must be an object of values by variable name, e.g. {"code": "075"}.`);
    if (operationName !== undefined && typeof operationName !== 'string')
      return toolError(`${ErrorCode.BAD_USER_INPUT}: "operationName" must be the name of an operation of the document.`);
    // Mutations are refused here, not left to /graphql: an assistant explores, it does not edit the catalog. Unparsable documents get GraphQL's own message.
    const operation = parsedOperation(query, operationName as string | undefined);
    if (operation && operation !== 'query') {
      return toolError(
        `${ErrorCode.BAD_USER_INPUT}: the query tool runs queries only, not a ${operation}; catalog edits go through /graphql with an editor's token.`,
      );
    }
    return toolResult(
      await graphql!.execute(req, { query, variables: variables as Record<string, unknown> | undefined, operationName: operationName as string | undefined }),
    );
  }

  function callSchema(args: Record<string, unknown>): CallToolResult {
    const { type } = args;
    if (type === undefined) return { content: [{ type: 'text', text: printSchema(schema!) }] };
    if (typeof type !== 'string') return toolError(`${ErrorCode.BAD_USER_INPUT}: "type" must be a type name such as "Agency"; omit it for the whole schema.`);
    const found = schema!.getType(type);
    if (!found || type.startsWith('__')) {
      const near = Object.keys(schema!.getTypeMap())
        .filter((n) => !n.startsWith('__') && n.toLowerCase().includes(type.toLowerCase()))
        .slice(0, 10);
      return toolError(
        `${ErrorCode.BAD_USER_INPUT}: the graph has no type "${type}"${near.length ? `; similar: ${near.join(', ')}` : ''}. Call schema without "type" to see every type.`,
      );
    }
    return { content: [{ type: 'text', text: printType(found) }] };
  }

  function mcpServer(req: IncomingMessage, identity: Identity): Server {
    const server = new Server(
      { name: 'qsmo-graph', title: 'QSMO shared-services graph', version },
      { capabilities: { tools: {}, resources: {} }, instructions: guideText() },
    );
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listTools(identity) }));
    server.setRequestHandler(CallToolRequestSchema, async ({ params }): Promise<CallToolResult> => {
      const args = params.arguments ?? {};
      if (!isObject(args)) return toolError(`${ErrorCode.BAD_USER_INPUT}: pass the tool's arguments as an object, as its input schema says.`);
      try {
        if (params.name === QUERY_TOOL.name || params.name === SCHEMA_TOOL.name) {
          if (!isExplorer(identity)) {
            return toolError(
              `${ErrorCode.FORBIDDEN}: the ${params.name} tool is for analysts. Connect with an analyst's token (the header "Authorization: Bearer <token>"), ` +
                'or use the operation tools this endpoint lists, which anyone may call.',
            );
          }
          return params.name === QUERY_TOOL.name ? await callQuery(req, args) : callSchema(args);
        }
        const tool = tools.tools(schema!).get(params.name);
        if (!tool) return toolError(`${ErrorCode.BAD_USER_INPUT}: there is no tool "${params.name}": list the tools to see the operations this graph offers.`);
        return await callOperation(req, tool, args);
      } catch (error) {
        // Logged with the stack for the operator; the assistant gets an answer it can relay instead of a broken connection.
        logger.error(`MCP tool ${params.name} failed`, error);
        return toolError(
          `${ErrorCode.INTERNAL_SERVER_ERROR}: the gateway could not run ${params.name}. Retry; if it keeps failing, report the time of the call to the graph's operators.`,
        );
      }
    });
    server.setRequestHandler(ListResourcesRequestSchema, () => ({
      resources: GUIDE_RESOURCES.map(({ uri, name, title, description, mimeType }) => ({ uri, name, title, description, mimeType })),
    }));
    server.setRequestHandler(ReadResourceRequestSchema, ({ params }) => {
      const resource = GUIDE_RESOURCES.find((r) => r.uri === params.uri);
      if (!resource) throw new Error(`There is no resource ${params.uri}: list the resources to see them.`);
      return { contents: [{ uri: resource.uri, mimeType: resource.mimeType, text: resource.text() }] };
    });
    return server;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!graphql || !schema) {
      res.statusCode = 503;
      res.setHeader('retry-after', '1');
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(
        JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'The gateway is starting and has no supergraph yet; retry shortly.' }, id: null }),
      );
      return;
    }
    const identity = identityOf(incomingRequest(req)) ?? ANONYMOUS;
    const server = mcpServer(req, identity);
    // Stateless: no session id, and JSON answers rather than an event stream, since every answer is one message.
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.once('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  }

  function methodNotAllowed(_req: IncomingMessage, res: ServerResponse): void {
    // Stateless: there is no session to stream notifications on or to end.
    res.statusCode = 405;
    res.setHeader('allow', 'POST');
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'This MCP endpoint is stateless: send every message as a POST.' }, id: null }));
  }

  return {
    name: 'mcp',
    routes: { [`POST ${MCP_PATH}`]: handle, [`GET ${MCP_PATH}`]: methodNotAllowed, [`DELETE ${MCP_PATH}`]: methodNotAllowed },
    onSupergraphLoad({ apiSchema }) {
      schema = apiSchema;
    },
    attach(executor) {
      graphql = executor;
    },
  };
}
