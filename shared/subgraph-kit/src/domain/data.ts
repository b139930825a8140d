import type DataLoader from 'dataloader';
import type { Collection, Db, Filter } from 'mongodb';
import type { CapabilityRecord, OfferingCustomerRecord, OfferingRecord, SourceRecord, Verification } from '@qsmo/catalog/types';
import { byId, byIdLoader, bySortKeyThenId, groupLoader } from '@qsmo/service-kit/loaders';
import type { CollectionIndexes } from '@qsmo/service-kit/seeding';
import Loader from 'dataloader';

/** Stored shapes of a domain's own collections. */
export type OfferingDoc = Omit<OfferingRecord, 'id'> & {
  _id: string;
  /** The name in lower case: the order of lists and pages (see sortKeyOf). */
  sortKey: string;
  /** Codes listed plus all their ancestors: lets a prefix filter be an exact, indexed match. */
  capabilityPaths: string[];
  /** Agency codes of the listed customers, denormalized for the customer filter. */
  customerCodes: string[];
  /** Optimistic concurrency: 1 when loaded or created, one more with each recorded change (absent on older data: 1). */
  version?: number;
};
export type CapabilityDoc = Omit<CapabilityRecord, 'code'> & { _id: string };
export type CustomerLinkDoc = OfferingCustomerRecord & {
  _id: string;
  /** The verification an editor gave with the listing's last change; absent for the reference listings, graded from their sources. */
  verification?: Verification;
};

export const DOMAIN_COLLECTIONS = { offerings: 'offerings', capabilities: 'capabilities', customerLinks: 'offering_customers', changes: 'changes' } as const;

export function domainCollections(db: Db) {
  return {
    offerings: db.collection<OfferingDoc>(DOMAIN_COLLECTIONS.offerings),
    capabilities: db.collection<CapabilityDoc>(DOMAIN_COLLECTIONS.capabilities),
    customerLinks: db.collection<CustomerLinkDoc>(DOMAIN_COLLECTIONS.customerLinks),
    /** The audit trail: one insert-only record per change (see ./changes). */
    changes: db.collection<ChangeDoc>(DOMAIN_COLLECTIONS.changes),
  };
}
export type DomainCollections = ReturnType<typeof domainCollections>;

/**
 * The stored first day a listing's stated date covers (YYYY-MM-DD text, so
 * comparing strings compares days); absent for an undated listing, which a
 * `$gte` therefore never matches.
 */
export const STATED_FROM = 'statedOn.from';

/** A window of stated dates (YYYY-MM-DD): listings whose stated date begins on or after `since` and on or before `until`; either end may be open. */
export interface StatedWindow {
  since?: string;
  until?: string;
}

/** Listings stated within the window; every listing when there is none. Undated listings never match a window. */
export const statedWithin = (window: StatedWindow | undefined): Filter<CustomerLinkDoc> => {
  if (!window || (window.since === undefined && window.until === undefined)) return {};
  return {
    [STATED_FROM]: { ...(window.since === undefined ? {} : { $gte: window.since }), ...(window.until === undefined ? {} : { $lte: window.until }) },
  } as Filter<CustomerLinkDoc>;
};

/** Listings stated on or after `since`; every listing when it is not given. */
export const statedSince = (since: string | undefined): Filter<CustomerLinkDoc> => statedWithin(since === undefined ? undefined : { since });

/** Newest stated date first, undated listings last, then by agency code: a reader sees at once which listings are old. */
export function newestStatedFirst(a: CustomerLinkDoc, b: CustomerLinkDoc): number {
  const fa = a.statedOn?.from ?? '';
  const fb = b.statedOn?.from ?? '';
  if (fa !== fb) return fa < fb ? 1 : -1;
  return a.agencyCode < b.agencyCode ? -1 : a.agencyCode > b.agencyCode ? 1 : 0;
}

/** Every query path of the domain resolvers has an index. */
export const DOMAIN_INDEXES: CollectionIndexes[] = [
  {
    collection: DOMAIN_COLLECTIONS.offerings,
    indexes: [
      { key: { sortKey: 1, _id: 1 }, name: 'sortKey_id' },
      { key: { providerId: 1 }, name: 'providerId' },
      { key: { partnerIds: 1 }, name: 'partnerIds' },
      { key: { customerCodes: 1 }, name: 'customerCodes' },
      { key: { capabilityPaths: 1 }, name: 'capabilityPaths' },
      { key: { shelf: 1, sortKey: 1 }, name: 'shelf_sortKey' },
      { key: { verification: 1, sortKey: 1 }, name: 'verification_sortKey' },
    ],
  },
  {
    collection: DOMAIN_COLLECTIONS.capabilities,
    indexes: [
      { key: { parentCode: 1, _id: 1 }, name: 'parentCode_id' },
      { key: { level: 1, _id: 1 }, name: 'level_id' },
    ],
  },
  {
    collection: DOMAIN_COLLECTIONS.customerLinks,
    indexes: [
      { key: { offeringId: 1 }, name: 'offeringId' },
      { key: { agencyCode: 1 }, name: 'agencyCode' },
      // `since` filters compare the first day a stated date covers, alone (stats) or within an offering or agency.
      { key: { [STATED_FROM]: 1 }, name: 'statedFrom' },
      { key: { offeringId: 1, [STATED_FROM]: 1 }, name: 'offeringId_statedFrom' },
      { key: { agencyCode: 1, [STATED_FROM]: 1 }, name: 'agencyCode_statedFrom' },
    ],
  },
  {
    collection: DOMAIN_COLLECTIONS.changes,
    indexes: [
      // An offering's history and its latest version; pending changes by offering; the feed in commit order; retries by key.
      { key: { offeringId: 1, version: 1 }, name: 'offeringId_version' },
      { key: { state: 1, offeringId: 1 }, name: 'state_offeringId' },
      { key: { at: 1, _id: 1 }, name: 'at_id' },
      { key: { idempotencyKey: 1 }, name: 'idempotencyKey' },
    ],
  },
];

