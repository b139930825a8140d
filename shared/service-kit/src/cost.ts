import {
  buildSubgraph,
  federationMetadata,
  isFederationDirectiveDefinedInSchema,
  type DirectiveDefinition,
  type Supergraph,
} from '@apollo/federation-internals';
import {
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isCompositeType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { ErrorCode } from './errors';

/**
 * Static cost estimation of GraphQL operations from the `@cost` and
 * `@listSize` directives (the IBM GraphQL cost directive convention, adopted
 * by Apollo Federation 2.9 and Apollo Router's demand control), following
 * the router's static estimate:
 *
 * - an operation costs its type's base (mutation 10, query and subscription 0)
 *   plus the cost of its selections;
 * - a field costs `count × (weight + cost of its selections) + arguments`:
 *   `weight` is the field's `@cost`, else its type's `@cost`, else 1 for an
 *   object, interface or union and 0 for a scalar or enum; `count` is 1 for a
 *   single value, and for a list the value of its `@listSize` slicing
 *   argument (a literal, a variable or the argument's default alike), else
 *   the size its parent's `sizedFields` gives it, else its `assumedSize`,
 *   else DEFAULT_LIST_SIZE;
 * - arguments cost their `@cost` weights, each input object 1;
 * - fragments on the parent's own type (or a supertype) add up; fragments that
 *   narrow an abstract type to some of its types cost the most any one
 *   possible type would select, as one object is only ever one type;
 * - fields skipped by `@skip`/`@include` cost nothing, and so do `__typename`
 *   and introspection (bounded by the schema, not by the client).
 *
 * The estimate is an upper bound computed before anything runs, so a client
 * cannot lower it with a variable: `first: $n` with `$n = 100` costs exactly
 * what `first: 100` does.
 */

/** How many items a list field returns, as its `@listSize` declares. */
export interface ListSize {
  /** Items assumed when no slicing argument gives the size. */
  assumedSize?: number;
  /** Arguments whose value is the size (an Int, or a list's length); a dotted path reaches into an input object. */
  slicingArguments?: readonly string[];
  /** Fields of the returned object that hold the items (a connection's `edges`), sized by the slicing argument. */
  sizedFields?: readonly string[];
}

/** What the cost of an operation is estimated from: the schema's types and its cost directives, by schema coordinate. */
export interface CostModel {
  /** The schema operations are validated against (the API schema at the gateway, the served schema at a subgraph). */
  schema: GraphQLSchema;
  /** `@cost(weight:)` by coordinate: `Type`, `Type.field`, `Type.field(arg:)` or `Input.field`. */
  weights: ReadonlyMap<string, number>;
  /** `@listSize` by field coordinate, `Type.field`. */
  listSizes: ReadonlyMap<string, ListSize>;
}

/** The size of a list field that declares none: only lists the estimate cannot see into (a test keeps every declared list field sized). */
export const DEFAULT_LIST_SIZE = 10;

/** Base cost of each operation type, as Apollo Router counts it: a write costs more than the reads it returns. */
export const OPERATION_TYPE_COST = { query: 0, mutation: 10, subscription: 0 } as const;

const COST_SPEC = 'https://specs.apollo.dev/cost';

/**
 * The cost model of a supergraph: composition carries each subgraph's
 * `@cost` and `@listSize` into the supergraph under the cost spec
 * (`https://specs.apollo.dev/cost/v0.1`), under whatever names its `@link`
 * gives them. `apiSchema` is the schema clients' operations are validated
 * against. A supergraph without the cost spec has no weights or sizes.
 */
export function costModelOfSupergraph(supergraph: Supergraph, apiSchema: GraphQLSchema): CostModel {
  const feature = supergraph.schema.coreFeatures?.getByIdentity(COST_SPEC);
  const directive = (name: string) => (feature ? supergraph.schema.directive(feature.directiveNameInSchema(name)) : undefined);
  return buildModel(apiSchema, directive('cost'), directive('listSize'));
}

/**
 * The cost model of a subgraph, from its SDL (the `@cost` and `@listSize` it
 * imports from federation v2.9+) and the schema it serves. `_entities`
 * returns one entity per representation, so its size is the length of
 * `representations`: a gateway's entity fetch costs what it asks for.
 */
export function costModelOfSubgraph(typeDefs: DocumentNode, servedSchema: GraphQLSchema): CostModel {
  const subgraph = buildSubgraph('cost-model', '', typeDefs);
  const metadata = federationMetadata(subgraph.schema);
  // Not imported by the subgraph's @link: the subgraph declares no costs.
  const cost = metadata?.costDirective();
  const listSize = metadata?.listSizeDirective();
  const model = buildModel(
    servedSchema,
    cost && isFederationDirectiveDefinedInSchema(cost) ? (cost as DirectiveDefinition) : undefined,
    listSize && isFederationDirectiveDefinedInSchema(listSize) ? (listSize as DirectiveDefinition) : undefined,
  );
  return { ...model, listSizes: new Map([...model.listSizes, ['Query._entities', { slicingArguments: ['representations'] }]]) };
}

function buildModel(schema: GraphQLSchema, cost: DirectiveDefinition | undefined, listSize: DirectiveDefinition | undefined): CostModel {
  const weights = new Map<string, number>();
  const listSizes = new Map<string, ListSize>();
  for (const application of cost?.applications() ?? []) {
    weights.set(coordinateOf(application.parent), (application.arguments() as { weight: number }).weight);
  }
  for (const application of listSize?.applications() ?? []) {
    const args = application.arguments() as { assumedSize?: number | null; slicingArguments?: string[] | null; sizedFields?: string[] | null };
    const coordinate = coordinateOf(application.parent);
    const size: ListSize = {
      ...(args.assumedSize != null ? { assumedSize: args.assumedSize } : {}),
      ...(args.slicingArguments?.length ? { slicingArguments: args.slicingArguments } : {}),
      ...(args.sizedFields?.length ? { sizedFields: args.sizedFields } : {}),
    };
    checkSizedFields(schema, coordinate, size);
    listSizes.set(coordinate, size);
  }
  return { schema, weights, listSizes };
}

function coordinateOf(element: unknown): string {
  const coordinate = (element as { coordinate?: unknown }).coordinate;
  if (typeof coordinate !== 'string') throw new Error(`A cost directive is applied to an element without a schema coordinate: ${String(element)}.`);
  return coordinate;
}

/** A sizedFields entry names a list field of the returned type; anything else would silently go uncounted, so it fails when the model is built. */
function checkSizedFields(schema: GraphQLSchema, coordinate: string, size: ListSize): void {
  if (!size.sizedFields) return;
  const [typeName, fieldName] = coordinate.split('.') as [string, string];
  const parent = schema.getType(typeName);
  // A field the API schema hides (@inaccessible) cannot be queried, so its sizes never apply.
  const field = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[fieldName] : undefined;
  if (!field) return;
  const returned = getNamedType(field.type);
  for (const name of size.sizedFields) {
    const sized = isObjectType(returned) || isInterfaceType(returned) ? returned.getFields()[name] : undefined;
    if (!sized || !isListType(getNullableType(sized.type))) {
      throw new Error(
        `@listSize on ${coordinate}: sizedFields names "${name}", which is not a list field of ${returned.name}; name a list field of the type the field returns.`,
      );
    }
  }
}

/** A refusal of an operation whose variables do not fit its variable definitions: the client's mistake, so 400. */
function badVariables(errors: readonly GraphQLError[]): GraphQLError {
  return new GraphQLError(errors.map((e) => e.message).join(' '), { extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } } });
}

