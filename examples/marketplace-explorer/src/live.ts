import { gql, type TypedDocumentNode } from '@apollo/client';

/**
 * Live updates, per the graph contract's "Live updates": each committed
 * change of the given marketplaces. The offering comes back normalised
 * (its id and type), so every page showing it updates from the cache.
 * Kept out of src/operations until the gateway's schema serves
 * `catalogChanged`: codegen validates every operation against the schema.
 */
export interface CatalogChangedData {
  catalogChanged: {
    domain: string;
    offeringId: string;
    version: number;
    mutation: string;
    at: string;
    offering: { id: string; name: string; customerCount: number; customers: { code: string; name: string; abbreviation: string }[] } | null;
  };
}

export const CatalogChangedDocument: TypedDocumentNode<CatalogChangedData, { domains?: string[] }> = gql`
  subscription ExplorerCatalogChanged($domains: [QsmoDomain!]) {
    catalogChanged(domains: $domains) {
      domain
      offeringId
      version
      mutation
      at
      offering {
        id
        name
        customerCount
        customers { code name abbreviation }
      }
    }
  }
`;
