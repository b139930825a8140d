import { parseStatedOn, STATED_ON_FORMATS } from '@qsmo/catalog/stated-on';
import { customerListingCaveat } from '@qsmo/catalog/customer-caveats';
import type { Shelf, SourceRecord, Verification } from '@qsmo/catalog/types';
import { sortKeyOf } from '@qsmo/service-kit/loaders';
import { SLUG, AGENCY_CODE, FIBF_CODE } from '@qsmo/service-kit/validation';
import { dayFromToday, isIsoDay, ISO_DAY_FORMAT } from '@qsmo/service-kit/dates';
import { excerpt } from '@qsmo/service-kit/errors';
import type { QsmoDomain } from '@qsmo/service-kit/subgraphs';
import { customerLinkId } from './catalog';
import { auditSides, offeringFields, type CatalogUserError, type ChangeDoc, type OfferingPart, type OfferingSnapshot } from './changes';
import { capabilityPath, type CustomerLinkDoc, type OfferingDoc } from './data';

/**
 * The pure part of editing a catalog: checking what an editor sent and
 * building the stored documents from it, the same for the mutations and for
 * `catalog:import`. Checks that need the database (does the provider
 * exist?) are the callers'.
 */

/** The offering fields an editor sets; everything else is derived. */
export interface OfferingFields {
  name: string;
  category: string | null;
  shelf: Shelf;
  providerId: string;
  partnerIds: string[];
  capabilityCodes: string[];
  website: string | null;
  launchedOn: string | null;
  notes: string | null;
}

/** A listing's fields as an editor sets them. */
export interface ListingFields {
  agencyCode: string;
  asOf: string | null;
  customerAsStated: string | null;
}

/** A source as an editor gives it: its URL is its key, so the same page given twice is kept once. */
export interface SourceInput {
  title: string;
  url: string;
}

/** Collects refusals with the input path of each, so one answer lists every problem. */
export class Problems {
  readonly list: CatalogUserError[] = [];
  add(field: string[], code: CatalogUserError['code'], message: string): void {
    this.list.push({ field, message, code });
  }
  get any(): boolean {
    return this.list.length > 0;
  }
}

/**
 * What one change may carry and what a record keeps. Every catalog text is
 * served to anonymous readers and copied into the audit trail, so each has a
 * bound well above the longest value of the reference catalog (name 92,
 * notes 380, source title 190, URL 139 characters; 6 sources on an offering,
 * 2 on a listing): an editor's mistake (or a stolen editor token) cannot
 * make a record, a detail query or an audit page grow without end.
 */
export const CATALOG_LIMITS = {
  /** Characters of an offering's name. */
  name: 200,
  /** Characters of a category. */
  category: 200,
  /** Characters of curator notes. */
  notes: 2_000,
  /** Characters of a URL (a source's address, a website). */
  url: 1_000,
  /** Characters of a source's title. */
  sourceTitle: 300,
  /** Characters of a listing's customer as stated. */
  customerAsStated: 500,
  /** Characters of an id (offering, provider) or a FIBF code. */
  id: 100,
  /** Sources one change may cite. */
  sourcesPerChange: 10,
  /** Sources an offering keeps: the most recent ones, by URL. */
  offeringSources: 20,
  /** Sources a customer listing keeps: the most recent ones, by URL. */
  listingSources: 5,
  /** Partner providers of an offering. */
  partnerIds: 20,
  /** FIBF codes an offering serves. */
  capabilityCodes: 100,
} as const;

/** The earliest day a launch or a stated date may name: older is a typing mistake, not a source. */
export const EARLIEST_DAY = '1900-01-01';
/** How far ahead of today a launch or a stated date may lie: a source may announce a start, not one years away. */
export const DAYS_AHEAD = 366;

/** An http(s) address with a host, and nothing a browser would not keep in one (spaces, control characters). */
function isHttpUrl(text: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what a URL must not hold
  if (/[\s\u0000-\u001f\u007f]/.test(text) || !URL.canParse(text)) return false;
  const url = new URL(text);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
}

/** Why a day is not one a record may hold, or null when it is (a real calendar day within the plausible range). */
export function dayProblem(value: string, name: string): string | null {
  if (!isIsoDay(value)) return `${name} "${excerpt(value, 20)}" is not a date: write it ${ISO_DAY_FORMAT}, e.g. "2021-07-29".`;
  return rangeProblem(value, value, name);
}

function rangeProblem(from: string, to: string, name: string): string | null {
  const latest = dayFromToday(DAYS_AHEAD);
  if (from < EARLIEST_DAY || to > latest) return `${name} must lie between ${EARLIEST_DAY} and ${latest} (a year from today).`;
  return null;
}

