import type { Document } from 'mongodb';

/**
 * MongoDB's query semantics for the small set of shapes the subgraphs send
 * (equality, `$in`, ranges, `$regex` with `i`, `$exists`, `$and`, `$or`,
 * sort, skip, limit, inclusion projections), run over a snapshot of a whole
 * collection held by the read model.
 *
 * Why: FerretDB v1 decodes the whole collection for every `find`, so a
 * snapshot costs one `find` and then answers every lookup of that
 * collection (entity batches, pages, searches, counts) without another round
 * trip, instead of each distinct command paying a cold miss.
 *
 * Exact or nothing: any operator, type or shape whose MongoDB semantics are
 * not reproduced exactly here throws `Unsupported`, and the read model sends
 * that command to the database as before. test/read-model-match.test.ts runs
 * the same commands against the database and compares.
 */
export class Unsupported extends Error {}

const unsupported = (what: string): never => {
  throw new Unsupported(what);
};

type Scalar = string | number | boolean;
const isScalar = (v: unknown): v is Scalar => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** A field's value; `missing` for an absent path. An array on the way (not at the end) is outside what is reproduced. */
const MISSING = Symbol('missing');
function valueAt(doc: Document, path: string): unknown {
  let v: unknown = doc;
  for (const key of path.split('.')) {
    if (Array.isArray(v)) unsupported(`array inside the path ${path}`);
    if (!isPlain(v) || !(key in v)) return MISSING;
    v = v[key];
  }
  return v;
}

/** MongoDB compares strings by their UTF-8 bytes; JS by UTF-16 units, which agree below the surrogate range. */
function compareStrings(a: string, b: string): number {
  // eslint-disable-next-line no-control-regex
  if (/[\ud800-\uffff]/.test(a) || /[\ud800-\uffff]/.test(b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Same-type comparison (MongoDB's range operators never match across types); undefined when the types differ. */
function compareSameType(a: unknown, b: Scalar): number | undefined {
  if (typeof b === 'string') return typeof a === 'string' ? compareStrings(a, b) : undefined;
  if (typeof b === 'number') return typeof a === 'number' && Number.isFinite(a) ? a - b : undefined;
  return unsupported('a range over booleans');
}

/** Does the stored value (or, for an array, any element) satisfy the test? Arrays of arrays or of documents are not reproduced. */
function anyOf(value: unknown, test: (v: unknown) => boolean): boolean {
  if (Array.isArray(value)) {
    if (value.some((e) => typeof e === 'object' && e !== null)) unsupported('arrays of arrays or documents');
    return value.some(test);
  }
  return test(value);
}

type Predicate = (doc: Document) => boolean;

/** One field's condition compiled once per command (a `$in` set, a regex), then run per document. */
function compileCondition(path: string, condition: unknown): Predicate {
  const tests: ((value: unknown) => boolean)[] = [];
  if (isScalar(condition)) tests.push((value) => value !== MISSING && anyOf(value, (v) => v === condition));
  else if (!isPlain(condition)) unsupported(`the condition on ${path}`);
  else {
    const ops = Object.keys(condition);
    if (ops.includes('$options') && !ops.includes('$regex')) unsupported('$options without $regex');
    for (const op of ops) {
      const arg = condition[op];
      switch (op) {
        case '$eq':
          if (!isScalar(arg)) unsupported(`$eq ${String(arg)}`);
          tests.push((value) => value !== MISSING && anyOf(value, (v) => v === arg));
          break;
        case '$in': {
          if (!Array.isArray(arg) || !arg.every(isScalar)) unsupported('$in with non-scalar values');
          const set = new Set<unknown>(arg as Scalar[]);
          tests.push((value) => value !== MISSING && anyOf(value, (v) => set.has(v)));
          break;
        }
        case '$gt':
        case '$gte':
        case '$lt':
        case '$lte': {
          if (!isScalar(arg)) unsupported(`${op} ${String(arg)}`);
          const bound = arg as Scalar;
          const accept =
            op === '$gt' ? (c: number) => c > 0 : op === '$gte' ? (c: number) => c >= 0 : op === '$lt' ? (c: number) => c < 0 : (c: number) => c <= 0;
          tests.push(
            (value) =>
              value !== MISSING &&
              anyOf(value, (v) => {
                const c = compareSameType(v, bound);
                return c !== undefined && accept(c);
              }),
          );
          break;
        }
        case '$exists':
          if (typeof arg !== 'boolean') unsupported('$exists with a non-boolean');
          tests.push((value) => (value !== MISSING) === arg);
          break;
        case '$regex': {
          const options = condition.$options ?? '';
          // ASCII patterns with at most `i`: PCRE (MongoDB) and JS agree there; escaped user text is such a pattern.
          if (typeof arg !== 'string' || /[^\x20-\x7e]/.test(arg) || typeof options !== 'string' || !/^i?$/.test(options)) unsupported('this $regex');
          const re = new RegExp(arg as string, options as string);
          tests.push((value) => value !== MISSING && anyOf(value, (v) => typeof v === 'string' && re.test(v)));
          break;
        }
        case '$options':
          break;
        default:
          unsupported(`operator ${op}`);
      }
    }
  }
  return (doc) => {
    const value = valueAt(doc, path);
    // Dates, ObjectIds, decimals and sub-documents compare in ways not reproduced here.
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) unsupported(`a ${value.constructor?.name ?? 'document'} value at ${path}`);
    return tests.every((t) => t(value));
  };
}

/** A filter compiled to a predicate with MongoDB's semantics for the supported shapes. */
export function compileFilter(filter: unknown): Predicate {
  if (filter === undefined) return () => true;
  if (!isPlain(filter)) return unsupported('a filter that is not a plain document');
  const parts = Object.entries(filter).map(([key, condition]): Predicate => {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(condition) || condition.length === 0) return unsupported(`${key} without a list`);
      const each = condition.map(compileFilter);
      return key === '$and' ? (d) => each.every((p) => p(d)) : (d) => each.some((p) => p(d));
    }
    if (key.startsWith('$')) return unsupported(`operator ${key}`);
    return compileCondition(key, condition);
  });
  return (doc) => parts.every((p) => p(doc));
}

/** A sort key's value for ordering: missing sorts like null, before every string and number; mixed types are not reproduced. */
function sortValue(doc: Document, path: string): string | number | null {
  const v = valueAt(doc, path);
  if (v === MISSING || v === null) return null;
  if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) return v;
  return unsupported(`sorting on ${path}`);
}

