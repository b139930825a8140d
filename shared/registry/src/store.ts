import { createHash } from 'node:crypto';
import { print, parse } from 'graphql';
import { MongoServerError, type Collection, type Db } from 'mongodb';
import { ensureIndexes } from '@qsmo/service-kit/seeding';

/**
 * The schema registry's storage: two insert-only collections.
 *
 * - subgraph_versions: every published subgraph schema, numbered per
 *   subgraph (_id "grants-management@3").
 * - supergraph_versions: every successful composition, numbered globally
 *   (_id = version), listing the subgraph versions it was built from.
 *
 * Records are never updated. A publish writes its subgraph records first and
 * the supergraph record last; only subgraph versions that some supergraph
 * record references count as published. Without transactions (FerretDB v1
 * has none) that ordering is what makes a publish atomic: a crash between
 * the two writes leaves only an unreferenced subgraph record that no reader
 * ever looks at. Concurrent publishes race on the supergraph's unique
 * version; the loser re-checks against the winner's result and retries.
 */
export const DEFAULT_REGISTRY_DATABASE = 'qsmo_registry';
export const SUBGRAPH_VERSIONS = 'subgraph_versions';
export const SUPERGRAPH_VERSIONS = 'supergraph_versions';

export interface SubgraphVersion {
  /** "<subgraph>@<version>". */
  _id: string;
  subgraph: string;
  /** 1, 2, 3... per subgraph; a publish that never completed leaves a gap. */
  version: number;
  sdl: string;
  /** sha256 of the normalised SDL (see schemaHash). */
  hash: string;
  /** Where the gateway reaches this version of the subgraph. */
  url: string;
  publisher: string;
  publishedAt: Date;
}

export interface SubgraphRef {
  name: string;
  version: number;
  hash: string;
  url: string;
}

export interface SupergraphVersion {
  /** Same as version: the _id index is the uniqueness a publish races on. */
  _id: number;
  version: number;
  /** The composed supergraph SDL, what the gateway serves. */
  sdl: string;
  /** sha256 of sdl. */
  hash: string;
  /** The subgraph versions it was composed from, by name. */
  subgraphs: SubgraphRef[];
  /** The subgraphs whose new versions this publish brought in. */
  changed: string[];
  publisher: string;
  publishedAt: Date;
}

/** What the registry currently publishes: the newest supergraph and the subgraph versions it references. */
export interface PublishedState {
  supergraph: SupergraphVersion | null;
  subgraphs: Map<string, SubgraphVersion>;
}

/**
 * The hash the registry compares schemas by: sha256 of the SDL as graphql-js
 * prints it, so reformatting and # comments are not a change; descriptions are.
 */
export function schemaHash(sdl: string): string {
  let normalised = sdl;
  try {
    normalised = print(parse(sdl));
  } catch {
    // An SDL that does not parse is refused by the check; its hash only needs to be stable.
  }
  return sha256(normalised);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}

export class SchemaRegistry {
  readonly subgraphVersions: Collection<SubgraphVersion>;
  readonly supergraphVersions: Collection<SupergraphVersion>;
  private indexes: Promise<void> | undefined;

  constructor(readonly db: Db) {
    this.subgraphVersions = db.collection<SubgraphVersion>(SUBGRAPH_VERSIONS);
    this.supergraphVersions = db.collection<SupergraphVersion>(SUPERGRAPH_VERSIONS);
  }

  /** Creates the unique indexes once per process; writers call it, readers need not. */
  ensureIndexes(): Promise<void> {
    this.indexes ??= ensureIndexes(this.db, [
      { collection: SUBGRAPH_VERSIONS, indexes: [{ key: { subgraph: 1, version: -1 }, unique: true, name: 'subgraph_version_unique' }] },
      { collection: SUPERGRAPH_VERSIONS, indexes: [{ key: { version: -1 }, unique: true, name: 'version_unique' }] },
    ]).catch((error: unknown) => {
      this.indexes = undefined;
      throw error;
    });
    return this.indexes;
  }

  /** The newest supergraph, or null while nothing has been published. */
  async latestSupergraph(): Promise<SupergraphVersion | null> {
    return this.supergraphVersions.find({}).sort({ version: -1 }).limit(1).next();
  }

