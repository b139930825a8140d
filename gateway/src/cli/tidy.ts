import {
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { flattenRows, type Cell, type FlatRow } from './flatten';

/**
 * The tidy ("long") shape of a result, shared by the query command and the
 * browser IDE: one row per leaf record (an element of the deepest list of
 * objects), carrying its parents' keys, with short column names.
 *
 * - A parent (an object or list element the record sits in) contributes its
 *   keys, its ID-typed fields, and its `name` to read them by; its other
 *   fields are left out (they would repeat on every row). A parent that
 *   selects no key contributes all of its fields, so a row always says where
 *   it belongs.
 * - Sibling lists with the same selection (an agency's offerings in each of
 *   the four marketplaces, one fragment spread four times) are stacked into
 *   the same columns, with a `group` column naming the list a row came from
 *   (the response key: an alias renames it).
 * - Pagination is left out: pageInfo, cursors and a connection's totalCount;
 *   `edges` and `node` do not appear in names.
 * - A column is named by the last segment of its path, with as many segments
 *   before it as make it unique; an alias renames it.
 *
 * The shape is planned from the operation and the schema, so the columns are
 * known before any data arrives and stay the same on every page.
 */

/** One field of the operation's selection, merged across fragments by response key. */
export interface SelectionNode {
  /** The response key (alias or field name). */
  key: string;
  /** The field's name in the schema. */
  field: string;
  /** A list of objects (or of scalars, for a leaf). */
  list: boolean;
  /** A leaf whose type is ID: the record's key. */
  id: boolean;
  /** Sub-selections, in selection order; undefined for a leaf. */
  children?: SelectionNode[];
}

export class TidyPlanError extends Error {
  override readonly name = 'TidyPlanError';
}

/**
 * The operation's selection as a tree typed by the schema. A field the
 * schema does not know is an error naming it: the schema is out of date, or
 * the operation is for another graph.
 */
export function selectionTree(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): SelectionNode[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const root = schema.getQueryType();
  if (!root) throw new TidyPlanError('the schema has no Query type.');
  const visit = (set: SelectionSetNode, parent: GraphQLNamedType, into: SelectionNode[], spreads: ReadonlySet<string>): void => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        const name = s.name.value;
        const key = (s.alias ?? s.name).value;
        if (name === '__typename') {
          if (!into.some((n) => n.key === key)) into.push({ key, field: name, list: false, id: false });
          continue;
        }
        const fields = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields() : undefined;
        const def = fields?.[name];
        if (!def) throw new TidyPlanError(`the schema has no field ${parent.name}.${name}.`);
        const named = getNamedType(def.type);
        let node = into.find((n) => n.key === key);
        if (!node) {
          node = { key, field: name, list: isListType(getNullableType(def.type)), id: !s.selectionSet && named.name === 'ID' };
          into.push(node);
        }
        if (s.selectionSet) visit(s.selectionSet, named, (node.children ??= []), spreads);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        const type = s.typeCondition ? schema.getType(s.typeCondition.name.value) : parent;
        if (!type) throw new TidyPlanError(`the schema has no type ${s.typeCondition!.name.value}.`);
        visit(s.selectionSet, type, into, spreads);
      } else {
        const fragment = fragments.get(s.name.value);
        if (!fragment) throw new TidyPlanError(`the operation spreads ...${s.name.value}, which it does not define.`);
        if (spreads.has(s.name.value)) throw new TidyPlanError(`fragment ${s.name.value} spreads itself.`);
        const type = schema.getType(fragment.typeCondition.name.value);
        if (!type) throw new TidyPlanError(`the schema has no type ${fragment.typeCondition.name.value}.`);
        visit(fragment.selectionSet, type, into, new Set([...spreads, s.name.value]));
      }
    }
  };
  const tree: SelectionNode[] = [];
  visit(operation.selectionSet, root, tree, new Set());
  return tree;
}

/**
 * A selection tree read off data instead of a schema, for a result already
 * in hand (the IDE when the schema is not loaded): a key is a list when any
 * of its values is an array; a leaf named id or code is a key.
 */
