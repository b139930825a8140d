/**
 * Validated access to the cells of one CSV record. The CSVs are curated
 * upstream, so a bad value means a hand edit: every check fails with the file,
 * row, line and column, and what the column accepts.
 */
import fs from 'node:fs';
import path from 'node:path';

import { parseCsvRecords, type CsvRow } from './csv';
import { CatalogDataError } from './errors';

/** One CSV record with typed, checked accessors; the id is only for messages. */
export class Row {
  constructor(
    readonly file: string,
    readonly line: number,
    private readonly values: CsvRow,
    private readonly id: string,
  ) {}

  /** Rejects the record, pointing at the cell to fix. */
  fail(column: string, problem: string): never {
    throw new CatalogDataError(`${this.file} row ${this.id} (line ${this.line}), column ${column}: ${problem}`);
  }

  /** The raw cell; a missing column is a broken file, not an empty value. */
  text(column: string): string {
    const value = this.values[column];
    if (value === undefined) this.fail(column, 'column missing');
    return value;
  }

  required(column: string): string {
    const value = this.text(column);
    if (value === '') this.fail(column, 'value required');
    return value;
  }

  /** Empty cells mean "not stated by any source" (NOTES §0), hence null. */
  optional(column: string): string | null {
    const value = this.text(column);
    return value === '' ? null : value;
  }

  /** A `;`-separated list cell. */
  list(column: string): string[] {
    return this.text(column)
      .split(';')
      .map((v) => v.trim())
      .filter((v) => v !== '');
  }

  oneOf<T extends string>(column: string, allowed: readonly T[]): T {
    return this.check(column, this.text(column), allowed);
  }

  listOf<T extends string>(column: string, allowed: readonly T[]): T[] {
    return this.list(column).map((v) => this.check(column, v, allowed));
  }

  bool(column: string): boolean {
    return this.oneOf(column, ['true', 'false'] as const) === 'true';
  }

  /** CGAC codes are text: a spreadsheet round trip that drops the leading zero must fail loudly. */
  cgac(column: string): string {
    const value = this.text(column);
    if (!/^\d{3}$/.test(value)) this.fail(column, `invalid CGAC code ${JSON.stringify(value)}; expected 3 digits`);
    return value;
  }

  optionalCgac(column: string): string | null {
    return this.text(column) === '' ? null : this.cgac(column);
  }

  private check<T extends string>(column: string, value: string, allowed: readonly T[]): T {
    if (!(allowed as readonly string[]).includes(value)) {
      this.fail(column, `invalid value ${JSON.stringify(value)}; expected one of ${allowed.join(', ')}`);
    }
    return value as T;
  }
}

/** Reads one catalog CSV; `idOf` names each record in error messages. */
export function readTable(dir: string, fileName: string, idOf: (row: CsvRow) => string): Row[] {
  const file = path.join(dir, fileName);
  const records = parseCsvRecords(fs.readFileSync(file, 'utf8'), fileName);
  return records.map((r) => new Row(fileName, r.line, r.values, idOf(r.values) || '?'));
}

/** Names a record by its key columns, e.g. `grm-era/075`. */
export const byColumn =
  (...columns: string[]) =>
  (row: CsvRow): string =>
    columns.map((c) => row[c] ?? '').join('/');
