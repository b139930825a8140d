/**
 * FIBF identifiers and text as GSA/USSM publishes them. The standards JSON
 * carries typing quirks (NOTES.md §7); these helpers undo the ones whose
 * intent is unambiguous so codes and names can be compared.
 */

const ZERO_WIDTH = /[\u200b-\u200d\u2060\ufeff]/g;
const DASHES = /[\u2010-\u2015\u2212]/g;

/**
 * Canonical FIBF code, undoing the publication quirks listed in NOTES.md §7:
 * NBSP and other (unicode) spaces inside ids, dash look-alikes, `HCM-A5-2`
 * written for `HCM.A5-2`, trailing dots.
 */
export function normalizeFibfId(raw: string): string {
  return raw
    .replace(ZERO_WIDTH, '')
    .replace(/\s+/g, '')
    .replace(DASHES, '-')
    .replace(/^([A-Za-z]{3})-/, '$1.')
    .replace(/\.+$/, '')
    .toUpperCase();
}

/** Published text with line breaks, tabs and zero-width characters reduced to single spaces. */
export function collapseWhitespace(text: string): string {
  return text.replace(ZERO_WIDTH, '').replace(/\s+/g, ' ').trim();
}

/** Comparison key for names that differ only in case, punctuation or spacing. */
export function nameKey(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

// "CYB.060.030 – Manage ...", "HCM.A5-1.010 Compensation ...", "CYB.090.040 - Penetration Testing".
const LEADING_FIBF_ID = /^([A-Za-z]{3}[.\-\u2010-\u2015][A-Z0-9]+(?:[-\u2010-\u2015]\d+)?(?:\.\d{3})*)\.?\s*(?:[-\u2010-\u2015:]\s+)?(.*)$/;

/** Splits a published "CYB.090.040 - Penetration Testing" label into id and name, since entries cite parents by label. */
export function splitLabel(label: string): { id: string | null; name: string } {
  const text = collapseWhitespace(label);
  const m = LEADING_FIBF_ID.exec(text);
  return m ? { id: normalizeFibfId(m[1]!), name: m[2]!.trim() } : { id: null, name: text };
}

/** The code one level up (GRM.030.010 -> GRM.030), or null for an area code. */
export function parentOf(code: string): string | null {
  const i = code.lastIndexOf('.');
  return i > 0 ? code.slice(0, i) : null;
}
