import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { toSpreadsheetCsvLine } from '@qsmo/shared/catalog/csv';
import type { Format } from './args';
import { cellText, flattenRows, type Cell, type FlatRow } from './flatten';

/**
 * Output writers. Each receives the result one page at a time and writes it
 * before the next page is fetched, so memory stays flat however many pages
 * --all-pages follows.
 */
export interface ResultWriter {
  /** Writes one page (or the only response) of data; returns the number of rows written. */
  writePage(data: unknown): Promise<number>;
  /** Writes whatever closes the output (JSON's closing brackets). */
  finish(): Promise<void>;
}

export interface WriterOptions {
  /** Columns, from the operation's selection set. */
  columns: string[];
  /** With --all-pages: the response path of the connection being paged. */
  connectionPath?: string[];
  /** Where notes for the user go (hidden table columns). */
  notice?: (message: string) => void;
}

/** Writes respecting backpressure: a slow disk or pipe slows the fetching down instead of filling memory. */
export async function writeChunk(out: Writable, chunk: string): Promise<void> {
  if (chunk === '') return;
  if (!out.write(chunk)) await once(out, 'drain');
}

const CRLF = '\r\n';

/** A cell as the CSV holds it: a list of scalars joined as text; a single number or boolean kept typed, so it is not neutralized. */
const csvCell = (cell: Cell | undefined): string | number | boolean | null => (Array.isArray(cell) || cell === undefined ? cellText(cell) : cell);

/** For spreadsheets (analysts open it in Excel): text that would start a formula is neutralized (see toSpreadsheetCsvLine). */
function csvWriter(out: Writable, { columns }: WriterOptions): ResultWriter {
  let header = false;
  return {
    async writePage(data) {
      const rows = flattenRows(data);
      let chunk = header ? '' : toSpreadsheetCsvLine(columns) + CRLF;
      header = true;
      for (const row of rows) chunk += toSpreadsheetCsvLine(columns.map((c) => csvCell(row[c]))) + CRLF;
      await writeChunk(out, chunk);
      return rows.length;
    },
    async finish() {
      if (!header) await writeChunk(out, toSpreadsheetCsvLine(columns) + CRLF);
    },
  };
}

/** One JSON object per row, keys in column order; values keep their JSON types (numbers, booleans, null, lists). */
function ndjsonWriter(out: Writable, { columns }: WriterOptions): ResultWriter {
  return {
    async writePage(data) {
      const rows = flattenRows(data);
      let chunk = '';
      for (const row of rows) {
        const ordered: Record<string, Cell> = {};
        for (const c of columns) ordered[c] = row[c] ?? null;
        chunk += `${JSON.stringify(ordered)}\n`;
      }
      await writeChunk(out, chunk);
      return rows.length;
    },
    async finish() {},
  };
}

const getAt = (data: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), data);

const MARK = '\u0000edges\u0000';

/**
 * The data as JSON. With --all-pages, the output is the first page's data
 * with the connection's edges of every page in one array, streamed, and the
 * last page's pageInfo: what one page holding everything would look like.
 */
function jsonWriter(out: Writable, { connectionPath }: WriterOptions): ResultWriter {
  let first: unknown;
  let lastPageInfo: unknown;
  let edgeCount = 0;
  const skeleton = (pageInfo: unknown): string[] => {
    const copy = structuredClone(first) as Record<string, unknown>;
    const parent = getAt(copy, connectionPath!.slice(0, -1)) as Record<string, unknown>;
    const key = connectionPath![connectionPath!.length - 1]!;
    const { edges: _edges, pageInfo: _pageInfo, ...rest } = parent[key] as Record<string, unknown>;
    parent[key] = { ...rest, edges: MARK, pageInfo };
    const text = JSON.stringify(copy, null, 2);
    const at = text.indexOf(JSON.stringify(MARK));
    return [text.slice(0, at), text.slice(at + JSON.stringify(MARK).length)];
  };
  return {
    async writePage(data) {
      const rows = flattenRows(data).length;
      if (!connectionPath) {
        await writeChunk(out, `${JSON.stringify(data ?? null, null, 2)}\n`);
        return rows;
      }
      const connection = getAt(data, connectionPath) as { edges?: unknown[]; pageInfo?: unknown } | undefined;
      if (first === undefined) {
        first = data;
        await writeChunk(out, `${skeleton(null)[0]}[`);
      }
      lastPageInfo = connection?.pageInfo ?? lastPageInfo;
      let chunk = '';
      for (const edge of connection?.edges ?? []) {
        // Indented to sit inside the pretty-printed skeleton; nesting depth is the path length.
        const indent = '  '.repeat(connectionPath.length + 2);
        chunk += `${edgeCount++ === 0 ? '' : ','}\n${indent}${JSON.stringify(edge, null, 2).replace(/\n/g, `\n${indent}`)}`;
      }
      await writeChunk(out, chunk);
      return rows;
    },
    async finish() {
      if (!connectionPath || first === undefined) return;
      const indent = '  '.repeat(connectionPath.length + 1);
      await writeChunk(out, `${edgeCount > 0 ? `\n${indent}` : ''}]${skeleton(lastPageInfo)[1]}\n`);
    },
  };
}

const MAX_WIDTH = 40;

/** Column headers without the prefix every column shares, so a terminal has room for the values. */
export function shortHeaders(columns: string[]): string[] {
  if (columns.length < 2) return columns;
  const split = columns.map((c) => c.split('.'));
  let common = 0;
  while (split.every((parts) => parts.length > common + 1 && parts[common] === split[0]![common])) common++;
  return split.map((parts) => parts.slice(common).join('.'));
}

/**
 * An aligned table for reading in a terminal. Widths come from the first
 * page and stay fixed, so later pages stream; columns empty on the whole
 * first page are hidden (with a note) because sparse results (an agency's
 * four marketplaces) would not fit a screen. Use csv for data.
 */
function tableWriter(out: Writable, { columns, notice }: WriterOptions): ResultWriter {
  let shown: { column: string; header: string; width: number }[] | undefined;
  const fit = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));
  const line = (cells: string[]) => `${cells.join('  ').trimEnd()}\n`;
  return {
    async writePage(data) {
      const rows = flattenRows(data);
      let chunk = '';
      if (!shown) {
        const headers = shortHeaders(columns);
        const used = columns.map((c, i) => ({ column: c, header: headers[i]!, values: rows.map((r) => cellText(r[c], ', ')) }))
          .filter((c) => rows.length === 0 || c.values.some((v) => v !== ''));
        const hidden = columns.length - used.length;
        if (hidden > 0) notice?.(`table: ${hidden} column(s) empty in every row are hidden; --format csv shows all.`);
        shown = used.map((c) => ({ column: c.column, header: c.header, width: Math.min(MAX_WIDTH, Math.max(c.header.length, ...c.values.map((v) => v.length))) }));
        chunk += line(shown.map((c) => fit(c.header, c.width)));
        chunk += line(shown.map((c) => '-'.repeat(c.width)));
      }
      for (const row of rows) chunk += line(shown.map((c) => fit(cellText(row[c.column], ', '), c.width)));
      await writeChunk(out, chunk);
      return rows.length;
    },
    async finish() {
      if (!shown) await this.writePage(null);
    },
  };
}

export function createWriter(format: Format, out: Writable, options: WriterOptions): ResultWriter {
  switch (format) {
    case 'csv': return csvWriter(out, options);
    case 'ndjson': return ndjsonWriter(out, options);
    case 'json': return jsonWriter(out, options);
    case 'table': return tableWriter(out, options);
  }
}

export type { FlatRow };