/**
 * Every write carries 1 to CATALOG_LIMITS.sourcesPerChange sources, each with a
 * title and an http(s) URL within their lengths. A source given twice in one
 * change is kept once.
 */
export function checkSources(sources: readonly SourceInput[], problems: Problems, at: string[] = ['input', 'provenance', 'sources']): SourceRecord[] {
  if (sources.length === 0) {
    problems.add(
      at,
      'SOURCE_REQUIRED',
      'Every change needs at least one source: add { title, url } of the page or document that states it to provenance.sources.',
    );
    return [];
  }
  if (sources.length > CATALOG_LIMITS.sourcesPerChange) {
    problems.add(
      at,
      'INVALID',
      `A change may cite at most ${CATALOG_LIMITS.sourcesPerChange} sources, and this one cites ${sources.length}: give the ones that state this change, and make further changes for the others.`,
    );
    return [];
  }
  sources.forEach((s, i) => {
    const title = s.title.trim();
    if (title === '') problems.add([...at, String(i), 'title'], 'SOURCE_REQUIRED', `Source ${i + 1} has no title: give the page's or document's title.`);
    else if (title.length > CATALOG_LIMITS.sourceTitle)
      problems.add(
        [...at, String(i), 'title'],
        'INVALID',
        `Source ${i + 1}'s title is ${title.length} characters, more than ${CATALOG_LIMITS.sourceTitle}: give the page's heading, not its text.`,
      );
    const url = s.url.trim();
    if (url.length > CATALOG_LIMITS.url)
      problems.add(
        [...at, String(i), 'url'],
        'INVALID',
        `Source ${i + 1}'s url is ${url.length} characters, more than ${CATALOG_LIMITS.url}: give the page's address without tracking parameters.`,
      );
    else if (!isHttpUrl(url))
      problems.add(
        [...at, String(i), 'url'],
        'SOURCE_REQUIRED',
        `Source ${i + 1} has no usable address ("${excerpt(url)}"): give an http(s) URL where the statement can be read, e.g. "https://www.gsa.gov/...".`,
      );
  });
  return mergeSources(
    [],
    sources.map((s) => ({ key: s.url.trim(), title: s.title.trim(), url: s.url.trim() })),
    CATALOG_LIMITS.sourcesPerChange,
  );
}

/**
 * The sources a record keeps: the ones it had, then the new ones it did not
 * have (by key, which for an editor's source is its URL; a source given again
 * keeps its place and first title), of which only the `keep` most recent
 * stay. Without the bound, every edit would add to what each read and each
 * audit record carries, for ever.
 */
export function mergeSources(existing: readonly SourceRecord[], added: readonly SourceRecord[], keep: number): SourceRecord[] {
  const keys = new Set(existing.map((s) => s.key));
  const merged = [...existing, ...added.filter((s) => !keys.has(s.key) && keys.add(s.key))];
  return merged.length > keep ? merged.slice(-keep) : merged;
}

/** Fields as an input gives them: each may be left out, or null. */
export type Given<T> = { [K in keyof T]?: T[K] | null };

/**
 * Checks the shape of an offering's fields (ids, dates, lengths, counts);
 * reference checks are the caller's. A field that is null or absent is not
 * checked here: whether null may clear it is the caller's rule.
 */
