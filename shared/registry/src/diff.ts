import { buildSubgraphSchema } from '@apollo/subgraph';
import {
  buildASTSchema,
  findBreakingChanges,
  findDangerousChanges,
  Kind,
  parse,
  printSchema,
  type DefinitionNode,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';

/**
 * Breaking-change detection on a subgraph's own API: the schema a subgraph
 * serves, without what federation adds to every subgraph (_entities,
 * _service, _Entity, link__/federation__ types and directives). Without that
 * filtering, adding an entity would show up as a change to the _Entity union.
 */
export interface SchemaChange {
  /** graphql-js's change type, e.g. FIELD_REMOVED, ARG_CHANGED_KIND, VALUE_ADDED_TO_ENUM. */
  type: string;
  /** Names the type, field, argument or value, e.g. "GrantsManagementOffering.website was removed." */
  description: string;
}

export interface SchemaDiff {
  /** Changes that can break an existing client operation. */
  breaking: SchemaChange[];
  /** Changes that keep operations valid but can change what a client sees (e.g. a new enum value). */
  dangerous: SchemaChange[];
}

const FEDERATION_TYPES = /^(_Entity|_Service|_Any|_FieldSet|FieldSet|link__\w+|federation__\w+|join__\w+)$/;
const FEDERATION_ROOT_FIELDS = new Set(['_entities', '_service']);

/** Thrown when an SDL is not a valid subgraph schema; the message comes from federation's validation. */
export class InvalidSubgraphSchemaError extends Error {
  override readonly name = 'InvalidSubgraphSchemaError';
}

/**
 * The client-facing schema of a subgraph SDL: validated as federation
 * validates it, then printed and rebuilt without federation's additions.
 */
export function subgraphApiSchema(sdl: string): GraphQLSchema {
  let document: DocumentNode;
  let full: GraphQLSchema;
  try {
    document = parse(sdl);
    full = buildSubgraphSchema(document);
  } catch (error) {
    throw new InvalidSubgraphSchemaError((error as Error).message);
  }
  const ownDirectives = new Set(document.definitions.flatMap((d) => (d.kind === Kind.DIRECTIVE_DEFINITION ? [d.name.value] : [])));
  const printed = parse(printSchema(full));
  const definitions: DefinitionNode[] = [];
  for (const def of printed.definitions) {
    if (def.kind === Kind.DIRECTIVE_DEFINITION) {
      if (ownDirectives.has(def.name.value)) definitions.push(def);
      continue;
    }
    if ('name' in def && def.name && FEDERATION_TYPES.test(def.name.value)) continue;
    if (def.kind === Kind.OBJECT_TYPE_DEFINITION && def.name.value === (full.getQueryType()?.name ?? 'Query')) {
      const fields = (def.fields ?? []).filter((f) => !FEDERATION_ROOT_FIELDS.has(f.name.value));
      // A subgraph that only resolves entities has no Query fields of its own.
      if (fields.length > 0) definitions.push({ ...def, fields });
      continue;
    }
    definitions.push(def);
  }
  return buildASTSchema({ kind: Kind.DOCUMENT, definitions }, { assumeValidSDL: true });
}

/**
 * Breaking and dangerous changes from the published SDL to the candidate,
 * with graphql-js's messages, which name the type and field concerned.
 */
export function diffSubgraphSchemas(publishedSdl: string, candidateSdl: string): SchemaDiff {
  const before = subgraphApiSchema(publishedSdl);
  const after = subgraphApiSchema(candidateSdl);
  const simplify = (c: { type: string; description: string }): SchemaChange => ({ type: c.type, description: c.description });
  return {
    breaking: findBreakingChanges(before, after).map(simplify),
    dangerous: findDangerousChanges(before, after).map(simplify),
  };
}
