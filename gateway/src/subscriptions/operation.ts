import {
  execute,
  GraphQLError,
  isObjectType,
  Kind,
  parse,
  print,
  specifiedRules,
  validate,
  visit,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type VariableDefinitionNode,
  type ValidationRule,
} from 'graphql';
import { collectFields, collectSubfields } from 'graphql/execution/collectFields';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values';
import { ErrorCode } from '@qsmo/service-kit/errors';
import { SUBGRAPHS, type QsmoDomain } from '@qsmo/service-kit/subgraphs';
import type { GraphQLCallResult } from '../plugin';
import type { CatalogChange } from './feed';

/** The one subscription field of the graph (see the directory's SDL). */
export const CATALOG_CHANGED = 'catalogChanged';

/** A subscription document checked against the schema it was sent to, ready to be run on each event. */
export interface PreparedSubscription {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string;
  /** As sent; coerced again by graphql-js on each event. */
  variables: Record<string, unknown>;
  /** The marketplaces asked for; undefined for all of them. */
  domains?: ReadonlySet<QsmoDomain>;
  /**
   * The queries an event can run, with placeholder variables: one per
   * marketplace listened to and `offering` selected (under each alias).
   * Checked when the subscription starts (demand control), as each event
   * runs one of them through the gateway.
   */
  eventQueries: readonly EventQuery[];
}

/** A query an event of a subscription runs through the gateway, as text with the variables it is run with (the offering's id a placeholder). */
export interface EventQuery {
  domain: QsmoDomain;
  query: string;
  variables: Record<string, unknown>;
}

/** Why a document cannot be subscribed to: errors for the client, with the HTTP status an SSE request gets. */
export class Refused extends Error {
  constructor(
    readonly status: number,
    readonly errors: readonly GraphQLError[],
  ) {
    super(errors.map((e) => e.message).join('; '));
  }
}

const badInput = (message: string) => new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT } });

/** The operation of `document` that `operationName` names (or its only one), as graphql-js picks it. */
export function operationOf(document: DocumentNode, operationName?: string | null): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
}

/** The document's text parsed, or a Refused naming the syntax error. */
export function parseDocument(query: unknown): DocumentNode {
  if (typeof query !== 'string' || query.trim() === '')
    throw new Refused(400, [
      badInput('Send the subscription as "query", a GraphQL document, e.g. subscription { catalogChanged { domain offeringId version } }.'),
    ]);
  try {
    return parse(query, { maxTokens: 10_000 });
  } catch (error) {
    throw new Refused(400, [new GraphQLError((error as GraphQLError).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })]);
  }
}

/** The root field of a subscription, looking through fragments on the root. */
function rootField(operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): FieldNode | undefined {
  const walk = (set: SelectionSetNode): FieldNode | undefined => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD && s.name.value !== '__typename') return s;
      const inner = s.kind === Kind.INLINE_FRAGMENT ? s.selectionSet : s.kind === Kind.FRAGMENT_SPREAD ? fragments.get(s.name.value)?.selectionSet : undefined;
      const found = inner && walk(inner);
      if (found) return found;
    }
    return undefined;
  };
  return walk(operation.selectionSet);
}

/**
 * Checks a subscription as the gateway checks a query before planning it:
 * GraphQL's rules and the gateway's (operation limits), the variables
 * coerced, and `domains` read, so events are filtered before any work.
 */