function sorter(spec: unknown): (a: Document, b: Document) => number {
  if (!isPlain(spec)) return unsupported('a sort that is not a document');
  const keys = Object.entries(spec).map(([path, dir]) => {
    if (dir !== 1 && dir !== -1) unsupported(`sort direction ${String(dir)}`);
    return [path, dir as 1 | -1] as const;
  });
  return (a, b) => {
    for (const [path, dir] of keys) {
      const x = sortValue(a, path);
      const y = sortValue(b, path);
      if (x === y) continue;
      if (x === null) return -dir;
      if (y === null) return dir;
      if (typeof x !== typeof y) unsupported(`mixed types under ${path}`);
      const c = typeof x === 'string' ? compareStrings(x, y as string) : x - (y as number);
      if (c !== 0) return c * dir;
    }
    return 0;
  };
}

function projector(options: unknown): (doc: Document) => Document {
  if (options === undefined) return (d) => d;
  if (!isPlain(options) || Object.keys(options).some((k) => k !== 'projection')) return unsupported('find options other than projection');
  const projection = options.projection;
  if (!isPlain(projection)) return unsupported('this projection');
  const fields = Object.entries(projection);
  if (fields.some(([f, v]) => v !== 1 || f.includes('.') || f.startsWith('$'))) return unsupported('a projection other than top-level inclusions');
  return (d) => {
    const out: Document = { _id: d._id };
    for (const [f] of fields) if (f in d) out[f] = d[f];
    return out;
  };
}

/**
 * find(filter, options) with the recorded cursor calls (sort, skip, limit,
 * project), answered from a whole collection in its natural order.
 * Throws Unsupported for anything outside the reproduced shapes.
 */
export function runFind(all: readonly Document[], args: unknown[], calls: readonly [string, unknown[]][]): Document[] {
  if (args.length > 2) unsupported('find with more than two arguments');
  const [filter, options] = args;
  const byId = calls.length === 0 ? lookUpIds(all, filter) : undefined;
  if (byId) return byId.map(projector(options));
  let project = projector(options);
  const match = compileFilter(filter);
  let result = all.filter(match);
  let sorted = false;
  let skip = 0;
  let limit = 0;
  for (const [method, a] of calls) {
    if (method === 'sort' && !sorted && skip === 0 && limit === 0 && a.length === 1) {
      // A stable sort on the natural order; ties are ordered by the sort keys given (every caller ends with _id).
      result = [...result].sort(sorter(a[0]));
      sorted = true;
    } else if (method === 'skip' && typeof a[0] === 'number' && Number.isInteger(a[0]) && a[0] >= 0 && limit === 0) skip = a[0];
    else if (method === 'limit' && typeof a[0] === 'number' && Number.isInteger(a[0]) && a[0] >= 0) limit = a[0];
    else if (method === 'project' && a.length === 1) project = projector({ projection: a[0] });
    else unsupported(`cursor.${method}`);
  }
  // Without a sort ending in a unique key, MongoDB's order among ties is not promised; only whole results are reproduced then.
  if ((skip > 0 || limit > 0) && !(sorted && endsWithId(calls))) unsupported('skip or limit without a sort ending in _id');
  result = result.slice(skip, limit > 0 ? skip + limit : undefined);
  return result.map(project);
}

function endsWithId(calls: readonly [string, unknown[]][]): boolean {
  const sort = calls.find(([m]) => m === 'sort')?.[1][0];
  return isPlain(sort) && Object.keys(sort).at(-1) === '_id';
}