/**
 * The estimated cost of the operation `operationName` of `document` (the
 * only one when no name is given) with its `variables` as the client sent
 * them; they are coerced first, so variable defaults apply. The document is
 * expected to be valid for `model.schema`. Throws BAD_USER_INPUT (HTTP 400)
 * when the variables do not coerce, and a GraphQLError when the operation
 * cannot be found.
 */
export function estimateCost(
  model: CostModel,
  document: DocumentNode,
  operationName?: string | null,
  variables: Readonly<Record<string, unknown>> = {},
): number {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation)
    throw new GraphQLError(
      operationName ? `Unknown operation named "${operationName}".` : 'The document has no single operation to estimate: pass its operationName.',
      { extensions: { code: ErrorCode.BAD_USER_INPUT } },
    );
  const coerced = getVariableValues(model.schema, operation.variableDefinitions ?? [], variables as Record<string, unknown>, { maxErrors: 10 });
  if (coerced.errors) throw badVariables(coerced.errors);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  return new Estimator(model, coerced.coerced, fragments).operation(operation);
}

/** The list sizes a parent field gives to some of its children (`sizedFields`). */
interface SizedChildren {
  names: ReadonlySet<string>;
  size: number;
  key: string;
}

class Estimator {
  /** Named fragments' costs, by fragment and the sized children in scope: each fragment is costed once however often it is spread. */
  private readonly memo = new Map<string, number>();
  private readonly inProgress = new Set<string>();