export function prepareSubscription(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown>,
  rules: readonly ValidationRule[],
): PreparedSubscription {
  const errors = validate(schema, document, [...specifiedRules, ...rules]);
  if (errors.length)
    throw new Refused(
      400,
      errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED', ...e.extensions } })),
    );
  const operation = operationOf(document, operationName);
  if (!operation)
    throw new Refused(400, [
      badInput(
        operationName
          ? `The document has no operation named "${operationName}".`
          : 'The document has several operations: pass the one to run as operationName.',
      ),
    ]);
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors)
    throw new Refused(
      400,
      coerced.errors.map((e) => new GraphQLError(e.message, { extensions: { code: ErrorCode.BAD_USER_INPUT } })),
    );
  const field = rootField(operation, fragments);
  const type = schema.getSubscriptionType();
  const definition = field && type?.getFields()[field.name.value];
  if (!field || !definition) throw new Refused(400, [badInput(`Subscribe to ${CATALOG_CHANGED}: it is the subscription field this graph serves.`)]);
  const args = getArgumentValues(definition, field, coerced.coerced) as { domains?: QsmoDomain[] | null };
  if (args.domains && args.domains.length === 0)
    throw new Refused(400, [
      badInput('catalogChanged(domains: []) would never deliver anything: leave domains out for every marketplace, or name at least one.'),
    ]);
  const domains = args.domains ? new Set(args.domains) : undefined;
  const eventQueries = offeringSelections(schema, operation, fragments, coerced.coerced).flatMap((fieldNodes) =>
    SUBGRAPHS.filter((s) => !domains || domains.has(s.domain)).map((s) => ({
      domain: s.domain,
      query: offeringQuery(s.domain, fieldNodes, document, operation),
      variables: { ...variables, [OFFERING_ID_VARIABLE]: 'offering-id' },
    })),
  );
  return { schema, document, operationName: operation.name?.value, variables, domains, eventQueries };
}

/**
 * The field nodes of each `offering` the subscription selects on its event
 * (one entry per response key), collected as graphql-js collects them when
 * it runs the subscription on an event: through fragments, with @skip and
 * @include decided by the variables. Each entry is one fetch per event.
 */
function offeringSelections(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): (readonly FieldNode[])[] {
  const subscriptionType = schema.getSubscriptionType();
  const eventType = schema.getType('CatalogChangeEvent');
  if (!subscriptionType || !isObjectType(eventType)) return [];
  const byName = Object.fromEntries(fragments);
  const roots = collectFields(schema, byName, variables, subscriptionType, operation.selectionSet);
  const selections: (readonly FieldNode[])[] = [];
  for (const fieldNodes of roots.values()) {
    if (fieldNodes[0]?.name.value !== CATALOG_CHANGED) continue;
    for (const sub of collectSubfields(schema, byName, variables, eventType, fieldNodes).values()) if (sub[0]?.name.value === 'offering') selections.push(sub);
  }
  return selections;
}

/** The fragments a selection uses, directly or through other fragments. */
function fragmentsUsed(set: SelectionSetNode, all: ReadonlyMap<string, FragmentDefinitionNode>): FragmentDefinitionNode[] {
  const used = new Map<string, FragmentDefinitionNode>();
  const walk = (node: SelectionSetNode | FragmentDefinitionNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const fragment = all.get(spread.name.value);
        if (fragment && !used.has(fragment.name.value)) {
          used.set(fragment.name.value, fragment);
          walk(fragment);
        }
      },
    });
  walk(set);
  return [...used.values()];
}

/** Every selection set asks for __typename too, so graphql-js can tell the concrete type of each abstract value fetched. */
function withTypenames<T extends SelectionSetNode | FragmentDefinitionNode>(node: T): T {
  return visit(node, {
    SelectionSet(set) {
      if (set.selections.some((s) => s.kind === Kind.FIELD && !s.alias && s.name.value === '__typename')) return undefined;
      return { ...set, selections: [{ kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } }, ...set.selections] };
    },
  }) as T;
}

/** Names the gateway's own variable and field so that no client document can clash with them. */
const OFFERING_ID_VARIABLE = 'catalogChangedOfferingId__';
const VERSION_ALIAS = 'catalogChangedVersion__';

/**
 * The query that fetches an event's offering with the subscriber's selection
 * on `offering`: through the marketplace's namespace, so the marketplace
 * resolves it and every other subgraph its own fields (the provider, the
 * customers' names) exactly as in a query. The selection is wrapped in
 * `... on Offering`, where the subscriber wrote it; its fragments and the
 * variables it uses come along, and the offering's version is asked for
 * under a name of the gateway's own, to tell a stale read from a fresh one.
 */