  /** Version and hash of the newest supergraph: what the gateway polls, without the SDL. */
  async latestSupergraphHead(): Promise<Pick<SupergraphVersion, 'version' | 'hash'> | null> {
    return this.supergraphVersions
      .find({}, { projection: { _id: 0, version: 1, hash: 1 } })
      .sort({ version: -1 })
      .limit(1)
      .next() as Promise<Pick<SupergraphVersion, 'version' | 'hash'> | null>;
  }

  async supergraph(version: number): Promise<SupergraphVersion | null> {
    return this.supergraphVersions.findOne({ _id: version });
  }

  /** Full records of the supergraphs published before `version`, newest first. */
  async supergraphsBefore(version: number, limit: number): Promise<SupergraphVersion[]> {
    return this.supergraphVersions
      .find({ version: { $lt: version } })
      .sort({ version: -1 })
      .limit(limit)
      .toArray();
  }

  /** The newest supergraphs first, for history listings. */
  async supergraphHistory(limit = 20): Promise<SupergraphVersion[]> {
    return this.supergraphVersions
      .find({}, { projection: { sdl: 0 } })
      .sort({ version: -1 })
      .limit(limit)
      .toArray();
  }

  /** A subgraph version by number, whether or not a supergraph references it. */
  async subgraphVersion(name: string, version: number): Promise<SubgraphVersion | null> {
    return this.subgraphVersions.findOne({ _id: subgraphVersionId(name, version) });
  }

  /** The current state: only subgraph versions the newest supergraph references count. */
  async publishedState(): Promise<PublishedState> {
    const supergraph = await this.latestSupergraph();
    const subgraphs = new Map<string, SubgraphVersion>();
    if (!supergraph) return { supergraph, subgraphs };
    const ids = supergraph.subgraphs.map((s) => subgraphVersionId(s.name, s.version));
    const docs = await this.subgraphVersions.find({ _id: { $in: ids } }).toArray();
    for (const ref of supergraph.subgraphs) {
      const doc = docs.find((d) => d.subgraph === ref.name && d.version === ref.version);
      if (!doc) {
        throw new Error(
          `The registry is damaged: supergraph v${supergraph.version} references ${ref.name} v${ref.version}, ` +
            `which is missing from ${SUBGRAPH_VERSIONS}. Records are insert-only; restore the collection from a backup.`,
        );
      }
      subgraphs.set(ref.name, doc);
    }
    return { supergraph, subgraphs };
  }

  /**
   * Records a new version of a subgraph with the next free number. Not yet
   * visible: it counts as published only once a supergraph references it.
   */
  async insertSubgraphVersion(record: Omit<SubgraphVersion, '_id' | 'version'>): Promise<SubgraphVersion> {
    await this.ensureIndexes();
    for (let attempt = 0; attempt < 20; attempt++) {
      const last = await this.subgraphVersions
        .find({ subgraph: record.subgraph }, { projection: { version: 1 } })
        .sort({ version: -1 })
        .limit(1)
        .next();
      const version = (last?.version ?? 0) + 1;
      const doc: SubgraphVersion = { _id: subgraphVersionId(record.subgraph, version), version, ...record };
      try {
        await this.subgraphVersions.insertOne(doc);
        return doc;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        // Another publish of the same subgraph took this number: take the next one.
      }
    }
    throw new Error(`Could not number a new version of ${record.subgraph}: too many concurrent publishes. Retry the publish.`);
  }

  /**
   * Makes a publish visible. Returns false, writing nothing, when another
   * publish already took this version: the caller re-checks and retries.
   */
  async insertSupergraphVersion(record: Omit<SupergraphVersion, '_id'>): Promise<boolean> {
    await this.ensureIndexes();
    try {
      await this.supergraphVersions.insertOne({ _id: record.version, ...record });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  /**
   * Removes a subgraph record this process wrote for a publish that then
   * failed. Safe only because no supergraph can reference it: the caller's
   * supergraph insert never succeeded.
   */
  async discardUnpublishedSubgraphVersion(id: string): Promise<void> {
    await this.subgraphVersions.deleteOne({ _id: id });
  }
}

export const subgraphVersionId = (name: string, version: number) => `${name}@${version}`;
