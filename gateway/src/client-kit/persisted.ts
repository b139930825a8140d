import { Kind, type DocumentNode } from 'graphql';

/**
 * Browser-safe half of the client kit: the persisted-query id of a document,
 * looked up by its operation name in the ids the kit generated (or in a
 * manifest). Apollo Client's persisted-query link takes it as
 * `generateHash`, so the hash sent is the manifest's id, whatever text the
 * client would print: the id of a library operation is the sha256 of its
 * file, comments included, which no printer reproduces.
 */
export function persistedQueryIds(ids: Readonly<Record<string, string>>): (document: DocumentNode) => string {
  return (document) => {
    const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
    const name = operation?.kind === Kind.OPERATION_DEFINITION ? operation.name?.value : undefined;
    const id = name === undefined ? undefined : ids[name];
    if (id === undefined) {
      throw new Error(
        `${name ?? 'An unnamed operation'} is in no persisted-query manifest of this client: add it to the client's operations, regenerate and publish the manifest (npm run operations:publish).`,
      );
    }
    return id;
  };
}

/** The ids of a manifest, by operation name, for persistedQueryIds. */
export function idsOfManifest(manifest: { operations: readonly { id: string; name: string }[] }): Record<string, string> {
  return Object.fromEntries(manifest.operations.map((op) => [op.name, op.id]));
}
