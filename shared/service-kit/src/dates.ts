/**
 * The one reading of a calendar day the graph accepts wherever a day is
 * given (`since` arguments, launch dates, stated dates, the audit trail's
 * `since`). A regular expression alone lets `2021-02-30` or `9999-99-99`
 * through, and JavaScript's Date quietly rolls such a day over into the next
 * month, so the month and day are checked against the real calendar.
 */

/** A day written YYYY-MM-DD. */
export const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** How a day must be written, for every message refusing one. */
export const ISO_DAY_FORMAT = 'YYYY-MM-DD, a real calendar day';

/** Days in a month of the proleptic Gregorian calendar (month 1-12). */
export const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** Whether year, month and day name a day that exists. */
export const isCalendarDay = (year: number, month: number, day: number): boolean => month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);

/** Whether `value` is a real calendar day written YYYY-MM-DD. */
export function isIsoDay(value: string): boolean {
  const m = ISO_DAY.exec(value);
  return m !== null && isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** Today (UTC) moved by a number of days, as YYYY-MM-DD: the far end of a range of plausible days. */
export function dayFromToday(days: number, now: Date = new Date()): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + days)).toISOString().slice(0, 10);
}
