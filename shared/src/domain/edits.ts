import { parseStatedOn, STATED_ON_FORMATS } from '../catalog/stated-on';
import { customerListingCaveat } from '../catalog/customer-caveats';
import type { Shelf, SourceRecord, Verification } from '../catalog/types';
import { sortKeyOf } from '../loaders';
import { ISO_DAY, SLUG, AGENCY_CODE, FIBF_CODE } from '../validation';
import type { QsmoDomain } from '../subgraphs';
import { customerLinkId } from './catalog';
import type { CatalogUserError, OfferingSnapshot } from './changes';
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
export interface SourceInput { title: string; url: string }

/** Collects refusals with the input path of each, so one answer lists every problem. */
export class Problems {
  readonly list: CatalogUserError[] = [];
  add(field: string[], code: CatalogUserError['code'], message: string): void {
    this.list.push({ field, message, code });
  }
  get any(): boolean { return this.list.length > 0; }
}

const MAX_TEXT = 2_000;
const HTTP_URL = /^https?:\/\/[^\s/]+\S*$/;

/** Every write carries at least one source with a title and an http(s) URL. */
export function checkSources(sources: readonly SourceInput[], problems: Problems, at: string[] = ['input', 'provenance', 'sources']): SourceRecord[] {
  if (sources.length === 0) {
    problems.add(at, 'SOURCE_REQUIRED', 'Every change needs at least one source: add { title, url } of the page or document that states it to provenance.sources.');
    return [];
  }
  sources.forEach((s, i) => {
    if (s.title.trim() === '') problems.add([...at, String(i), 'title'], 'SOURCE_REQUIRED', `Source ${i + 1} has no title: give the page's or document's title.`);
    if (!HTTP_URL.test(s.url.trim()) || s.url.length > MAX_TEXT) problems.add([...at, String(i), 'url'], 'SOURCE_REQUIRED', `Source ${i + 1} has no usable address: give an http(s) URL where the statement can be read.`);
  });
  return sources.map((s) => ({ key: s.url.trim(), title: s.title.trim(), url: s.url.trim() }));
}

/** The record keeps every source that ever stated it: the old ones, then the new ones it did not have (by key). */
export function mergeSources(existing: readonly SourceRecord[], added: readonly SourceRecord[]): SourceRecord[] {
  const keys = new Set(existing.map((s) => s.key));
  return [...existing, ...added.filter((s) => !keys.has(s.key) && keys.add(s.key))];
}

/** Checks the shape of an offering's fields (ids, dates, lengths); reference checks are the caller's. */
export function checkOfferingFields(fields: Partial<OfferingFields>, problems: Problems, domainPrefix: { fibfPrefix: string }): void {
  const at = (f: string) => ['input', f];
  if (fields.name !== undefined && (fields.name.trim() === '' || fields.name.length > 200)) problems.add(at('name'), 'INVALID', 'name must be 1 to 200 characters.');
  for (const f of ['category', 'notes', 'website'] as const) {
    const v = fields[f];
    if (typeof v === 'string' && v.length > MAX_TEXT) problems.add(at(f), 'INVALID', `${f} is longer than ${MAX_TEXT} characters: shorten it.`);
  }
  if (typeof fields.website === 'string' && !HTTP_URL.test(fields.website)) problems.add(at('website'), 'INVALID', 'website must be an http(s) URL, e.g. "https://grantsolutions.gov".');
  if (typeof fields.launchedOn === 'string' && !ISO_DAY.test(fields.launchedOn)) problems.add(at('launchedOn'), 'INVALID', 'launchedOn must be a day written YYYY-MM-DD.');
  if (fields.providerId !== undefined && !SLUG.test(fields.providerId)) problems.add(at('providerId'), 'INVALID', `providerId "${fields.providerId.slice(0, 60)}" is not a provider id: ids are lowercase slugs like "doi-ibc".`);
  (fields.partnerIds ?? []).forEach((p, i) => {
    if (!SLUG.test(p)) problems.add([...at('partnerIds'), String(i)], 'INVALID', `partnerIds[${i}] "${p.slice(0, 60)}" is not a provider id: ids are lowercase slugs like "doi-ibc".`);
  });
  (fields.capabilityCodes ?? []).forEach((c, i) => {
    if (!FIBF_CODE.test(c) || !c.startsWith(`${domainPrefix.fibfPrefix}.`)) {
      problems.add([...at('capabilityCodes'), String(i)], 'INVALID', `"${c.slice(0, 60)}" is not a code of this QSMO's FIBF standard: codes start "${domainPrefix.fibfPrefix}." (see capabilities).`);
    }
  });
}

/** An offering id: a slug with the marketplace's prefix. */
export function checkOfferingId(id: string, prefix: string, problems: Problems): void {
  if (!SLUG.test(id) || !id.startsWith(prefix) || id.length > 100) {
    problems.add(['input', 'id'], 'INVALID', `id "${id.slice(0, 60)}" is not an offering id of this marketplace: use a lowercase slug starting "${prefix}", e.g. "${prefix}example".`);
  }
}

/** The stored offering for its fields, with the derived ones (sort key, FIBF paths, customer codes) computed. */
export function offeringDoc(id: string, domain: QsmoDomain, fields: OfferingFields, rest: { verification: Verification; sources: SourceRecord[]; listings: readonly CustomerLinkDoc[]; version: number }): OfferingDoc {
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
    name: doc.name, category: doc.category, shelf: doc.shelf, providerId: doc.providerId, partnerIds: doc.partnerIds,
    capabilityCodes: doc.capabilityCodes, website: doc.website, launchedOn: doc.launchedOn, notes: doc.notes,
  };
}

/** Checks a listing's agency code and stated date; returns the typed date (null for an undated listing). */
export function checkListing(fields: ListingFields, problems: Problems, at: (f: string) => string[] = (f) => ['input', f]): CustomerLinkDoc['statedOn'] | undefined {
  if (!AGENCY_CODE.test(fields.agencyCode)) problems.add(at('agencyCode'), 'INVALID', `agencyCode "${fields.agencyCode.slice(0, 20)}" is not a CGAC code: use the 3-digit code as text, zero-padded, e.g. "075".`);
  if (fields.customerAsStated && fields.customerAsStated.length > MAX_TEXT) problems.add(at('customerAsStated'), 'INVALID', `customerAsStated is longer than ${MAX_TEXT} characters: shorten it.`);
  if (fields.asOf === null) return null;
  const read = parseStatedOn(fields.asOf);
  if ('problem' in read) {
    problems.add(at('asOf'), 'INVALID', `asOf: ${read.problem} (write it as ${STATED_ON_FORMATS}).`);
    return undefined;
  }
  return read;
}

/** The stored listing; its caveat is the catalog notes' one for the pair, as for the reference listings. */
export function listingDoc(offeringId: string, fields: ListingFields, statedOn: CustomerLinkDoc['statedOn'], sources: SourceRecord[], verification?: Verification): CustomerLinkDoc {
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

/** A snapshot as the audit trail shows it: public field names, derived fields left out. */
export function publicSnapshot(snapshot: OfferingSnapshot | null): Record<string, unknown> | null {
  if (!snapshot) return null;
  const { _id, sortKey: _s, capabilityPaths: _c, customerCodes: _cc, ...fields } = snapshot.offering;
  return {
    id: _id,
    ...fields,
    customerListings: snapshot.listings.map(({ _id: _l, offeringId: _o, caveat: _cv, ...l }) => l),
  };
}
