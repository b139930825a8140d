import fs from 'node:fs';
import path from 'node:path';
import { documentHash } from '@qsmo/service-kit/http/request-checks';
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
export { documentHash } from '@qsmo/service-kit/http/request-checks';

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
  return readManifest(file).documents;
}

/** One reading of a manifest file. */
export interface ManifestVersion {
  file: string;
  manifest: TrustedDocumentsManifest;
  /** hash → document, every hash checked. */
  documents: Map<string, string>;
}

function readManifest(file: string): ManifestVersion {
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
  return { file, manifest: { ...manifest, operations: manifest.operations ?? [] }, documents };
}

/**
 * A manifest followed on disk: re-read when its modification time or size
 * changes, so `npm run codegen` changes what the gateway trusts and offers
 * without a restart. The first reading must succeed; a later unreadable
 * version (a half-written file, a hand edit) keeps the last good one and is
 * reported once through `onProblem`.
 */
export class ManifestFile {
  private version: ManifestVersion;
  private stamp: string;
  private reported?: string;
  private checkedAt = 0;

  /** `checkEveryMs`: the file is looked at no more often than this, so requests do not each cost a stat. */
  constructor(
    readonly file: string = TRUSTED_DOCUMENTS_FILE,
    private readonly onProblem: (message: string) => void = () => undefined,
    private readonly checkEveryMs = 1_000,
  ) {
    this.stamp = this.stampNow();
    this.version = readManifest(file);
    this.checkedAt = Date.now();
  }

  /** The current version; the same object until the file changes. */
  current(): ManifestVersion {
    const now = Date.now();
    if (now - this.checkedAt < this.checkEveryMs) return this.version;
    this.checkedAt = now;
    const stamp = this.stampNow();
    if (stamp === this.stamp) return this.version;
    try {
      this.version = readManifest(this.file);
      this.stamp = stamp;
      this.reported = undefined;
    } catch (error) {
      const message = `${(error as Error).message} Still serving the version read before.`;
      if (this.reported !== stamp) this.onProblem(message);
      this.reported = stamp;
    }
    return this.version;
  }

  private stampNow(): string {
    try {
      const stat = fs.statSync(this.file);
      return `${stat.mtimeMs}:${stat.size}`;
    } catch {
      return 'missing';
    }
  }
}
