import {
  astFromValue,
  getNamedType,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLScalarType,
  Kind,
  parse,
  print,
  typeFromAST,
  validate,
  valueFromASTUntyped,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { Logger } from '@qsmo/service-kit/logger';
import { leadingComment } from '../operations';
import type { ManifestFile } from '../trusted-documents';

/** The part of JSON Schema (2020-12) a tool's input schema uses. */
export interface JsonSchema {
  type?: string;
  description?: string;
  enum?: string[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  default?: unknown;
  format?: string;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
}

/** One operation an assistant may call: a trusted query, described by its document's leading comment. */
export interface OperationTool {
  /** The tool's name: the operation's name, as logs and metrics name it. */
  name: string;
  description: string;
  /** The document exactly as the manifest holds it, so its hash is the trusted one. */
  document: string;
  /** The variables as a JSON Schema object: types, enums, required, defaults. */
  inputSchema: JsonSchema & { type: 'object' };
  /** The variable names, for telling a caller which arguments exist. */
  variables: string[];
}

/** Names the graph's own tools take; an operation with one of them is left out. */
export const RESERVED_TOOL_NAMES = ['query', 'schema'] as const;

const SCALARS: Record<string, JsonSchema> = {
  Int: { type: 'integer' },
  Float: { type: 'number' },
  String: { type: 'string' },
  Boolean: { type: 'boolean' },
  // GraphQL accepts integers for ID too, but every ID of this graph is a string (CGAC codes keep their leading zeros).
  ID: { type: 'string' },
};

/**
 * JSON Schemas of GraphQL input types. Input objects go into $defs and are
 * referenced, so recursive inputs (a filter of filters) stay finite.
 */
class InputSchemas {
  readonly defs: Record<string, JsonSchema> = {};

  of(type: GraphQLInputType): JsonSchema {
    if (type instanceof GraphQLNonNull) return this.of(type.ofType);
    if (type instanceof GraphQLList) return { type: 'array', items: this.of(type.ofType) };
    if (type instanceof GraphQLEnumType) {
      const values = type.getValues();
      const described = values.filter((v) => v.description).map((v) => `${v.name}: ${v.description}`);
      return { type: 'string', enum: values.map((v) => v.name), ...describe([type.description, ...described]) };
    }
    if (type instanceof GraphQLScalarType) {
      const known = SCALARS[type.name];
      // Custom scalars (dates, codes) travel as strings; their description says the format.
      return known ? { ...known } : { type: 'string', ...describe([type.description, type.specifiedByURL && `Format: ${type.specifiedByURL}`]) };
    }
    if (type instanceof GraphQLInputObjectType) {
      if (!this.defs[type.name]) {
        const definition: JsonSchema = { type: 'object', ...describe([type.description]), properties: {}, additionalProperties: false };
        this.defs[type.name] = definition;
        const required: string[] = [];
        for (const field of Object.values(type.getFields())) {
          const schema = { ...this.of(field.type), ...describe([field.description]) };
          const fallback = field.defaultValue === undefined ? undefined : astFromValue(field.defaultValue, field.type);
          if (fallback) schema.default = valueFromASTUntyped(fallback);
          else if (field.type instanceof GraphQLNonNull) required.push(field.name);
          definition.properties![field.name] = schema;
        }
        if (required.length) definition.required = required;
      }
      return { $ref: `#/$defs/${type.name}` };
    }
    throw new Error(`Unexpected input type ${String(type)}`);
  }
}

function describe(parts: readonly (string | null | undefined)[]): { description?: string } {
  const text = parts.filter((p): p is string => Boolean(p)).join(' ');
  return text ? { description: text } : {};
}

/** A JSON Schema object for an operation's variables against the schema it runs on. */
export function variablesInputSchema(operation: OperationDefinitionNode, schema: GraphQLSchema): JsonSchema & { type: 'object' } {
  const inputs = new InputSchemas();
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const variable of operation.variableDefinitions ?? []) {
    const name = variable.variable.name.value;
    const type = typeFromAST(schema, variable.type as Parameters<typeof typeFromAST>[1]) as GraphQLInputType | undefined;
    if (!type) throw new Error(`$${name} has the type ${print(variable.type)}, which the graph does not have.`);
    const named = getNamedType(type);
    const property = inputs.of(type);
    // The GraphQL type comes first: it is what an assistant sees in errors and in the schema tool.
    const ownDescription = property.$ref ? undefined : property.description;
    const schemaOf: JsonSchema = {
      ...property,
      description: [`GraphQL type ${print(variable.type)}.`, ownDescription ?? (property.$ref ? named.description : undefined)].filter(Boolean).join(' '),
    };
    if (variable.defaultValue) schemaOf.default = valueFromASTUntyped(variable.defaultValue);
    else if (type instanceof GraphQLNonNull) required.push(name);
    properties[name] = schemaOf;
  }
  return {
    type: 'object',
    properties,
    ...(required.length ? { required } : {}),
    additionalProperties: false,
    ...(Object.keys(inputs.defs).length ? { $defs: inputs.defs } : {}),
  };
}

/** Where operation tools come from: manifests of trusted documents, each with the operations the operator exposes. */
export interface ToolManifest {
  /** The manifest (Apollo's persisted-query manifest format), re-read when it changes on disk. */
  file: ManifestFile;
  /** The operation names exposed as tools; undefined exposes every query of the manifest (the operations library). */
  expose?: readonly string[];
}

/**
 * The operation tools: every exposed query of the manifests that validates
 * against the supergraph being served, rebuilt when a manifest changes on
 * disk (`npm run codegen`) or a new supergraph is loaded, so neither needs a
 * restart. The operations library's manifest is the first; manifests that
 * frontends publish are further entries, exposing the operations their
 * operator lists.
 */
export class OperationTools {
  private built?: { key: readonly unknown[]; tools: Map<string, OperationTool> };

  constructor(
    private readonly manifests: readonly ToolManifest[],
    private readonly logger: Logger,
  ) {}

  /** The tools for the given API schema, by name, in manifest order. */
  tools(schema: GraphQLSchema): ReadonlyMap<string, OperationTool> {
    const versions = this.manifests.map((m) => m.file.current());
    const key = [schema, ...versions];
    if (this.built && this.built.key.length === key.length && this.built.key.every((k, i) => k === key[i])) return this.built.tools;
    const tools = new Map<string, OperationTool>();
    versions.forEach((version, i) => {
      const { expose } = this.manifests[i]!;
      for (const entry of version.manifest.operations) {
        if (entry.type !== 'query' || (expose && !expose.includes(entry.name))) continue;
        const problem = this.add(tools, entry.name, entry.body, schema);
        if (problem) this.logger.warn(`MCP: the operation ${entry.name} of ${version.file} is not offered as a tool: ${problem}`);
      }
    });
    this.built = { key, tools };
    return tools;
  }

  private add(tools: Map<string, OperationTool>, name: string, body: string, schema: GraphQLSchema): string | undefined {
    if ((RESERVED_TOOL_NAMES as readonly string[]).includes(name)) return `"${name}" is the name of one of the graph's own tools; rename the operation.`;
    if (tools.has(name)) return 'an operation of that name is already a tool (names must be unique across the manifests).';
    let document: DocumentNode;
    try {
      document = parse(body);
    } catch (error) {
      return (error as Error).message;
    }
    // A document the served supergraph cannot run (a field not yet published) waits for the supergraph that has it.
    const errors = validate(schema, document);
    if (errors.length) return `it does not validate against the supergraph being served (${errors[0]!.message}).`;
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && d.name?.value === name);
    if (!operation) return `the document has no operation named ${name}.`;
    tools.set(name, {
      name,
      description: leadingComment(body) || `Runs the trusted query ${name}.`,
      document: body,
      inputSchema: variablesInputSchema(operation, schema),
      variables: (operation.variableDefinitions ?? []).map((v) => v.variable.name.value),
    });
    return undefined;
  }
}