export function offeringQuery(domain: QsmoDomain, fieldNodes: readonly FieldNode[], document: DocumentNode, operation: OperationDefinitionNode): string {
  const namespace = SUBGRAPHS.find((s) => s.domain === domain)!.fieldName;
  const selections = fieldNodes.flatMap((f) => f.selectionSet?.selections ?? []);
  const set: SelectionSetNode = { kind: Kind.SELECTION_SET, selections };
  const all = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  const fragments = fragmentsUsed(set, all).map(withTypenames);
  const used = new Set<string>();
  for (const node of [set, ...fragments])
    visit(node, {
      Variable(v) {
        used.add(v.name.value);
      },
    });
  const variables = (operation.variableDefinitions ?? []).filter((v: VariableDefinitionNode) => used.has(v.variable.name.value)).map((v) => print(v));
  const body = print(withTypenames(set));
  return (
    `query CatalogChangedOffering($${OFFERING_ID_VARIABLE}: ID!${variables.length ? `, ${variables.join(', ')}` : ''}) {\n` +
    `  ${namespace} { offering(id: $${OFFERING_ID_VARIABLE}) { __typename ${VERSION_ALIAS}: version ... on Offering ${body} } }\n}\n` +
    fragments.map((f) => print(f)).join('\n')
  );
}

/** Runs a query on behalf of the subscriber (through the gateway's executor: identity, limits, cost, cache, planning); `attempt` counts the reads of one event (see staleRetries). */
export type RunQuery = (query: string, variables: Record<string, unknown>, attempt: number) => Promise<GraphQLCallResult>;

export interface EventRunOptions {
  /** How often a read that returns the offering at an older version than the event's is tried again (a replica's read model is up to a poll, 1 s, behind); default 20, 150 ms apart. */
  staleRetries?: number;
  staleRetryMs?: number;
}

/**
 * The result one subscriber gets for one event: its document run on the
 * event with graphql-js, the event's own fields answered from the event and
 * `offering` fetched by a query (offeringQuery) through the gateway. Errors
 * of the fetch (a subgraph down, a budget exceeded) come with the result,
 * the rest of it intact.
 */
export async function runOnEvent(prepared: PreparedSubscription, event: CatalogChange, run: RunQuery, options: EventRunOptions = {}): Promise<ExecutionResult> {
  const fetchErrors: NonNullable<GraphQLCallResult['body']['errors']>[number][] = [];
  const operation = operationOf(prepared.document, prepared.operationName)!;
  const fetchOffering = async (fieldNodes: readonly FieldNode[]): Promise<unknown> => {
    const query = offeringQuery(event.domain, fieldNodes, prepared.document, operation);
    const variables = { ...prepared.variables, [OFFERING_ID_VARIABLE]: event.offeringId };
    const retries = options.staleRetries ?? 20;
    for (let attempt = 0; ; attempt++) {
      const answer = await run(query, variables, attempt);
      const namespace = SUBGRAPHS.find((s) => s.domain === event.domain)!.fieldName;
      const offering = (answer.body.data?.[namespace] as { offering?: Record<string, unknown> | null } | null | undefined)?.offering ?? null;
      const version = offering?.[VERSION_ALIAS];
      // Read before the marketplace's reader caught up with the change: read again shortly.
      const stale = (typeof version === 'number' && version < event.version) || (offering === null && !event.retired && !answer.body.errors?.length);
      if (stale && attempt < retries) {
        await new Promise((r) => setTimeout(r, options.staleRetryMs ?? 150));
        continue;
      }
      fetchErrors.push(...(answer.body.errors ?? []));
      return offering;
    }
  };
  const fieldResolver: GraphQLFieldResolver<unknown, unknown> = (source, _args, _context, info) => {
    if (info.parentType === prepared.schema.getSubscriptionType()) return source;
    if (info.parentType.name === 'CatalogChangeEvent') {
      if (info.fieldName === 'offering') return fetchOffering(info.fieldNodes);
      return (source as Record<string, unknown>)[info.fieldName];
    }
    // Below `offering`: the fetched answer, keyed by the subscriber's aliases.
    return source && typeof source === 'object' ? (source as Record<string, unknown>)[info.path.key as string] : undefined;
  };
  const result = await execute({
    schema: prepared.schema,
    document: prepared.document,
    operationName: prepared.operationName,
    variableValues: prepared.variables,
    rootValue: { domain: event.domain, offeringId: event.offeringId, mutation: event.mutation, version: event.version, at: event.at },
    fieldResolver,
  });
  if (!fetchErrors.length) return result;
  return { ...result, errors: [...(result.errors ?? []), ...fetchErrors.map((e) => new GraphQLError(e.message, { extensions: e.extensions }))] };
}