export function checkOfferingFields(fields: Given<OfferingFields>, problems: Problems, domainPrefix: { fibfPrefix: string }): void {
  const at = (f: string) => ['input', f];
  if (typeof fields.name === 'string' && (fields.name.trim() === '' || fields.name.length > CATALOG_LIMITS.name))
    problems.add(at('name'), 'INVALID', `name must be 1 to ${CATALOG_LIMITS.name} characters, and is ${fields.name.length}.`);
  for (const f of ['category', 'notes'] as const) {
    const v = fields[f];
    if (typeof v === 'string' && v.length > CATALOG_LIMITS[f])
      problems.add(at(f), 'INVALID', `${f} is ${v.length} characters, more than ${CATALOG_LIMITS[f]}: shorten it, or null to clear it.`);
  }
  if (typeof fields.website === 'string') {
    if (fields.website.length > CATALOG_LIMITS.url)
      problems.add(at('website'), 'INVALID', `website is ${fields.website.length} characters, more than ${CATALOG_LIMITS.url}: give the site's home page.`);
    else if (!isHttpUrl(fields.website)) problems.add(at('website'), 'INVALID', 'website must be an http(s) URL, e.g. "https://grantsolutions.gov".');
  }
  if (typeof fields.launchedOn === 'string') {
    const problem = dayProblem(fields.launchedOn, 'launchedOn');
    if (problem) problems.add(at('launchedOn'), 'INVALID', problem);
  }
  if (typeof fields.providerId === 'string') checkProviderId(fields.providerId, at('providerId'), 'providerId', problems);
  if (fields.partnerIds && fields.partnerIds.length > CATALOG_LIMITS.partnerIds) {
    problems.add(
      at('partnerIds'),
      'INVALID',
      `An offering may name at most ${CATALOG_LIMITS.partnerIds} partners, and this change names ${fields.partnerIds.length}.`,
    );
  } else {
    (fields.partnerIds ?? []).forEach((p, i) => checkProviderId(p, [...at('partnerIds'), String(i)], `partnerIds[${i}]`, problems));
  }
  if (fields.capabilityCodes && fields.capabilityCodes.length > CATALOG_LIMITS.capabilityCodes) {
    problems.add(
      at('capabilityCodes'),
      'INVALID',
      `An offering may serve at most ${CATALOG_LIMITS.capabilityCodes} FIBF entries, and this change names ${fields.capabilityCodes.length}: name the activities, not every capability under them.`,
    );
    return;
  }
  (fields.capabilityCodes ?? []).forEach((c, i) => {
    if (c.length > CATALOG_LIMITS.id || !FIBF_CODE.test(c) || !c.startsWith(`${domainPrefix.fibfPrefix}.`)) {
      problems.add(
        [...at('capabilityCodes'), String(i)],
        'INVALID',
        `"${excerpt(c)}" is not a code of this QSMO's FIBF standard: codes start "${domainPrefix.fibfPrefix}." (see capabilities).`,
      );
    }
  });
}

function checkProviderId(id: string, path: string[], name: string, problems: Problems): void {
  if (id.length > CATALOG_LIMITS.id || !SLUG.test(id))
    problems.add(
      path,
      'INVALID',
      `${name} "${excerpt(id)}" is not a provider id: ids are lowercase slugs like "doi-ibc", at most ${CATALOG_LIMITS.id} characters.`,
    );
}

/** An offering id: a slug with the marketplace's prefix. */
export function checkOfferingId(id: string, prefix: string, problems: Problems, field = 'id'): void {
  if (id.length > CATALOG_LIMITS.id || !SLUG.test(id) || !id.startsWith(prefix)) {
    problems.add(
      ['input', field],
      'INVALID',
      `${field} "${excerpt(id)}" is not an offering id of this marketplace: use a lowercase slug of at most ${CATALOG_LIMITS.id} characters starting "${prefix}", e.g. "${prefix}example".`,
    );
  }
}

/** The stored offering for its fields, with the derived ones (sort key, FIBF paths, customer codes) computed. */
export function offeringDoc(
  id: string,
  domain: QsmoDomain,
  fields: OfferingFields,
  rest: { verification: Verification; sources: SourceRecord[]; listings: readonly CustomerLinkDoc[]; version: number },
): OfferingDoc {
  const codes = [...new Set(fields.capabilityCodes)];
  return {
    _id: id,
    domain,
    name: fields.name.trim(),
    category: fields.category,
    shelf: fields.shelf,
    providerId: fields.providerId,
    partnerIds: [...new Set(fields.partnerIds)],
    capabilityCodes: codes,
    website: fields.website,
    launchedOn: fields.launchedOn,
    verification: rest.verification,
    notes: fields.notes,
    sources: rest.sources,
    sortKey: sortKeyOf(fields.name.trim()),
    capabilityPaths: [...new Set(codes.flatMap(capabilityPath))].sort(),
    customerCodes: [...new Set(rest.listings.map((l) => l.agencyCode))].sort(),
    version: rest.version,
  };
}

/** The editable fields of a stored offering. */
export function fieldsOf(doc: OfferingDoc): OfferingFields {
  return {
    name: doc.name,
    category: doc.category,
    shelf: doc.shelf,
    providerId: doc.providerId,
    partnerIds: doc.partnerIds,
    capabilityCodes: doc.capabilityCodes,
    website: doc.website,
    launchedOn: doc.launchedOn,
    notes: doc.notes,
  };
}

