import { isIsoDay } from './dates';
import { badUserInput, excerpt } from './errors';

/**
 * Shapes of the public identifiers. A malformed id is the caller's mistake
 * (BAD_USER_INPUT naming the expected shape); a well-formed id that matches
 * nothing is simply not found (null).
 */
export const AGENCY_CODE = /^\d{3}$/;
export const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const FIBF_CODE = /^[A-Z]{3}(?:\.[A-Z0-9]+(?:-\d+)?){1,3}$/;

export function agencyCode(value: string, argumentName = 'code'): string {
  if (!AGENCY_CODE.test(value)) {
    throw badUserInput(`${argumentName} "${excerpt(value)}" is not a CGAC agency code: use the 3-digit code as text, zero-padded, e.g. "075".`, argumentName);
  }
  return value;
}

export function slug(value: string, argumentName: string, example: string): string {
  if (!SLUG.test(value)) {
    throw badUserInput(`${argumentName} "${excerpt(value)}" is not an id: ids are lowercase slugs like "${example}".`, argumentName);
  }
  return value;
}

export function fibfCode(value: string, argumentName = 'code'): string {
  const trimmed = value.trim();
  if (!FIBF_CODE.test(trimmed)) {
    throw badUserInput(
      `${argumentName} "${excerpt(value)}" is not a FIBF code: use a function, activity or capability code such as "FFM.030", "FFM.030.070" or "HCM.A1-1.010".`,
      argumentName,
    );
  }
  return trimmed;
}

export { ISO_DAY } from './dates';

/**
 * A `since` day. Stated dates are compared as YYYY-MM-DD text, so only that
 * form (and a real calendar day) keeps the comparison meaningful.
 */
export function isoDay(value: string, argumentName = 'since'): string {
  if (!isIsoDay(value)) {
    throw badUserInput(`${argumentName} "${excerpt(value)}" is not an ISO date: use a calendar day written YYYY-MM-DD, e.g. "2015-01-01".`, argumentName);
  }
  return value;
}

/** An optional `since` argument: validated when given, undefined when not. */
export const optionalIsoDay = (value: string | null | undefined, argumentName = 'since'): string | undefined =>
  value === null || value === undefined ? undefined : isoDay(value, argumentName);

/**
 * A window of stated dates from optional `since` and `until` days (both
 * inclusive); undefined when neither is given. `since` after `until` is a
 * mistake the caller is told about, not an empty answer.
 */
export function optionalStatedWindow(since: string | null | undefined, until: string | null | undefined): { since?: string; until?: string } | undefined {
  const from = optionalIsoDay(since, 'since');
  const to = optionalIsoDay(until, 'until');
  if (from === undefined && to === undefined) return undefined;
  if (from !== undefined && to !== undefined && from > to) {
    throw badUserInput(`since (${from}) is after until (${to}): swap them, or leave one out.`, 'since');
  }
  return { ...(from === undefined ? {} : { since: from }), ...(to === undefined ? {} : { until: to }) };
}