export interface DomainLoaders {
  offering: DataLoader<string, OfferingDoc | null>;
  capability: DataLoader<string, CapabilityDoc | null>;
  offeringsByCustomer: DataLoader<string, OfferingDoc[]>;
  offeringsByProvider: DataLoader<string, OfferingDoc[]>;
  offeringsByCapability: DataLoader<string, OfferingDoc[]>;
  capabilityChildren: DataLoader<string, CapabilityDoc[]>;
  customerLinksByOffering: DataLoader<string, CustomerLinkDoc[]>;
  /** A listing by its id (see customerLinkId in ./catalog). */
  customerLink: DataLoader<string, CustomerLinkDoc | null>;
  offeringCountByCustomer: DataLoader<string, number>;
  /** The same three per window of stated dates (`since`/`until`), created on first use and kept for the request. */
  customerLinksByOfferingSince(window: StatedWindow): DataLoader<string, CustomerLinkDoc[]>;
  offeringsByCustomerSince(window: StatedWindow): DataLoader<string, OfferingDoc[]>;
  offeringCountByCustomerSince(window: StatedWindow): DataLoader<string, number>;
}

/** One loader per distinct window, so each `since`/`until` pair batches on its own and stays one query per batch. */
function perValue<V>(create: (window: StatedWindow) => V): (window: StatedWindow) => V {
  const made = new Map<string, V>();
  return (window) => {
    const key = `${window.since ?? ''}..${window.until ?? ''}`;
    let loader = made.get(key);
    if (!loader) made.set(key, (loader = create(window)));
    return loader;
  };
}

/** An offering's listings stated since a day: one find per batch over the offeringId/statedOn.from index. */
function customerLinksSinceLoader(links: Collection<CustomerLinkDoc>, since: StatedWindow): DataLoader<string, CustomerLinkDoc[]> {
  return new Loader<string, CustomerLinkDoc[]>(async (offeringIds) => {
    const keys = [...offeringIds];
    const docs = await links.find({ offeringId: { $in: keys }, ...statedWithin(since) } as Filter<CustomerLinkDoc>).toArray();
    return keys.map((id) => docs.filter((d) => d.offeringId === id).sort(newestStatedFirst));
  });
}

/**
 * An agency's offerings whose listing of it is stated since a day. The dates
 * live on the listings, and FerretDB v1 has no $lookup, so: one find of the
 * listings per batch, then the offerings through the batched offering loader.
 */
function offeringsByCustomerSinceLoader(
  links: Collection<CustomerLinkDoc>,
  offering: DataLoader<string, OfferingDoc | null>,
  since: StatedWindow,
): DataLoader<string, OfferingDoc[]> {
  return new Loader<string, OfferingDoc[]>(async (codes) => {
    const keys = [...codes];
    const found = await links
      .find({ agencyCode: { $in: keys }, ...statedWithin(since) } as Filter<CustomerLinkDoc>, { projection: { offeringId: 1, agencyCode: 1 } })
      .toArray();
    const offerings = await offering.loadMany([...new Set(found.map((l) => l.offeringId))]);
    const byId = new Map<string, OfferingDoc>();
    for (const o of offerings) {
      if (o instanceof Error) throw o;
      if (o) byId.set(o._id, o);
    }
    return keys.map((code) =>
      found
        .filter((l) => l.agencyCode === code)
        .map((l) => byId.get(l.offeringId))
        .filter((o): o is OfferingDoc => o !== undefined)
        .sort(bySortKeyThenId),
    );
  });
}

/** Listings are one per (offering, agency), so counting an agency's listings since a day counts its offerings. */
function offeringCountByCustomerSinceLoader(links: Collection<CustomerLinkDoc>, since: StatedWindow): DataLoader<string, number> {
  return new Loader<string, number>(async (codes) => {
    const keys = [...codes];
    const rows = await links
      .aggregate<{ _id: string; count: number }>([
        { $match: { agencyCode: { $in: keys }, ...statedWithin(since) } },
        { $group: { _id: '$agencyCode', count: { $sum: 1 } } },
      ])
      .toArray();
    const counts = new Map(rows.map((r) => [r._id, r.count]));
    return keys.map((k) => counts.get(k) ?? 0);
  });
}

