import type { Supergraph } from '@apollo/federation-internals';
import { Kind, TypeInfo, parse, print, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';

/**
 * Root-query failover for the shared reference fields.
 *
 * Every subgraph serves Agency, Provider and Qsmo (and their root fields) as
 * @shareable, and the query planner sends a query's root fetch to one of the
 * subgraphs the query needs anyway. If that subgraph is down, the whole root
 * field (an agency, or the agencies page) would be lost although any other
 * subgraph could answer its shared part. So when a root fetch fails, the
 * gateway rewrites it for another subgraph: selections that subgraph cannot
 * resolve (the failed domain's own fields) are dropped and come back null,
 * with the SUBGRAPH_UNAVAILABLE error that names the failed area.
 * plugins/failover.ts puts this rewriter in front of the data sources.
 */
export class RootFailover {
  private schemas = new Map<string, GraphQLSchema>();
  private order: string[] = [];

  /** Called with each supergraph the gateway starts serving, so candidates and rewrites follow the served schemas. */
  update(supergraph: Supergraph): void {
    const subgraphs = supergraph.subgraphs();
    this.schemas = new Map(subgraphs.values().map((s) => [s.name, s.schema.toGraphQLJSSchema()]));
    this.order = [...subgraphs.names()];
  }

  /** The other subgraphs to try, in supergraph order. */
  candidates(failed: string): string[] {
    return this.order.filter((name) => name !== failed);
  }

  /**
   * The query rewritten for `target`, or null when the failed fetch is not a
   * root query or nothing of it is left for `target` to answer.
   */
  rewrite(query: string, target: string): { query: string; variableNames: Set<string> } | null {
    const schema = this.schemas.get(target);
    if (!schema) return null;
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch {
      return null;
    }
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (!operation || operation.operation !== 'query' || document.definitions.length !== 1) return null;
    if (operation.selectionSet.selections.some((s) => s.kind === Kind.FIELD && s.name.value === '_entities')) return null;

    const typeInfo = new TypeInfo(schema);
    const pruned = visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field: {
          enter: () => (typeInfo.getFieldDef() ? undefined : null),
          // A field whose every sub-selection was dropped cannot be sent at all.
          leave: (node) => (node.selectionSet && node.selectionSet.selections.length === 0 ? null : undefined),
        },
        InlineFragment: {
          enter: (node) => (node.typeCondition && !schema.getType(node.typeCondition.name.value) ? null : undefined),
          leave: (node) => (node.selectionSet.selections.length === 0 ? null : undefined),
        },
      }),
    );
    const op = pruned.definitions[0] as OperationDefinitionNode | undefined;
    if (!op || op.selectionSet.selections.length === 0) return null;

    const used = new Set<string>();
    visit(op.selectionSet, {
      Variable: (node) => {
        used.add(node.name.value);
      },
    });
    const rewritten: DocumentNode = {
      ...pruned,
      definitions: [{ ...op, variableDefinitions: op.variableDefinitions?.filter((v) => used.has(v.variable.name.value)) }],
    };
    return { query: print(rewritten), variableNames: used };
  }
}
