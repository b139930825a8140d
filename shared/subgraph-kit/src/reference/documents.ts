import type { Db } from 'mongodb';
import type { AgencyRecord, ProviderRecord, QsmoRecord } from '@qsmo/catalog/types';
import { sortKeyOf } from '@qsmo/service-kit/loaders';

/** Stored shapes of the reference collections every subgraph keeps its own copy of. */
export type AgencyDoc = Omit<AgencyRecord, 'code'> & { _id: string; sortKey: string };
export type ProviderDoc = Omit<ProviderRecord, 'id'> & { _id: string; sortKey: string };
export type QsmoDoc = Omit<QsmoRecord, 'domain'> & { _id: QsmoRecord['domain'] };

export const REFERENCE_COLLECTIONS = { agencies: 'agencies', providers: 'providers', qsmos: 'qsmos' } as const;

export function referenceCollections(db: Db) {
  return {
    agencies: db.collection<AgencyDoc>(REFERENCE_COLLECTIONS.agencies),
    providers: db.collection<ProviderDoc>(REFERENCE_COLLECTIONS.providers),
    qsmos: db.collection<QsmoDoc>(REFERENCE_COLLECTIONS.qsmos),
  };
}
export type ReferenceCollections = ReturnType<typeof referenceCollections>;

export const toAgencyDoc = ({ code, ...rest }: AgencyRecord): AgencyDoc => ({ _id: code, ...rest, sortKey: sortKeyOf(rest.name) });
export const toProviderDoc = ({ id, ...rest }: ProviderRecord): ProviderDoc => ({ _id: id, ...rest, sortKey: sortKeyOf(rest.name) });
export const toQsmoDoc = ({ domain, ...rest }: QsmoRecord): QsmoDoc => ({ _id: domain, ...rest });
