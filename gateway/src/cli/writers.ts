import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { toSpreadsheetCsvLine } from '@qsmo/catalog/csv';
import type { Format } from './args';
import { cellText, flattenRows, type Cell, type FlatRow } from './flatten';

/** How a page of data becomes rows: the tidy shape (tidy.ts) or the wide one (every leaf path a column). */
export interface RowShape {
  headers: string[];
  rows(data: unknown): Cell[][];
  /** True when headers are full dotted paths, which a terminal table shortens. */
  dotted?: boolean;
}

/** Today's wide shape: one column per leaf path of the selection, one row per leaf item (flatten.ts). */
export function wideShape(columns: string[]): RowShape {
  return { headers: columns, dotted: true, rows: (data) => flattenRows(data).map((row) => columns.map((c) => row[c] ?? null)) };
}

/** Written first in an Excel CSV: Excel reads a file as UTF-8 only when it starts with the byte order mark. */
export const UTF8_BOM = '\ufeff';

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
  /** The rows' columns and how a page becomes rows. */
  shape: RowShape;
  /** CSV for Excel: a UTF-8 byte order mark first (lines end in CRLF in every CSV). */
  excel?: boolean;
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
function csvWriter(out: Writable, { shape, excel }: WriterOptions): ResultWriter {
  let header = false;
  const head = () => (excel ? UTF8_BOM : '') + toSpreadsheetCsvLine(shape.headers) + CRLF;
  return {
    async writePage(data) {
      const rows = shape.rows(data);
      let chunk = header ? '' : head();
      header = true;
      for (const row of rows) chunk += toSpreadsheetCsvLine(row.map(csvCell)) + CRLF;
      await writeChunk(out, chunk);
      return rows.length;
    },
    async finish() {
      if (!header) await writeChunk(out, head());
    },
  };
}

/** One JSON object per row, keys in column order; values keep their JSON types (numbers, booleans, null, lists). */
function ndjsonWriter(out: Writable, { shape }: WriterOptions): ResultWriter {
  return {
    async writePage(data) {
      const rows = shape.rows(data);
      let chunk = '';
      for (const row of rows) {
        const ordered: Record<string, Cell> = {};
        shape.headers.forEach((h, i) => {
          ordered[h] = row[i] ?? null;
        });
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
function tableWriter(out: Writable, { shape, notice }: WriterOptions): ResultWriter {
  let shown: { index: number; header: string; width: number }[] | undefined;
  const fit = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));
  const line = (cells: string[]) => `${cells.join('  ').trimEnd()}\n`;
  return {
    async writePage(data) {
      const rows = shape.rows(data);
      let chunk = '';
      if (!shown) {
        const headers = shape.dotted ? shortHeaders(shape.headers) : shape.headers;
        const used = headers
          .map((header, index) => ({ index, header, values: rows.map((r) => cellText(r[index], ', ')) }))
          .filter((c) => rows.length === 0 || c.values.some((v) => v !== ''));
        const hidden = headers.length - used.length;
        if (hidden > 0) notice?.(`table: ${hidden} column(s) empty in every row are hidden; --format csv shows all.`);
        shown = used.map((c) => ({
          index: c.index,
          header: c.header,
          width: Math.min(MAX_WIDTH, Math.max(c.header.length, ...c.values.map((v) => v.length))),
        }));
        chunk += line(shown.map((c) => fit(c.header, c.width)));
        chunk += line(shown.map((c) => '-'.repeat(c.width)));
      }
      for (const row of rows) chunk += line(shown.map((c) => fit(cellText(row[c.index], ', '), c.width)));
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
    case 'csv':
      return csvWriter(out, options);
    case 'ndjson':
      return ndjsonWriter(out, options);
    case 'json':
      return jsonWriter(out, options);
    case 'table':
      return tableWriter(out, options);
  }
}

export type { FlatRow, Cell };