export function selectionTreeFromData(data: unknown): SelectionNode[] {
  const merge = (value: unknown, into: SelectionNode[]): void => {
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      if (!item || typeof item !== 'object' || Array.isArray(item)) continue;
      for (const [key, v] of Object.entries(item as Record<string, unknown>)) {
        let node = into.find((n) => n.key === key);
        const objects = Array.isArray(v) ? v.some((x) => x && typeof x === 'object') : v !== null && typeof v === 'object';
        if (!node) {
          node = { key, field: key, list: Array.isArray(v), id: false };
          into.push(node);
        }
        if (Array.isArray(v)) node.list = true;
        if (objects) merge(v, (node.children ??= []));
        node.id = !node.children && (key === 'id' || key === 'code');
      }
    }
  };
  const tree: SelectionNode[] = [];
  merge(data, tree);
  return tree;
}

/** A column of the tidy shape. */
export interface TidyColumn {
  header: string;
  /** Where the value comes from: full dotted response paths (one per stacked list), the first present wins. */
  sources: string[];
  /** True for the `group` column of stacked lists. */
  group?: boolean;
}

export interface TidyPlan {
  columns: TidyColumn[];
  /** Fields of the operation that the shape leaves out (pagination, parents' non-key fields), as dotted paths. */
  omitted: string[];
  /** Turns a page of data into rows, one cell per column. */
  rows(data: unknown): Cell[][];
}

interface Leaf {
  /** Full response path, dotted. */
  path: string;
  /** Path segments without edges and node, for naming. */
  name: string[];
  /** The nearest enclosing object or list element (an edge's node counts as its edge), as a full dotted path. */
  owner: string;
  /** The field's name in the schema. */
  field: string;
  id: boolean;
}

interface ListScope {
  path: string;
  /** Naming segments of the list's path. */
  name: string[];
  leaves: Leaf[];
}

/** What a connection holds besides its edges, and an edge besides its node, is pagination. */
const CONNECTION_PAGINATION = new Set(['pageInfo', 'totalCount']);
const EDGE_PAGINATION = new Set(['cursor']);

type Context = 'plain' | 'connection' | 'edge';

