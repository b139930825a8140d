import type { Db } from 'mongodb';
import { createDomainLoaders, domainCollections, type DomainCollections, type DomainLoaders } from './domain/data';
import { referenceCollections, type ReferenceCollections } from './reference/documents';
import { createReferenceLoaders, type ReferenceLoaders } from './reference/loaders';

/** The per-request context of a QSMO subgraph: its collections and a fresh set of loaders. */
export interface GraphContext {
  collections: ReferenceCollections & DomainCollections;
  loaders: ReferenceLoaders & DomainLoaders;
}

export function graphCollections(db: Db): GraphContext['collections'] {
  return { ...referenceCollections(db), ...domainCollections(db) };
}

/** Called once per request: loaders must never share a cache across requests. */
export function createContext(collections: GraphContext['collections']): GraphContext {
  return { collections, loaders: { ...createReferenceLoaders(collections), ...createDomainLoaders(collections) } };
}