/** Offerings per customer agency, counted by the database in one aggregation per batch. */
function offeringCountByCustomerLoader(offerings: Collection<OfferingDoc>): DataLoader<string, number> {
  return new Loader<string, number>(async (codes) => {
    const keys = [...codes];
    const rows = await offerings
      .aggregate<{ _id: string; count: number }>([
        { $match: { customerCodes: { $in: keys } } },
        { $unwind: '$customerCodes' },
        { $match: { customerCodes: { $in: keys } } },
        { $group: { _id: '$customerCodes', count: { $sum: 1 } } },
      ])
      .toArray();
    const counts = new Map(rows.map((r) => [r._id, r.count]));
    return keys.map((k) => counts.get(k) ?? 0);
  });
}

/** A provider's offerings are those it provides or partners on: one query for both roles. */
function offeringsByProviderLoader(offerings: Collection<OfferingDoc>): DataLoader<string, OfferingDoc[]> {
  return new Loader<string, OfferingDoc[]>(async (ids) => {
    const keys = [...ids];
    const docs = await offerings.find({ $or: [{ providerId: { $in: keys } }, { partnerIds: { $in: keys } }] } as Filter<OfferingDoc>).toArray();
    return keys.map((id) => docs.filter((d) => d.providerId === id || d.partnerIds.includes(id)).sort(bySortKeyThenId));
  });
}

export function createDomainLoaders(c: DomainCollections): DomainLoaders {
  const offering = byIdLoader(c.offerings);
  return {
    offering,
    capability: byIdLoader(c.capabilities),
    offeringsByCustomer: groupLoader(c.offerings, 'customerCodes', bySortKeyThenId),
    offeringsByProvider: offeringsByProviderLoader(c.offerings),
    offeringsByCapability: groupLoader(c.offerings, 'capabilityPaths', bySortKeyThenId),
    capabilityChildren: groupLoader(c.capabilities, 'parentCode', byId),
    customerLinksByOffering: groupLoader(c.customerLinks, 'offeringId', newestStatedFirst),
    customerLink: byIdLoader(c.customerLinks),
    offeringCountByCustomer: offeringCountByCustomerLoader(c.offerings),
    customerLinksByOfferingSince: perValue((since) => customerLinksSinceLoader(c.customerLinks, since)),
    offeringsByCustomerSince: perValue((since) => offeringsByCustomerSinceLoader(c.customerLinks, offering, since)),
    offeringCountByCustomerSince: perValue((since) => offeringCountByCustomerSinceLoader(c.customerLinks, since)),
  };
}

/** The code and its ancestors down from the function level: FFM.030.070 -> [FFM.030, FFM.030.070]. */
export function capabilityPath(code: string): string[] {
  const parts = code.split('.');
  const path: string[] = [];
  for (let i = 2; i <= parts.length; i++) path.push(parts.slice(0, i).join('.'));
  return path;
}

/** The state of a catalog change's audit record (see the write protocol in ./changes). */
export type ChangeState = 'pending' | 'committed' | 'abandoned';

/** An offering with its customer listings: what one change moves from and to. */
export interface OfferingSnapshot {
  offering: OfferingDoc;
  listings: CustomerLinkDoc[];
}

/** Who made a change, from the identity the gateway verified. */
export interface ChangeActor {
  subject: string;
  issuer: string | null;
}

/**
 * Part of an offering's state: some of its fields (always with its id, and its
 * version when it has one) and some of its listings. An audit record keeps
 * this much of the state before a change.
 */
export interface OfferingPart {
  offering: Partial<OfferingDoc> & Pick<OfferingDoc, '_id'>;
  listings: CustomerLinkDoc[];
}

/** One audit record. Inserted once; only `state`, `at` and `abandonReason` are ever set afterwards, by this module. */
export interface ChangeDoc {
  /** `<offeringId>@<version>`: unique, hence the concurrency check. */
  _id: string;
  offeringId: string;
  /** The offering's version after the change. */
  version: number;
  /** The version it was made from (0 for the first creation of an id). */
  fromVersion: number;
  mutation: string;
  actor: ChangeActor;
  /** When the record was written (pending). */
  recordedAt: string;
  /** When it was committed (ISO 8601, UTC): the feed's order. Absent while pending. */
  at?: string;
  state: ChangeState;
  /** What the change replaced: the fields it changed and the listings it changed or removed (older records: the whole state); null for a creation. */
  before: OfferingPart | null;
  /** The whole offering after the change, with the listings it added or changed (older records: all of them); null for a retirement. */
  after: OfferingSnapshot | null;
  changedFields: string[];
  sources: SourceRecord[];
  verification: Verification;
  /** sha256 of the caller and their idempotency key, when one was given. */
  idempotencyKey?: string;
  /** sha256 of the mutation and its input, to tell a retry from a different request under the same key. */
  requestHash?: string;
  abandonReason?: string;
}
