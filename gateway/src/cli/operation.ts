import {
  GraphQLError,
  Kind,
  parse,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type TypeNode,
} from 'graphql';
import { UsageError } from './args';

/**
 * The operation the CLI runs, read without the schema: variables are typed
 * from their declarations and CSV columns come from the selection set, so
 * the columns are the same whatever the data (an empty list still has its
 * columns).
 */
export interface PreparedOperation {
  /** Where the operation came from, for messages: a file name or "-e". */
  label: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** The source as given, so error locations from the server match the file's lines. */
  query: string;
  operationName: string | undefined;
  fragments: Map<string, FragmentDefinitionNode>;
}

export function prepareOperation(source: string, label: string, operationName?: string): PreparedOperation {
  let document: DocumentNode;
  try {
    document = parse(source);
  } catch (error) {
    if (error instanceof GraphQLError && error.locations?.[0]) {
      const { line, column } = error.locations[0];
      throw new UsageError(`${label}:${line}:${column}: ${error.message}`);
    }
    throw new UsageError(`${label}: ${(error as Error).message}`);
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const names = operations.map((o) => o.name?.value ?? '(anonymous)');
  let operation: OperationDefinitionNode | undefined;
  if (operationName) {
    operation = operations.find((o) => o.name?.value === operationName);
    if (!operation) throw new UsageError(`${label} has no operation named ${operationName}; it has: ${names.join(', ')}.`);
  } else if (operations.length === 1) {
    operation = operations[0];
  } else {
    throw new UsageError(`${label} holds ${operations.length} operations (${names.join(', ')}): choose one with --operation <name>.`);
  }
  if (!operation) throw new UsageError(`${label} holds no operation: write a query, e.g. { qsmos { shortName } }.`);
  if (operation.operation !== 'query') throw new UsageError(`${label}: the graph is read-only; run a query, not a ${operation.operation}.`);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return { label, document, operation, query: source, operationName: operation.name?.value, fragments };
}

function describeType(type: TypeNode): string {
  if (type.kind === Kind.NON_NULL_TYPE) return `${describeType(type.type)}!`;
  if (type.kind === Kind.LIST_TYPE) return `[${describeType(type.type)}]`;
  return type.name.value;
}

function namedType(type: TypeNode): string {
  return type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type);
}

function isList(type: TypeNode): boolean {
  const t = type.kind === Kind.NON_NULL_TYPE ? type.type : type;
  return t.kind === Kind.LIST_TYPE;
}

function coerce(name: string, typeName: string, raw: string): unknown {
  const where = `--var ${name}=${raw}: $${name} is ${typeName}`;
  switch (typeName) {
    case 'Int': {
      const n = Number(raw);
      if (!/^-?\d+$/.test(raw.trim()) || n > 2_147_483_647 || n < -2_147_483_648) throw new UsageError(`${where}; give a whole number.`);
      return n;
    }
    case 'Float': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${where}; give a number.`);
      return n;
    }
    case 'Boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw new UsageError(`${where}; give true or false.`);
    case 'ID':
    case 'String':
      return raw;
    default:
      // Enums travel as their names; input objects and lists are given as JSON.
      if (/^\s*[[{]/.test(raw)) {
        try {
          return JSON.parse(raw);
        } catch (error) {
          throw new UsageError(`${where}; the value looks like JSON but does not parse: ${(error as Error).message}`);
        }
      }
      return raw;
  }
}

/**
 * The variables to send: --vars-json first, then each --var coerced to its
 * declared type. Unknown names and missing required variables are errors
 * that list what the operation declares. `provided` names variables filled
 * in by the caller later (--all-pages sets $after).
 */
export function buildVariables(
  op: PreparedOperation,
  vars: readonly [string, string][],
  varsJson?: string,
  provided: readonly string[] = [],
): Record<string, unknown> {
  const declared = new Map((op.operation.variableDefinitions ?? []).map((d) => [d.variable.name.value, d]));
  const declaredList = () =>
    declared.size === 0
      ? 'it declares none'
      : `it declares ${[...declared.values()].map((d) => `$${d.variable.name.value}: ${describeType(d.type)}`).join(', ')}`;
  const variables: Record<string, unknown> = {};
  if (varsJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(varsJson);
    } catch (error) {
      throw new UsageError(`--vars-json is not valid JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new UsageError('--vars-json must be a JSON object, e.g. \'{"code": "075"}\'.');
    for (const [name, value] of Object.entries(parsed)) {
      if (!declared.has(name)) throw new UsageError(`--vars-json sets $${name}, but ${op.label} does not declare it; ${declaredList()}.`);
      variables[name] = value;
    }
  }
  const fromVar = new Set<string>();
  for (const [name, raw] of vars) {
    const def = declared.get(name);
    if (!def) throw new UsageError(`--var ${name}=${raw}: ${op.label} does not declare $${name}; ${declaredList()}.`);
    const value = coerce(name, namedType(def.type), raw);
    if (isList(def.type)) {
      const list = fromVar.has(name) && Array.isArray(variables[name]) ? (variables[name] as unknown[]) : [];
      list.push(value);
      variables[name] = list;
    } else {
      if (fromVar.has(name)) throw new UsageError(`--var ${name} is given twice, but $${name} is ${describeType(def.type)}, not a list.`);
      variables[name] = value;
    }
    fromVar.add(name);
  }
  const missing = [...declared.values()].filter(
    (d) => d.type.kind === Kind.NON_NULL_TYPE && !d.defaultValue && variables[d.variable.name.value] === undefined && !provided.includes(d.variable.name.value),
  );
  if (missing.length > 0) {
    throw new UsageError(
      `${op.label} needs ${missing.map((d) => `$${d.variable.name.value}: ${describeType(d.type)}`).join(', ')}: pass ${missing.map((d) => `--var ${d.variable.name.value}=...`).join(' ')}.`,
    );
  }
  return variables;
}