  constructor(
    private readonly model: CostModel,
    private readonly variables: Record<string, unknown>,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  ) {}

  operation(operation: OperationDefinitionNode): number {
    const root = this.model.schema.getRootType(operation.operation);
    if (!root) throw new GraphQLError(`The schema has no ${operation.operation} type.`, { extensions: { code: ErrorCode.BAD_USER_INPUT } });
    return OPERATION_TYPE_COST[operation.operation] + this.selectionSet(operation.selectionSet, root, undefined);
  }

  private skipped(node: { directives?: FieldNode['directives'] }): boolean {
    if (!node.directives?.length) return false;
    return (
      getDirectiveValues(GraphQLSkipDirective, node, this.variables)?.if === true ||
      getDirectiveValues(GraphQLIncludeDirective, node, this.variables)?.if === false
    );
  }

  /**
   * Fields and fragments that apply to every object `parent` can be add up;
   * fragments narrowing an abstract parent to some of its possible types are
   * grouped by possible type, and the costliest type counts.
   */
  private selectionSet(set: SelectionSetNode, parent: GraphQLCompositeType, sized: SizedChildren | undefined): number {
    let always = 0;
    const narrowed: { type: GraphQLCompositeType; cost: number }[] = [];
    for (const selection of set.selections) {
      if (this.skipped(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        always += this.field(selection, parent, sized);
        continue;
      }
      let type: GraphQLCompositeType;
      let cost: number;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        type = selection.typeCondition ? this.compositeType(selection.typeCondition.name.value) : parent;
        cost = this.selectionSet(selection.selectionSet, type, sized);
      } else {
        const fragment = this.fragments.get(selection.name.value);
        if (!fragment) throw new GraphQLError(`Unknown fragment "${selection.name.value}".`, { extensions: { code: ErrorCode.BAD_USER_INPUT } });
        type = this.compositeType(fragment.typeCondition.name.value);
        cost = this.fragment(fragment, type, sized);
      }
      if (this.coversAll(type, parent)) always += cost;
      else narrowed.push({ type, cost });
    }
    if (!narrowed.length) return always;
    const schema = this.model.schema;
    const possible: readonly GraphQLObjectType[] = isAbstractType(parent) ? schema.getPossibleTypes(parent) : [parent as GraphQLObjectType];
    let costliest = 0;
    for (const object of possible) {
      let cost = 0;
      for (const n of narrowed) if (n.type === object || (isAbstractType(n.type) && schema.isSubType(n.type, object))) cost += n.cost;
      costliest = Math.max(costliest, cost);
    }
    return always + costliest;
  }

  /** Whether a fragment on `type` applies to every object `parent` can be. */
  private coversAll(type: GraphQLCompositeType, parent: GraphQLCompositeType): boolean {
    if (type === parent || !isAbstractType(parent)) return true;
    if (!isAbstractType(type)) return false;
    return this.model.schema.getPossibleTypes(parent).every((object) => this.model.schema.isSubType(type, object));
  }

