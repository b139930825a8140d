/**
 * Reads the `as_of` cells of offering_customers.csv. Sources date themselves
 * to a day, a month, a calendar year or a federal fiscal year; the value is
 * kept as stated and the days it covers are computed, never guessed.
 */
import { daysInMonth as daysIn, isCalendarDay } from '@qsmo/service-kit/dates';
import type { StatedOn, StatedOnKind } from './types';

/** The written forms `as_of` accepts, for the error message of any other. */
export const STATED_ON_FORMATS = 'YYYY-MM-DD, YYYY-MM, YYYY or FYYYYY (federal fiscal year)';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
const day = (y: number, m: number, d: number): string => `${pad(y, 4)}-${pad(m)}-${pad(d)}`;

interface Format {
  kind: StatedOnKind;
  pattern: RegExp;
  /** First and last day covered, or a reason the value is not a real date. */
  range(parts: number[]): [string, string] | string;
}

const FORMATS: readonly Format[] = [
  {
    kind: 'DATE',
    pattern: /^(\d{4})-(\d{2})-(\d{2})$/,
    range: ([y, m, d]) => (!isCalendarDay(y!, m!, d!) ? 'not a calendar day' : [day(y!, m!, d!), day(y!, m!, d!)]),
  },
  {
    kind: 'MONTH',
    pattern: /^(\d{4})-(\d{2})$/,
    range: ([y, m]) => (m! < 1 || m! > 12 ? 'not a month' : [day(y!, m!, 1), day(y!, m!, daysIn(y!, m!))]),
  },
  { kind: 'YEAR', pattern: /^(\d{4})$/, range: ([y]) => [day(y!, 1, 1), day(y!, 12, 31)] },
  // The federal fiscal year runs 1 October to 30 September and is named for the year it ends in (31 U.S.C. 1102).
  { kind: 'FISCAL_YEAR', pattern: /^FY(\d{4})$/, range: ([y]) => [day(y! - 1, 10, 1), day(y!, 9, 30)] },
];

/** The typed reading of one `as_of` value, or why it cannot be read (the caller names file, line and column). */
export function parseStatedOn(value: string): StatedOn | { problem: string } {
  for (const format of FORMATS) {
    const m = format.pattern.exec(value);
    if (!m) continue;
    const range = format.range(m.slice(1).map(Number));
    if (typeof range === 'string') return { problem: `${JSON.stringify(value)} is ${range}` };
    return { kind: format.kind, value, from: range[0], to: range[1] };
  }
  return { problem: `unknown date format ${JSON.stringify(value)}; write ${STATED_ON_FORMATS}` };
}