/** Dotted paths of every leaf field the operation selects, in selection order (fragments included). */
export function leafColumns(op: PreparedOperation): string[] {
  const columns = new Set<string>();
  const visit = (set: SelectionSetNode, prefix: string, spreads: ReadonlySet<string>): void => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        const path = prefix ? `${prefix}.${(s.alias ?? s.name).value}` : (s.alias ?? s.name).value;
        if (s.selectionSet) visit(s.selectionSet, path, spreads);
        else columns.add(path);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        visit(s.selectionSet, prefix, spreads);
      } else {
        const fragment = op.fragments.get(s.name.value);
        if (!fragment) throw new UsageError(`${op.label} spreads ...${s.name.value}, which it does not define.`);
        if (spreads.has(s.name.value)) throw new UsageError(`${op.label}: fragment ${s.name.value} spreads itself.`);
        visit(fragment.selectionSet, prefix, new Set([...spreads, s.name.value]));
      }
    }
  };
  visit(op.operation.selectionSet, '', new Set());
  return [...columns];
}

/** The field nodes at a response path (aliases followed; several when fragments select it twice). */
export function fieldsAtPath(op: PreparedOperation, path: readonly string[]): FieldNode[] {
  let current: SelectionSetNode[] = [op.operation.selectionSet];
  let found: FieldNode[] = [];
  for (const key of path) {
    found = [];
    const collect = (set: SelectionSetNode): void => {
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD && (s.alias ?? s.name).value === key) found.push(s);
        else if (s.kind === Kind.INLINE_FRAGMENT) collect(s.selectionSet);
        else if (s.kind === Kind.FRAGMENT_SPREAD) {
          const f = op.fragments.get(s.name.value);
          if (f) collect(f.selectionSet);
        }
      }
    };
    current.forEach(collect);
    current = found.flatMap((f) => (f.selectionSet ? [f.selectionSet] : []));
  }
  return found;
}

/**
 * Why --all-pages cannot page the connection at `path`, or undefined when it
 * can: the operation must declare $after and pass it to that field, or every
 * request would return the same page.
 */
export function allPagesProblem(op: PreparedOperation, path: readonly string[]): string | undefined {
  const where = path.join('.');
  const declaresAfter = (op.operation.variableDefinitions ?? []).some((d) => d.variable.name.value === 'after');
  if (!declaresAfter) {
    return (
      `--all-pages pages through ${where} by setting $after, but ${op.label} declares no $after variable: ` +
      `declare $after: String on the operation and pass after: $after to ${where}.`
    );
  }
  const fields = fieldsAtPath(op, path);
  const passes = fields.some((f) => f.arguments?.some((a) => a.name.value === 'after' && a.value.kind === Kind.VARIABLE && a.value.name.value === 'after'));
  if (!passes) return `--all-pages pages through ${where}, but ${op.label} does not pass after: $after to it: add it to ${where}(...).`;
  return undefined;
}

/** A connection the operation selects (a field selecting edges), by response path. */
export interface SelectedConnection {
  path: string[];
}

/** Every connection in the operation, in selection order (fragments followed). */
export function selectedConnections(op: PreparedOperation): SelectedConnection[] {
  const found = new Map<string, SelectedConnection>();
  const visit = (set: SelectionSetNode, prefix: string[], spreads: ReadonlySet<string>): void => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        if (!s.selectionSet) continue;
        const path = [...prefix, (s.alias ?? s.name).value];
        const selectsEdges = s.selectionSet.selections.some((c) => c.kind === Kind.FIELD && c.name.value === 'edges');
        if (selectsEdges && !found.has(path.join('.'))) found.set(path.join('.'), { path });
        visit(s.selectionSet, path, spreads);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        visit(s.selectionSet, prefix, spreads);
      } else {
        const fragment = op.fragments.get(s.name.value);
        if (fragment && !spreads.has(s.name.value)) visit(fragment.selectionSet, prefix, new Set([...spreads, s.name.value]));
      }
    }
  };
  visit(op.operation.selectionSet, [], new Set());
  return [...found.values()];
}

/**
 * The one connection --all-pages follows, or a usage error: every request
 * of a run sends the whole operation, so a second connection would come back
 * (and be written) again with every page of the first.
 */
export function connectionToPage(op: PreparedOperation): string[] {
  const connections = selectedConnections(op);
  if (connections.length === 0) {
    throw new UsageError(
      `--all-pages found no connection in ${op.label}: select edges { node { ... } } and pageInfo { hasNextPage endCursor } on the list to page through.`,
    );
  }
  if (connections.length > 1) {
    const list = connections.map((c) => c.path.join('.')).join(', ');
    throw new UsageError(
      `--all-pages follows one connection per run, and ${op.label} selects ${connections.length}: ${list}. ` +
        'Every page request repeats the whole operation, so the others would be written again with each page: ' +
        'run one operation per connection (or drop --all-pages and page with first/after yourself).',
    );
  }
  const [only] = connections as [SelectedConnection];
  const problem = allPagesProblem(op, only.path);
  if (problem) throw new UsageError(problem);
  return only.path;
}
