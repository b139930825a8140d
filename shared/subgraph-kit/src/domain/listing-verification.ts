import type { SourceRecord, Verification } from '@qsmo/catalog/types';

/**
 * offering_customers.csv has no verification column. The only grading of
 * listings is the confidence SOURCES.md puts at the end of each source added
 * for the dated listings: "H = primary official source naming the relation;
 * M = official text on a third-party host, or one small reading step;
 * L = corroboration only". H is exactly what CONFIRMED means in the catalog
 * (an official or primary source states it); neither M nor L matches either
 * value, and older sources carry no grade, so those listings stay unsettled
 * (null) rather than being given a verification no source states.
 */
const GRADED_H = / - H(?: \([^)]*\))?$/;

/** CONFIRMED when a source graded plainly H states the listing; null otherwise (never UNVERIFIED by inference). */
export function listingVerification(sources: readonly SourceRecord[]): Verification | null {
  // "H for the selection, not for a customer relation" (GAO-17-799) is not graded H for a listing, hence the anchored form.
  return sources.some((s) => GRADED_H.test(s.title)) ? 'CONFIRMED' : null;
}
