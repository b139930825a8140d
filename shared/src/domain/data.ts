import type DataLoader from 'dataloader';
import type { Collection, Db, Filter } from 'mongodb';
import type { CapabilityRecord, OfferingCustomerRecord, OfferingRecord } from '../catalog/types';
import { byId, byIdLoader, bySortKeyThenId, groupLoader } from '../loaders';
import type { CollectionIndexes } from '../seeding';
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
};
export type CapabilityDoc = Omit<CapabilityRecord, 'code'> & { _id: string };
export type CustomerLinkDoc = OfferingCustomerRecord & { _id: string };

export const DOMAIN_COLLECTIONS = { offerings: 'offerings', capabilities: 'capabilities', customerLinks: 'offering_customers' } as const;

export function domainCollections(db: Db) {
  return {
    offerings: db.collection<OfferingDoc>(DOMAIN_COLLECTIONS.offerings),
    capabilities: db.collection<CapabilityDoc>(DOMAIN_COLLECTIONS.capabilities),
    customerLinks: db.collection<CustomerLinkDoc>(DOMAIN_COLLECTIONS.customerLinks),
  };
}
export type DomainCollections = ReturnType<typeof domainCollections>;

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
  offeringCountByCustomer: DataLoader<string, number>;
}

/** Offerings per customer agency, counted by the database in one aggregation per batch. */
function offeringCountByCustomerLoader(offerings: Collection<OfferingDoc>): DataLoader<string, number> {
  return new Loader<string, number>(async (codes) => {
    const keys = [...codes];
    const rows = await offerings.aggregate<{ _id: string; count: number }>([
      { $match: { customerCodes: { $in: keys } } },
      { $unwind: '$customerCodes' },
      { $match: { customerCodes: { $in: keys } } },
      { $group: { _id: '$customerCodes', count: { $sum: 1 } } },
    ]).toArray();
    const counts = new Map(rows.map((r) => [r._id, r.count]));
    return keys.map((k) => counts.get(k) ?? 0);
  });
}

/** A provider's offerings are those it provides or partners on: one query for both roles. */
function offeringsByProviderLoader(offerings: Collection<OfferingDoc>): DataLoader<string, OfferingDoc[]> {
  return new Loader<string, OfferingDoc[]>(async (ids) => {
    const keys = [...ids];
    const docs = await offerings
      .find({ $or: [{ providerId: { $in: keys } }, { partnerIds: { $in: keys } }] } as Filter<OfferingDoc>)
      .toArray();
    return keys.map((id) => docs.filter((d) => d.providerId === id || d.partnerIds.includes(id)).sort(bySortKeyThenId));
  });
}

export function createDomainLoaders(c: DomainCollections): DomainLoaders {
  return {
    offering: byIdLoader(c.offerings),
    capability: byIdLoader(c.capabilities),
    offeringsByCustomer: groupLoader(c.offerings, 'customerCodes', bySortKeyThenId),
    offeringsByProvider: offeringsByProviderLoader(c.offerings),
    offeringsByCapability: groupLoader(c.offerings, 'capabilityPaths', bySortKeyThenId),
    capabilityChildren: groupLoader(c.capabilities, 'parentCode', byId),
    customerLinksByOffering: groupLoader(c.customerLinks, 'offeringId', (a, b) => (a.agencyCode < b.agencyCode ? -1 : 1)),
    offeringCountByCustomer: offeringCountByCustomerLoader(c.offerings),
  };
}

/** The code and its ancestors down from the function level: FFM.030.070 -> [FFM.030, FFM.030.070]. */
export function capabilityPath(code: string): string[] {
  const parts = code.split('.');
  const path: string[] = [];
  for (let i = 2; i <= parts.length; i++) path.push(parts.slice(0, i).join('.'));
  return path;
}