/** The tidy shape of a selection tree: its columns, what it leaves out, and how a page of data becomes rows. */
export function planTidy(tree: SelectionNode[]): TidyPlan {
  const leaves: Leaf[] = [];
  const lists: ListScope[] = [];
  const omitted: string[] = [];
  const walk = (nodes: SelectionNode[], prefix: string[], name: string[], owner: string, context: Context): void => {
    for (const node of nodes) {
      const path = [...prefix, node.key];
      const dotted = path.join('.');
      if ((context === 'connection' && CONNECTION_PAGINATION.has(node.field)) || (context === 'edge' && EDGE_PAGINATION.has(node.field))) {
        omitted.push(...collectLeaves(node, dotted));
        continue;
      }
      const structural = (context === 'connection' && node.field === 'edges') || (context === 'edge' && node.field === 'node');
      const nextName = structural ? name : [...name, node.key];
      if (!node.children) {
        leaves.push({ path: dotted, name: nextName, owner, field: node.field, id: node.id });
      } else if (node.list) {
        lists.push({ path: dotted, name: nextName, leaves: [] });
        walk(node.children, path, nextName, dotted, context === 'connection' && node.field === 'edges' ? 'edge' : 'plain');
      } else {
        const connection = node.children.some((c) => c.field === 'edges');
        walk(node.children, path, nextName, context === 'edge' && node.field === 'node' ? owner : dotted, connection ? 'connection' : 'plain');
      }
    }
  };
  walk(tree, [], [], '', 'plain');

  const under = (path: string, scope: string) => scope === '' || path === scope || path.startsWith(`${scope}.`);
  for (const list of lists) list.leaves = leaves.filter((l) => under(l.path, list.path));
  // A leaf record is an element of a list that holds fields and no list holding fields; without lists, the result is one record.
  const leafLists = lists.filter((l) => l.leaves.length > 0 && !lists.some((o) => o !== l && o.leaves.length > 0 && under(o.path, l.path)));
  const leafRecords: ListScope[] = leafLists.length > 0 ? leafLists : [{ path: '', name: [], leaves }];

  // Stack leaf records with the same parent scope, list name and relative columns.
  const parentOf = (path: string) =>
    lists
      .filter((l) => l.path !== path && under(path, l.path))
      .map((l) => l.path)
      .sort((a, b) => b.length - a.length)[0] ?? '';
  const signature = (r: ListScope) =>
    JSON.stringify([parentOf(r.path), r.name.length, r.name.at(-1), r.leaves.map((l) => l.name.slice(r.name.length).join('.'))]);
  const groups = new Map<string, ListScope[]>();
  for (const r of leafRecords) groups.set(signature(r), [...(groups.get(signature(r)) ?? []), r]);

  interface Draft {
    name: string[];
    sources: string[];
    group?: boolean;
  }
  const drafts: Draft[] = [];
  const used = new Set<string>();
  const add = (name: string[], sources: string[], group?: boolean) => {
    if (sources.every((s) => used.has(s))) return;
    drafts.push({ name, sources, group });
    for (const s of sources) used.add(s);
  };
  const labels = new Map<string, string>();
  for (const members of groups.values()) {
    const first = members[0]!;
    // Scopes on the way to the record (objects and list elements): each gives its keys and its name, or all its fields when it selects no key.
    const chain = (leaf: Leaf) => leaf.owner !== first.path && under(first.path, leaf.owner) && !under(leaf.owner, first.path);
    const byOwner = new Map<string, Leaf[]>();
    for (const l of leaves.filter(chain)) byOwner.set(l.owner, [...(byOwner.get(l.owner) ?? []), l]);
    for (const owned of byOwner.values()) {
      const keys = owned.filter((l) => l.id);
      for (const l of keys.length > 0 ? owned.filter((o) => o.id || o.field === 'name') : owned) add(l.name, [l.path]);
    }
    let differ: number[] = [];
    if (members.length > 1) {
      // The segments where the stacked lists' names differ say which list a row comes from.
      differ = first.name.map((_, i) => i).filter((i) => members.some((m) => m.name[i] !== first.name[i]));
      for (const m of members) labels.set(m.path, differ.map((i) => m.name[i]).join('.'));
      add(
        ['group'],
        members.map((m) => `\u0000group:${m.path}`),
        true,
      );
    }
    first.leaves.forEach((leaf, i) =>
      add(
        leaf.name.filter((_, j) => !differ.includes(j)),
        members.map((m) => m.leaves[i]!.path),
      ),
    );
  }
  // Fields outside every list (the context of the whole result) stay; fields of parents other than their keys are left out.
  for (const l of leaves) {
    if (used.has(l.path)) continue;
    if (!lists.some((list) => under(l.path, list.path)) && !leafRecords.some((r) => under(r.path, l.owner) && r.path !== l.owner)) add(l.name, [l.path]);
    else omitted.push(l.path);
  }

  const headers = uniqueNames(drafts.map((d) => d.name));
  const columns: TidyColumn[] = drafts.map((d, i) => ({ header: headers[i]!, sources: d.sources, ...(d.group ? { group: true } : {}) }));
  const stacked = [...labels.keys()];

  return {
    columns,
    omitted,
    rows(data) {
      const out: Cell[][] = [];
      for (const row of flattenRows(data)) {
        const cells = columns.map((c) => (c.group ? groupOf(row, stacked, labels) : pick(row, c.sources)));
        if (cells.some((v) => v !== null && !(Array.isArray(v) && v.length === 0))) out.push(cells);
      }
      return out;
    },
  };
}

function collectLeaves(node: SelectionNode, path: string): string[] {
  return node.children ? node.children.flatMap((c) => collectLeaves(c, `${path}.${c.key}`)) : [path];
}

function pick(row: FlatRow, sources: string[]): Cell {
  for (const s of sources) if (s in row) return row[s]!;
  return null;
}

function groupOf(row: FlatRow, stacked: string[], labels: Map<string, string>): Cell {
  for (const p of stacked) {
    const prefix = `${p}.`;
    for (const k of Object.keys(row)) if (k.startsWith(prefix)) return labels.get(p)!;
  }
  return null;
}

/** The shortest unique suffix of each name path; identical paths fall back to the full path with a number. */
export function uniqueNames(paths: string[][]): string[] {
  const result = paths.map((p) => p.at(-1) ?? '');
  for (let length = 1; ; length++) {
    const counts = new Map<string, number>();
    for (const r of result) counts.set(r, (counts.get(r) ?? 0) + 1);
    let changed = false;
    paths.forEach((p, i) => {
      if ((counts.get(result[i]!) ?? 0) > 1 && p.length > length) {
        result[i] = p.slice(-(length + 1)).join('.');
        changed = true;
      }
    });
    if (!changed) break;
  }
  const seen = new Map<string, number>();
  return result.map((r) => {
    const n = (seen.get(r) ?? 0) + 1;
    seen.set(r, n);
    return n === 1 ? r : `${r}_${n}`;
  });
}
