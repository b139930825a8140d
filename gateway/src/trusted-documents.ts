import fs from 'node:fs';
import path from 'node:path';
import { documentHash } from '@qsmo/shared/http/request-checks';
import { GENERATED_DIR, type LibraryOperation } from './operations';

/**
 * The trusted documents: the operations of gateway/operations, by the
 * sha256 of their exact text, which is the hash Apollo's automatic
 * persisted queries use. A frontend sends `extensions.persistedQuery.sha256Hash`
 * alone and the gateway runs the document it already knows; with
 * TRUSTED_DOCUMENTS=enforce nothing else runs, except for analysts. The file
 * is Apollo's persisted-query manifest format, so Apollo's client tooling reads it.
 */
export const TRUSTED_DOCUMENTS_FILE = path.join(GENERATED_DIR, 'trusted-documents.json');

/** One entry of the manifest. */
export interface TrustedDocument {
  /** sha256 of `body`, hex: what a client sends as persistedQuery.sha256Hash. */
  id: string;
  /** The operation's name. */
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  /** The document exactly as the library file holds it. */
  body: string;
}

/** The manifest as written to trusted-documents.json. */
export interface TrustedDocumentsManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: TrustedDocument[];
}

/** The hash Apollo's APQ computes for a document: sha256 of its text, hex (the services check it against the text they are sent). */
export { documentHash } from '@qsmo/shared/http/request-checks';

/** The manifest of the library, in library order (codegen writes it). */
export function trustedDocumentsManifest(library: readonly LibraryOperation[]): TrustedDocumentsManifest {
  return {
    format: 'apollo-persisted-query-manifest',
    version: 1,
    operations: library.map((op) => ({ id: documentHash(op.source), name: op.name, type: 'query', body: op.source })),
  };
}

/**
 * Reads a manifest into hash → document, checking every entry's hash, so a
 * hand-edited file cannot make the gateway run a document under another
 * document's hash.
 */
export function readTrustedDocuments(file: string = TRUSTED_DOCUMENTS_FILE): Map<string, string> {
  let manifest: TrustedDocumentsManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as TrustedDocumentsManifest;
  } catch (error) {
    throw new Error(`Cannot read the trusted documents ${file}: ${(error as Error).message}. Run npm run codegen to write it.`);
  }
  const documents = new Map<string, string>();
  for (const op of manifest.operations ?? []) {
    if (typeof op.body !== 'string' || documentHash(op.body) !== op.id) {
      throw new Error(`${file}: the entry ${op.name ?? op.id} does not match its hash; run npm run codegen instead of editing the file.`);
    }
    documents.set(op.id, op.body);
  }
  return documents;
}