/** countDocuments(filter) over a whole collection. */
export function runCount(all: readonly Document[], args: unknown[]): number {
  if (args.length > 1) unsupported('countDocuments with options');
  const match = compileFilter(args[0]);
  let n = 0;
  for (const d of all) if (match(d)) n++;
  return n;
}

/** Each snapshot's documents by `_id`, with their natural position; null when an `_id` is not a string or number. */
const idIndexes = new WeakMap<readonly Document[], Map<unknown, number> | null>();

function idIndex(all: readonly Document[]): Map<unknown, number> | null {
  let index = idIndexes.get(all);
  if (index === undefined) {
    index = new Map();
    for (const [i, d] of all.entries()) {
      if (typeof d._id !== 'string' && !(typeof d._id === 'number' && Number.isFinite(d._id))) {
        index = null;
        break;
      }
      index.set(d._id, i);
    }
    idIndexes.set(all, index);
  }
  return index;
}

/**
 * The DataLoaders' batch shape, `{_id: {$in: keys}}` or `{_id: key}`, answered
 * through an index instead of a scan, in the collection's natural order as a
 * scan would; undefined for any other filter.
 */
function lookUpIds(all: readonly Document[], filter: unknown): Document[] | undefined {
  if (!isPlain(filter) || Object.keys(filter).length !== 1 || !('_id' in filter)) return undefined;
  const condition = filter._id;
  let keys: readonly unknown[];
  if (isScalar(condition)) keys = [condition];
  else if (isPlain(condition) && Object.keys(condition).length === 1 && Array.isArray(condition.$in) && condition.$in.every(isScalar)) keys = condition.$in;
  else return undefined;
  const index = idIndex(all);
  if (!index) return undefined;
  const positions = [...new Set(keys)]
    .map((k) => index.get(k))
    .filter((i): i is number => i !== undefined)
    .sort((a, b) => a - b);
  return positions.map((i) => all[i]!);
}

/** A `$field` path of a stage (`'$customerCodes'`), or unsupported. */
function fieldPath(expression: unknown, stage: string): string {
  if (typeof expression !== 'string' || !/^\$[A-Za-z_][\w.]*$/.test(expression)) return unsupported(`${stage} of ${JSON.stringify(expression)}`);
  return expression.slice(1);
}

/** `$unwind: '$path'`: one document per element; a missing, null or empty array drops the document, a scalar stays one. */
function unwind(docs: readonly Document[], expression: unknown): Document[] {
  const path = fieldPath(expression, '$unwind');
  if (path.includes('.')) unsupported('$unwind of a nested path');
  const out: Document[] = [];
  for (const d of docs) {
    const v = d[path];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v)) {
      out.push(d);
      continue;
    }
    for (const e of v) out.push({ ...d, [path]: e });
  }
  return out;
}

/** `$group` by a field path or null, with `$sum: 1` counts: rows in no particular order, as MongoDB promises none. */
function group(docs: readonly Document[], spec: unknown): Document[] {
  if (!isPlain(spec) || !('_id' in spec)) return unsupported('this $group');
  const path = spec._id === null ? undefined : fieldPath(spec._id, '$group');
  const counters = Object.entries(spec).filter(([k]) => k !== '_id');
  for (const [name, acc] of counters) if (!isPlain(acc) || Object.keys(acc).length !== 1 || acc.$sum !== 1) unsupported(`accumulator ${name}`);
  const rows = new Map<unknown, Document>();
  for (const d of docs) {
    let key: unknown = null;
    if (path !== undefined) {
      const v = valueAt(d, path);
      key = v === MISSING || v === null ? null : v;
      // Documents and arrays group by deep equality, which is not reproduced here.
      if (!(key === null || isScalar(key))) unsupported(`grouping on a ${Array.isArray(key) ? 'array' : typeof key} at ${path}`);
    }
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { _id: key, ...Object.fromEntries(counters.map(([name]) => [name, 0])) }));
    for (const [name] of counters) row[name] += 1;
  }
  return [...rows.values()];
}

/**
 * aggregate(pipeline) of the stages the subgraphs' totals use ($match,
 * $unwind of a top-level field, $group by a field with `$sum: 1`), over a
 * whole collection. Group rows come in no particular order (callers key
 * them by `_id`), as MongoDB's do. Throws Unsupported for anything else.
 */
export function runAggregate(all: readonly Document[], args: unknown[]): Document[] {
  const [pipeline, options] = args;
  if (args.length > 2 || (options !== undefined && !(isPlain(options) && Object.keys(options).length === 0))) unsupported('aggregate options');
  if (!Array.isArray(pipeline)) return unsupported('a pipeline that is not a list');
  let docs: readonly Document[] = all;
  for (const stage of pipeline) {
    if (!isPlain(stage) || Object.keys(stage).length !== 1) return unsupported('a stage that is not one operator');
    const [op, spec] = Object.entries(stage)[0]!;
    if (op === '$match') docs = docs.filter(compileFilter(spec));
    else if (op === '$unwind') docs = unwind(docs, spec);
    else if (op === '$group') docs = group(docs, spec);
    else unsupported(`stage ${op}`);
  }
  return docs as Document[];
}