/** Checks a listing's agency code and stated date; returns the typed date (null for an undated listing). */
export function checkListing(
  fields: ListingFields,
  problems: Problems,
  at: (f: string) => string[] = (f) => ['input', f],
): CustomerLinkDoc['statedOn'] | undefined {
  if (!AGENCY_CODE.test(fields.agencyCode))
    problems.add(
      at('agencyCode'),
      'INVALID',
      `agencyCode "${excerpt(fields.agencyCode, 20)}" is not a CGAC code: use the 3-digit code as text, zero-padded, e.g. "075".`,
    );
  if (fields.customerAsStated && fields.customerAsStated.length > CATALOG_LIMITS.customerAsStated)
    problems.add(
      at('customerAsStated'),
      'INVALID',
      `customerAsStated is ${fields.customerAsStated.length} characters, more than ${CATALOG_LIMITS.customerAsStated}: give the customer's name as the source writes it.`,
    );
  if (fields.asOf === null) return null;
  // The longest accepted form is YYYY-MM-DD: a longer value is refused without being read (or echoed) whole.
  const read = fields.asOf.length > 10 ? { problem: `"${excerpt(fields.asOf, 20)}" is no date` } : parseStatedOn(fields.asOf);
  if ('problem' in read) {
    problems.add(at('asOf'), 'INVALID', `asOf: ${read.problem} (write it as ${STATED_ON_FORMATS}, with a real month and day).`);
    return undefined;
  }
  const outOfRange = rangeProblem(read.from, read.from, 'asOf');
  if (outOfRange) {
    problems.add(at('asOf'), 'INVALID', `${outOfRange.replace(/\.$/, '')}: the first day "${read.value}" covers is ${read.from}.`);
    return undefined;
  }
  return read;
}

/** The stored listing; its caveat is the catalog notes' one for the pair, as for the reference listings. */
export function listingDoc(
  offeringId: string,
  fields: ListingFields,
  statedOn: CustomerLinkDoc['statedOn'],
  sources: SourceRecord[],
  verification?: Verification,
): CustomerLinkDoc {
  return {
    _id: customerLinkId(offeringId, fields.agencyCode),
    offeringId,
    agencyCode: fields.agencyCode,
    asOf: fields.asOf,
    statedOn,
    customerAsStated: fields.customerAsStated,
    caveat: customerListingCaveat(offeringId, fields.agencyCode),
    sources,
    ...(verification ? { verification } : {}),
  };
}

/** The snapshot with the offering's denormalized customer codes brought in line with its listings. */
export function withListings(snapshot: OfferingSnapshot, listings: CustomerLinkDoc[]): OfferingSnapshot {
  const sorted = [...listings].sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
  return { offering: { ...snapshot.offering, customerCodes: [...new Set(sorted.map((l) => l.agencyCode))].sort() }, listings: sorted };
}

/** A source as the graph's Source type shows it: its key is internal (an editor's source is keyed by its URL). */
const publicSource = ({ title, url }: SourceRecord) => ({ title, url });

/** Part of a state as the audit trail shows it: public field names, derived fields left out. */
export function publicSnapshot(snapshot: OfferingPart | null, withListings = true): Record<string, unknown> | null {
  if (!snapshot) return null;
  const { _id, sortKey: _s, capabilityPaths: _c, customerCodes: _cc, sources, ...fields } = snapshot.offering;
  return {
    id: _id,
    ...fields,
    ...(sources ? { sources: sources.map(publicSource) } : {}),
    ...(withListings
      ? { customerListings: snapshot.listings.map(({ _id: _l, offeringId: _o, caveat: _cv, sources: ls, ...l }) => ({ ...l, sources: ls.map(publicSource) })) }
      : {}),
  };
}

/**
 * An audit record's before and after as the audit trail shows them: the
 * offering's id and version, and only what the change made differ (the
 * fields named in `changedFields`, and the listings it added, changed or
 * removed when `customerListings` is one of them; of `sources`, the ones it
 * dropped and the ones it added). A creation shows the whole new offering, a
 * retirement the whole one retired.
 */
export function publicChange(doc: Pick<ChangeDoc, 'before' | 'after' | 'changedFields'>): {
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
} {
  const sides = auditSides(doc.before, doc.after, doc.changedFields);
  const listings = doc.changedFields.includes('customerListings');
  if (!sides.before || !sides.after) return { before: publicSnapshot(sides.before), after: publicSnapshot(sides.after) };
  const before = { ...sides.before, offering: { ...sides.before.offering } };
  const after = { ...sides.after, offering: offeringFields(sides.after.offering, doc.changedFields) };
  // Of the kept source lists (up to 20 each), only what the change dropped and what it added.
  if (before.offering.sources && after.offering.sources) {
    const [was, is] = [before.offering.sources, after.offering.sources];
    before.offering.sources = was.filter((s) => !is.some((t) => t.key === s.key));
    after.offering.sources = is.filter((s) => !was.some((t) => t.key === s.key));
  }
  return { before: publicSnapshot(before, listings), after: publicSnapshot(after, listings) };
}