  private fragment(fragment: FragmentDefinitionNode, type: GraphQLCompositeType, sized: SizedChildren | undefined): number {
    const key = `${fragment.name.value}|${sized?.key ?? ''}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    // Validation refuses fragment cycles; a document that skipped it must not loop here.
    if (this.inProgress.has(key))
      throw new GraphQLError(`Fragment "${fragment.name.value}" spreads itself.`, { extensions: { code: ErrorCode.BAD_USER_INPUT } });
    this.inProgress.add(key);
    const cost = this.selectionSet(fragment.selectionSet, type, sized);
    this.inProgress.delete(key);
    this.memo.set(key, cost);
    return cost;
  }

  private compositeType(name: string): GraphQLCompositeType {
    const type = this.model.schema.getType(name);
    if (!type || !isCompositeType(type))
      throw new GraphQLError(`Unknown type "${name}" in a type condition.`, { extensions: { code: ErrorCode.BAD_USER_INPUT } });
    return type;
  }

  private field(node: FieldNode, parent: GraphQLCompositeType, sized: SizedChildren | undefined): number {
    const name = node.name.value;
    // __typename is answered without a fetch; introspection's size is the schema's, not the client's.
    if (name.startsWith('__')) return 0;
    const definition: GraphQLField<unknown, unknown> | undefined = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
    if (!definition)
      throw new GraphQLError(`Cannot estimate the cost of unknown field "${parent.name}.${name}".`, { extensions: { code: ErrorCode.BAD_USER_INPUT } });
    const coordinate = `${parent.name}.${name}`;
    const args = getArgumentValues(definition, node, this.variables);
    const type = getNamedType(definition.type);
    const listSize = this.model.listSizes.get(coordinate);
    const expected = listSize && this.expectedSize(definition, listSize, args);
    let count = 1;
    if (isListType(getNullableType(definition.type))) count = sized?.names.has(name) ? sized.size : (expected ?? DEFAULT_LIST_SIZE);
    const children: SizedChildren | undefined = listSize?.sizedFields
      ? { names: new Set(listSize.sizedFields), size: expected ?? DEFAULT_LIST_SIZE, key: `${listSize.sizedFields.join(',')}=${expected ?? DEFAULT_LIST_SIZE}` }
      : undefined;
    const selections = node.selectionSet && isCompositeType(type) ? this.selectionSet(node.selectionSet, type, children) : 0;
    return count * (this.weightOf(coordinate, type) + selections) + this.argumentsCost(coordinate, definition, node, args);
  }

  private weightOf(coordinate: string, type: GraphQLNamedType): number {
    return this.model.weights.get(coordinate) ?? this.model.weights.get(type.name) ?? (isCompositeType(type) ? 1 : 0);
  }

  /**
   * The size a field's slicing arguments give (the largest, when several are
   * set), else its assumedSize. An explicit null means the argument's
   * default, as the graph's resolvers read it (`first: null` is a page of 20).
   */
  private expectedSize(definition: GraphQLField<unknown, unknown>, listSize: ListSize, args: Record<string, unknown>): number | undefined {
    let size: number | undefined;
    for (const path of listSize.slicingArguments ?? []) {
      const [argument, ...rest] = path.split('.') as [string, ...string[]];
      let value: unknown = args[argument];
      for (const step of rest) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[step] : undefined;
      if (value === null && rest.length === 0) value = definition.args.find((a) => a.name === argument)?.defaultValue;
      const n = Array.isArray(value) ? value.length : typeof value === 'number' && Number.isFinite(value) ? Math.max(0, Math.ceil(value)) : undefined;
      if (n !== undefined) size = Math.max(size ?? 0, n);
    }
    return size ?? listSize.assumedSize;
  }

  /** The arguments the operation passes (defaults cost nothing): their `@cost` weights, each input object 1. */
  private argumentsCost(coordinate: string, definition: GraphQLField<unknown, unknown>, node: FieldNode, args: Record<string, unknown>): number {
    let cost = 0;
    for (const argument of node.arguments ?? []) {
      const argumentDefinition = definition.args.find((a) => a.name === argument.name.value);
      if (argumentDefinition)
        cost += this.inputCost(argumentDefinition.type, args[argumentDefinition.name], this.model.weights.get(`${coordinate}(${argumentDefinition.name}:)`));
    }
    return cost;
  }

  private inputCost(type: GraphQLInputType, value: unknown, weight: number | undefined): number {
    if (value === null || value === undefined) return 0;
    const nullable = getNullableType(type);
    if (isListType(nullable)) {
      let cost = weight ?? 0;
      for (const item of Array.isArray(value) ? value : [value]) cost += this.inputCost(nullable.ofType as GraphQLInputType, item, weight);
      return cost;
    }
    if (isInputObjectType(nullable)) {
      let cost = weight ?? this.model.weights.get(nullable.name) ?? 1;
      const fields = nullable.getFields();
      for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
        const field = fields[name];
        if (field) cost += this.inputCost(field.type, item, this.model.weights.get(`${nullable.name}.${name}`));
      }
      return cost;
    }
    return weight ?? this.model.weights.get((nullable as GraphQLNamedType).name) ?? 0;
  }
}
