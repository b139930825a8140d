import { CatalogStore } from '@qsmo/subgraph-kit/domain/changes';

/** Who made a direct catalog write, and as which mutation (an editor's, or `catalog:import`). */
export interface DirectWriter {
  subject: string;
  mutation?: string;
}

/**
 * Renames an offering straight through the catalog's write protocol, not
 * through any gateway (another replica's write, an import, an edit made
 * before a seed), from the version stored now; resolves with its new version.
 */
export async function renameInCatalog(store: CatalogStore, offeringId: string, name: string, by: DirectWriter): Promise<number> {
  const { version } = await store.current(offeringId);
  const result = await store.write({
    offeringId,
    expectedVersion: version,
    mutation: by.mutation ?? 'updateGrantsManagementOffering',
    actor: { subject: by.subject, issuer: null },
    sources: [{ key: 'https://example.gov/test', title: 'Test write', url: 'https://example.gov/test' }],
    verification: 'UNVERIFIED',
    compute: (before, v) => (before ? { offering: { ...before.offering, name, version: v }, listings: before.listings } : null),
  });
  if (!('change' in result)) throw new Error(`renaming ${offeringId} to "${name}" was refused: ${JSON.stringify(result)}`);
  return result.change.version;
}
