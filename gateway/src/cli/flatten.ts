/**
 * Flattening a GraphQL result into rows for CSV, tables and ndjson.
 *
 * One row per leaf item: a list of objects becomes one row per element, with
 * the fields of the objects around it repeated on each row. Sibling lists
 * (an agency's grants offerings and its HR offerings) are not multiplied
 * together: each element of each list gets its own row, and the other list's
 * columns stay empty on it. Lists of scalars stay in one cell. Column names
 * are dotted response paths without list indexes.
 */
export type Scalar = string | number | boolean | null;
export type Cell = Scalar | Scalar[];
export type FlatRow = Record<string, Cell>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Rows of a value, and whether they came from a list of objects (then they are not shared by siblings). */
interface Flattened {
  rows: FlatRow[];
  fromList: boolean;
}

function flattenValue(value: unknown, path: string): Flattened {
  if (Array.isArray(value)) {
    if (!value.some((v) => isObject(v) || Array.isArray(v))) return { rows: [{ [path]: value as Scalar[] }], fromList: false };
    return { rows: value.flatMap((item) => flattenValue(item, path).rows), fromList: true };
  }
  if (isObject(value)) return flattenObject(value, path);
  return { rows: [{ [path]: value as Scalar }], fromList: false };
}

function flattenObject(object: Record<string, unknown>, prefix: string): Flattened {
  const base: FlatRow = {};
  const branches: FlatRow[][] = [];
  for (const [key, value] of Object.entries(object)) {
    const { rows, fromList } = flattenValue(value, prefix ? `${prefix}.${key}` : key);
    // Values outside any list belong to every row of this object; list rows stay in their own branch.
    if (fromList) branches.push(rows);
    else Object.assign(base, rows[0]);
  }
  const leaves = branches.flat();
  return { rows: leaves.length === 0 ? [base] : leaves.map((row) => ({ ...base, ...row })), fromList: branches.length > 0 };
}

/**
 * The rows of a result's data. Rows without any value (e.g. `agency: null`
 * for an unknown code) are left out, so "nothing found" is zero rows.
 */
export function flattenRows(data: unknown): FlatRow[] {
  if (data === null || data === undefined) return [];
  return flattenValue(data, '').rows.filter((row) => Object.values(row).some((v) => v !== null && !(Array.isArray(v) && v.length === 0)));
}

/** A cell as text: lists of scalars joined with ";" (the catalog's own separator), null as empty. */
export function cellText(cell: Cell | undefined, listSeparator = ';'): string {
  if (cell === null || cell === undefined) return '';
  if (Array.isArray(cell)) return cell.map((c) => (c === null ? '' : String(c))).join(listSeparator);
  return String(cell);
}
