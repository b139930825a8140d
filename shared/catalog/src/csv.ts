/**
 * Minimal RFC 4180 reader/writer for the catalog CSVs. Hand-written so the
 * shared library stays free of a CSV dependency; strict on purpose, because a
 * silently mis-split row in reference data is worse than a failed seed.
 */

/** A record's cells by column name. */
export type CsvRow = Record<string, string>;

/** A record with the line it starts on, so errors can point at it. */
export interface CsvRecord {
  /** 1-based physical line on which the record starts (for error messages). */
  line: number;
  values: CsvRow;
}

/** A CSV that is not well-formed; names file and line because the fix is an edit there. */
export class CsvError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'CsvError';
  }
}

interface RawRecord {
  line: number;
  fields: string[];
}

/** A quoted field read from its opening quote: the text, where reading resumes, and the line reached. */
interface QuotedField {
  text: string;
  next: number;
  line: number;
}

function readQuoted(src: string, start: number, startLine: number, file: string): QuotedField {
  let text = '';
  let line = startLine;
  let i = start + 1;
  while (i < src.length) {
    const c = src[i];
    if (c === '"') {
      if (src[i + 1] === '"') {
        text += '"';
        i += 2;
        continue;
      }
      const next = src[i + 1];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        throw new CsvError(file, line, `unexpected character ${JSON.stringify(next)} after closing quote`);
      }
      return { text, next: i + 1, line };
    }
    if (c === '\n' || (c === '\r' && src[i + 1] !== '\n')) line++;
    text += c;
    i++;
  }
  throw new CsvError(file, startLine, 'unterminated quoted field');
}

function tokenize(text: string, file: string): RawRecord[] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: RawRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  // A record that is only a line break carries nothing; skip it rather than
  // report a one-column row, so trailing blank lines are harmless.
  let recordHasContent = false;
  let i = 0;

  const endRecord = (): void => {
    if (recordHasContent) {
      fields.push(field);
      records.push({ line: recordLine, fields });
    }
    fields = [];
    field = '';
    recordHasContent = false;
  };

  while (i < src.length) {
    const ch = src[i];
    if (ch === '"') {
      if (field !== '') throw new CsvError(file, line, 'quote inside an unquoted field');
      recordHasContent = true;
      const quoted = readQuoted(src, i, line, file);
      field = quoted.text;
      line = quoted.line;
      i = quoted.next;
    } else if (ch === ',') {
      recordHasContent = true;
      fields.push(field);
      field = '';
      i++;
    } else if (ch === '\r' || ch === '\n') {
      i += ch === '\r' && src[i + 1] === '\n' ? 2 : 1;
      endRecord();
      line++;
      recordLine = line;
    } else {
      recordHasContent = true;
      field += ch;
      i++;
    }
  }
  endRecord();
  return records;
}

/** Parses CSV text with a header row; `file` is only used in error messages. */
export function parseCsvRecords(text: string, file: string): CsvRecord[] {
  const raw = tokenize(text, file);
  const header = raw[0];
  if (!header) throw new CsvError(file, 1, 'missing header row');
  const seen = new Set<string>();
  for (const name of header.fields) {
    if (name === '') throw new CsvError(file, header.line, 'empty column name in header');
    if (seen.has(name)) throw new CsvError(file, header.line, `duplicate column ${JSON.stringify(name)} in header`);
    seen.add(name);
  }
  return raw.slice(1).map(({ line, fields }) => {
    if (fields.length !== header.fields.length) {
      throw new CsvError(file, line, `expected ${header.fields.length} columns, found ${fields.length}`);
    }
    const values: CsvRow = {};
    header.fields.forEach((name, idx) => {
      values[name] = fields[idx] ?? '';
    });
    return { line, values };
  });
}

/** The rows' values only, for callers that need no line numbers. */
export function parseCsv(text: string, file: string): CsvRow[] {
  return parseCsvRecords(text, file).map((r) => r.values);
}

const NEEDS_QUOTES = /[",\r\n]/;

/** Quotes a field only when RFC 4180 requires it, matching the catalog files' style. */
export function toCsvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line without the line terminator. */
export function toCsvLine(values: ReadonlyArray<string | number | boolean | null | undefined>): string {
  return values.map(toCsvField).join(',');
}

/**
 * A text a spreadsheet would run as a formula when the CSV is opened: one
 * starting with =, +, - or @ (or a tab or carriage return, which some
 * spreadsheets skip before reading the rest as one), after any quotes this
 * module added, so that adding one is reversible. OWASP, "CSV Injection".
 */
const FORMULA_LEAD = /^'*[=+\-@\t\r]/;

/** The text with a leading `'` when a spreadsheet would read it as a formula, so it shows as text. */
export function neutralizeFormula(text: string): string {
  return FORMULA_LEAD.test(text) ? `'${text}` : text;
}

/**
 * Undoes neutralizeFormula: a cell that is `'` followed by a formula-leading
 * text loses that one quote. A text that merely starts with a quote ("'The
 * latest ...") is not one neutralizeFormula changes, so it is left alone.
 */
export function restoreFormula(text: string): string {
  return text.startsWith("'") && FORMULA_LEAD.test(text) ? text.slice(1) : text;
}

/**
 * One line of a CSV meant to be opened in a spreadsheet: every text cell
 * that would start a formula is neutralized, then quoted as RFC 4180 needs.
 * Numbers and booleans are written as they are: they come typed from the
 * data (never from text an editor wrote), so a negative number stays a number.
 */
export function toSpreadsheetCsvLine(values: ReadonlyArray<string | number | boolean | null | undefined>): string {
  return values.map((v) => toCsvField(typeof v === 'string' ? neutralizeFormula(v) : v)).join(',');
}
