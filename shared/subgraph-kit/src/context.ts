import type { Db } from 'mongodb';
import { type Identity } from '@qsmo/service-kit/auth/identity';
import type { CatalogStore } from './domain/changes';
import { createDomainLoaders, domainCollections, type DomainCollections, type DomainLoaders } from './domain/data';
import { referenceCollections, type ReferenceCollections } from './reference/documents';
import { createReferenceLoaders, type ReferenceLoaders } from './reference/loaders';

/** The per-request context of a QSMO subgraph: who is calling, its collections and a fresh set of loaders. */
export interface GraphContext {
  /** The caller as the gateway verified and signed it; the anonymous reader when unsigned requests are allowed. */
  identity: Identity;
  collections: ReferenceCollections & DomainCollections;
  loaders: ReferenceLoaders & DomainLoaders;
  /** The catalog's writer (audited, versioned, crash-safe; see domain/changes.ts): the only way the mutations write. */
  catalog: CatalogStore;
}

export function graphCollections(db: Db): GraphContext['collections'] {
  return { ...referenceCollections(db), ...domainCollections(db) };
}

/** Called once per request: loaders must never share a cache across requests. */
export function createContext(collections: GraphContext['collections'], identity: Identity, catalog: CatalogStore): GraphContext {
  return { identity, collections, loaders: { ...createReferenceLoaders(collections), ...createDomainLoaders(collections) }, catalog };
}
