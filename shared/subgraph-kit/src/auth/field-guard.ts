import { defaultFieldResolver, isObjectType, type GraphQLSchema } from 'graphql';
import type { QsmoDomain } from '@qsmo/service-kit/subgraphs';
import { requireEditor, requireRole, type Identity, type Role } from '@qsmo/service-kit/auth/identity';

/**
 * Fields that are not for the public reader, as "Type.field" → the role that
 * may read them. `editor` means an editor of the subgraph's own QSMO. One
 * table, applied where the subgraph's schema is built, so no resolver can
 * forget the check and a review sees every restricted field in one place.
 */
export type FieldRules = Readonly<Record<string, Role>>;

/**
 * The restricted fields of the graph today: none. Everything it serves is
 * public-domain reference data (curator notes included: they repeat what the
 * published sources say), so the public reader sees it all. Private fields
 * (e.g. draft edits of the catalog-editing work) go here.
 */
export const RESTRICTED_FIELDS: FieldRules = {};

/**
 * Wraps each listed field's resolver with its role check. The table is the
 * graph's, so rules for another subgraph's types are skipped; a rule naming
 * a field this subgraph's type lacks throws at build time, so a renamed field
 * never silently becomes public (fieldRulesProblems checks a whole table
 * against all the subgraphs).
 */
export function applyFieldRules<TContext extends { identity: Identity }>(schema: GraphQLSchema, rules: FieldRules, domain: QsmoDomain): GraphQLSchema {
  const problems: string[] = [];
  for (const [coordinate, role] of Object.entries(rules)) {
    const [typeName, fieldName] = coordinate.split('.');
    const type = typeName ? schema.getType(typeName) : undefined;
    if (!type) continue;
    const field = isObjectType(type) && fieldName ? type.getFields()[fieldName] : undefined;
    if (!field) {
      problems.push(`restricted field ${coordinate} is not in the schema: fix or remove the rule.`);
      continue;
    }
    const resolve = field.resolve ?? defaultFieldResolver;
    const what = `the field ${coordinate}`;
    field.resolve = (source, args, context: TContext, info) => {
      if (role === 'editor') requireEditor(context.identity, domain, what);
      else requireRole(context.identity, role, what);
      return resolve(source, args, context, info);
    };
  }
  if (problems.length) throw new Error(problems.join('\n'));
  return schema;
}

/** The rules of a table that name a field no subgraph has: each a wiring mistake to fix. */
export function fieldRulesProblems(rules: FieldRules, schemas: readonly GraphQLSchema[]): string[] {
  return Object.keys(rules)
    .filter((coordinate) => {
      const [typeName, fieldName] = coordinate.split('.');
      return !schemas.some((schema) => {
        const type = typeName ? schema.getType(typeName) : undefined;
        return isObjectType(type) && fieldName !== undefined && fieldName in type.getFields();
      });
    })
    .map((coordinate) => `restricted field ${coordinate} is in no subgraph's schema: fix or remove the rule.`);
}
