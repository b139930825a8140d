import { Kind, parse, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { toSpreadsheetCsvLine } from '@qsmo/catalog/csv';
import { cellText, type Cell } from '../src/cli/flatten';
import { planTidy, selectionTree, selectionTreeFromData, type SelectionNode } from '../src/cli/tidy';

/**
 * The IDE's result as a table: the same tidy shape the query command writes
 * (gateway/src/cli/tidy.ts), sorting, the CSV download and what can be
 * charted. Pure functions, so the page and the tests share them.
 */
export interface ResultTable {
  headers: string[];
  rows: Cell[][];
}

/** The tidy table of a result: planned from the operation and the schema when both are at hand, else from the data itself. */
export function tableOf(data: unknown, query: string | undefined, operationName: string | undefined, schema: GraphQLSchema | null | undefined): ResultTable {
  let tree: SelectionNode[] | undefined;
  if (schema && query) {
    try {
      const document = parse(query);
      const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
      if (operation) tree = selectionTree(schema, document, operation);
    } catch {
      // The query was edited since it ran, or the schema is not the server's: the data alone still gives a table.
      tree = undefined;
    }
  }
  const plan = planTidy(tree ?? selectionTreeFromData(data));
  return { headers: plan.columns.map((c) => c.header), rows: plan.rows(data) };
}

export type SortDirection = 'ascending' | 'descending';

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Compares two cells with values: numbers as numbers, text in natural order ignoring case ("item 2" before "item 10"). */
export function compareCells(a: Cell, b: Cell): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return collator.compare(cellText(a, ', '), cellText(b, ', '));
}

/** The rows sorted by one column (a stable sort: ties keep the graph's order); empty cells always last. */
export function sortRows(rows: Cell[][], column: number, direction: SortDirection): Cell[][] {
  const sign = direction === 'ascending' ? 1 : -1;
  const isEmpty = (c: Cell | undefined) => c === null || c === undefined || c === '' || (Array.isArray(c) && c.length === 0);
  return rows
    .map((row, index) => ({ row, index }))
    .sort((x, y) => {
      const a = x.row[column];
      const b = y.row[column];
      if (isEmpty(a) || isEmpty(b)) return isEmpty(a) === isEmpty(b) ? x.index - y.index : isEmpty(a) ? 1 : -1;
      return sign * compareCells(a!, b!) || x.index - y.index;
    })
    .map((x) => x.row);
}

/**
 * The table as a CSV for Excel: a UTF-8 byte order mark, CRLF line ends,
 * and every text cell that would start a formula neutralized, exactly as the
 * query command writes it.
 */
export function tableCsv(table: ResultTable): string {
  const cell = (c: Cell) => (Array.isArray(c) ? cellText(c) : c);
  return `\ufeff${[table.headers, ...table.rows.map((r) => r.map(cell))].map((line) => `${toSpreadsheetCsvLine(line)}\r\n`).join('')}`;
}

/** Columns whose every value is a number (at least one): what a bar can measure. */
export function numericColumns(table: ResultTable): number[] {
  return table.headers
    .map((_, i) => i)
    .filter((i) => {
      const values = table.rows.map((r) => r[i]).filter((v) => v !== null && v !== undefined);
      return values.length > 0 && values.every((v) => typeof v === 'number');
    });
}

/** Columns of text that can label bars. */
export function labelColumns(table: ResultTable): number[] {
  return table.headers.map((_, i) => i).filter((i) => table.rows.some((r) => typeof r[i] === 'string'));
}

/** The label column a chart starts with: a "name" if there is one, else the first text column whose values differ. */
export function defaultLabel(table: ResultTable, labels: number[]): number | undefined {
  const named = labels.find((i) => /(^|\.)name$/i.test(table.headers[i]!));
  if (named !== undefined) return named;
  return labels.find((i) => new Set(table.rows.map((r) => r[i])).size > 1) ?? labels[0];
}

export interface Bar {
  label: string;
  value: number;
}

/** The bars of a chart: rows with a value, largest first, at most `limit` of them. */
export function barsOf(table: ResultTable, value: number, label: number, limit = 40): { bars: Bar[]; total: number } {
  const bars = table.rows
    .filter((r) => typeof r[value] === 'number')
    .map((r) => ({ label: cellText(r[label] ?? null, ', ') || '(none)', value: r[value] as number }))
    .sort((a, b) => b.value - a.value);
  return { bars: bars.slice(0, limit), total: bars.length };
}
