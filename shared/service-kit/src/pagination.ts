import type { Collection, Document, Filter, Sort } from 'mongodb';
import { badUserInput } from './errors';

/**
 * Relay connections over MongoDB with keyset pagination: the cursor holds the
 * sort key of the last row, so a page costs one indexed range query however
 * deep it is, and rows inserted meanwhile never shift a page.
 */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: () => Promise<number>;
}

/** The sort of a connection: a primary field (e.g. name) then _id as tie-breaker. */
export interface SortKey {
  field: string;
}

export function validateFirst(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0) throw badUserInput(`first must be between 0 and ${MAX_PAGE_SIZE}; got ${first}.`, 'first');
  if (first > MAX_PAGE_SIZE) {
    throw badUserInput(`first must be at most ${MAX_PAGE_SIZE}; got ${first}. Page through larger results with after: pageInfo.endCursor.`, 'first');
  }
  return first;
}

/** What a cursor holds: the sort value of the last row (a string, a finite number or null) and its _id. */
export interface CursorPayload {
  v: string | number | null;
  id: string;
}

export function encodeCursor(value: unknown, id: string): string {
  // A missing sort field is encoded as null, so every cursor this list hands out decodes.
  return Buffer.from(JSON.stringify({ v: value ?? null, id })).toString('base64url');
}

/** A cursor longer than this was not made by encodeCursor (sort keys are short names). */
const MAX_CURSOR_LENGTH = 1_024;

/**
 * Decodes a client's cursor and checks its shape before any of it reaches a
 * filter: exactly `{ v, id }`, `v` a string, a finite number or null and `id`
 * a string. A crafted cursor carrying an object (`{"$regex": ...}`,
 * `{"$in": [...]}`, `{"$where": ...}`) would otherwise be run by the
 * database as an operator.
 */
export function decodeCursor(cursor: string): CursorPayload {
  let parsed: unknown;
  if (cursor.length <= MAX_CURSOR_LENGTH) {
    try {
      parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      /* reported below */
    }
  }
  if (isCursorPayload(parsed)) return { v: parsed.v, id: parsed.id };
  throw badUserInput('after is not a cursor from this list: pass pageInfo.endCursor (or an edge cursor) from a previous page.', 'after');
}

function isCursorPayload(value: unknown): value is CursorPayload {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== 2 || !keys.includes('v') || !keys.includes('id')) return false;
  const { v, id } = value as Record<string, unknown>;
  const scalar = v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
  return scalar && typeof id === 'string';
}

function getPath(doc: Document, field: string): unknown {
  return field.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Document)[k] : undefined), doc);
}

/**
 * Runs one page query (limit + 1 to learn hasNextPage) and defers the count
 * until totalCount is asked for, so clients that don't select it don't pay.
 */
export async function paginate<TDoc extends Document & { _id: string }, TNode = TDoc>(
  collection: Collection<TDoc>,
  filter: Filter<TDoc>,
  sort: SortKey,
  args: PageArgs,
  toNode: (doc: TDoc) => TNode = (doc) => doc as unknown as TNode,
): Promise<Connection<TNode>> {
  const first = validateFirst(args.first);
  let pageFilter: Filter<TDoc> = filter;
  if (args.after) {
    const { v, id } = decodeCursor(args.after);
    const after = sort.field === '_id' ? { _id: { $gt: id } } : { $or: [{ [sort.field]: { $gt: v } }, { [sort.field]: v, _id: { $gt: id } }] };
    pageFilter = { $and: [filter, after] } as Filter<TDoc>;
  }
  const order: Sort = sort.field === '_id' ? { _id: 1 } : { [sort.field]: 1, _id: 1 };
  const docs =
    first === 0
      ? []
      : await collection
          .find(pageFilter)
          .sort(order)
          .limit(first + 1)
          .toArray();
  const page = docs.slice(0, first) as TDoc[];
  const edges = page.map((doc) => ({ cursor: encodeCursor(getPath(doc, sort.field), doc._id), node: toNode(doc) }));
  let count: Promise<number> | undefined;
  return {
    edges,
    pageInfo: { hasNextPage: docs.length > first, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: () => (count ??= collection.countDocuments(filter)),
  };
}

/** Escapes user text for use inside a regular expression, so it only ever matches literally. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A case-insensitive "contains" filter on some fields, or undefined for blank input. */
export function searchFilter(search: string | null | undefined, fields: string[]): Document | undefined {
  if (search === null || search === undefined) return undefined;
  const text = search.trim();
  if (text === '') return undefined;
  if (text.length > 200) throw badUserInput('search is longer than 200 characters: shorten it.', 'search');
  const pattern = escapeRegex(text);
  return { $or: fields.map((f) => ({ [f]: { $regex: pattern, $options: 'i' } })) };
}

/** Combines optional filter parts into one filter. */
export function allOf<T extends Document>(...parts: (Document | undefined)[]): Filter<T> {
  const present = parts.filter((p): p is Document => p !== undefined && Object.keys(p).length > 0);
  if (present.length === 0) return {} as Filter<T>;
  if (present.length === 1) return present[0] as Filter<T>;
  return { $and: present } as Filter<T>;
}
