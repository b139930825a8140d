import { createHash } from 'node:crypto';
import { Kind, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Collection, Db } from 'mongodb';
import { ensureIndexes } from '@qsmo/service-kit/seeding';
import { isDuplicateKey } from './store';

/**
 * Client manifests: the operations a frontend release sends, published to
 * the registry by the frontend team (`npm run operations:publish`), so a
 * gateway with TRUSTED_DOCUMENTS=enforce runs them without a pull request
 * in this repository, and a schema check knows which clients a change breaks.
 *
 * Stored in client_manifests, one insert-only document per client and
 * version (_id "<client>@<version>"); `seq` numbers publishes globally so a
 * gateway polls one number to learn that something new was published.
 */
export const CLIENT_MANIFESTS = 'client_manifests';

/** Apollo's persisted-query manifest, as `@apollo/generate-persisted-query-manifest` and this repo's codegen write it. */
export interface PersistedQueryManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: PersistedOperation[];
}

export interface PersistedOperation {
  /** sha256 of `body`, hex: what the client sends as extensions.persistedQuery.sha256Hash. */
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  /** The document exactly as the client hashes it. */
  body: string;
}

export interface ClientManifestRecord {
  /** "<client>@<version>". */
  _id: string;
  client: string;
  version: string;
  /** Publish order across all clients: 1, 2, 3... */
  seq: number;
  operations: PersistedOperation[];
  /** The supergraph the operations were validated against. */
  supergraphVersion: number;
  publisher: string;
  publishedAt: Date;
}

const CLIENT_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const CLIENT_VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;
const OPERATION_TYPES = ['query', 'mutation', 'subscription'] as const;

export const operationHash = (body: string) => createHash('sha256').update(body).digest('hex');

/** Problems with a client's name and version, each saying what to write instead. */
export function clientIdProblems(client: string, version: string): string[] {
  const problems: string[] = [];
  if (!CLIENT_NAME.test(client))
    problems.push(
      `"${client}" is not a client name: use lower-case letters, digits and -, e.g. "grants-portal" (the name the client sends as apollographql-client-name).`,
    );
  if (!CLIENT_VERSION.test(version)) problems.push(`"${version}" is not a client version: use letters, digits and . + _ -, e.g. "1.4.0" or a commit id.`);
  return problems;
}

/**
 * Reads a manifest file's JSON: the format, every id the sha256 of its body,
 * one named operation of the stated type per body, names unique. Returns the
 * operations or every problem, by operation.
 */
export function readPersistedQueryManifest(json: unknown): { operations: PersistedOperation[]; problems: string[] } {
  const problems: string[] = [];
  const manifest = json as Partial<PersistedQueryManifest> | null;
  if (
    !manifest ||
    typeof manifest !== 'object' ||
    manifest.format !== 'apollo-persisted-query-manifest' ||
    manifest.version !== 1 ||
    !Array.isArray(manifest.operations)
  ) {
    return {
      operations: [],
      problems: [
        'The file is not an Apollo persisted-query manifest: expected {"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "name", "type", "body"}]}.',
      ],
    };
  }
  const operations: PersistedOperation[] = [];
  const names = new Set<string>();
  manifest.operations.forEach((op: Partial<PersistedOperation>, i) => {
    const label = typeof op?.name === 'string' && op.name ? op.name : `operations[${i}]`;
    if (
      typeof op?.body !== 'string' ||
      typeof op.id !== 'string' ||
      typeof op.name !== 'string' ||
      !(OPERATION_TYPES as readonly string[]).includes(op.type as string)
    ) {
      problems.push(`${label}: every operation needs a string id, name and body and a type of query, mutation or subscription.`);
      return;
    }
    const hash = operationHash(op.body);
    if (hash !== op.id) {
      problems.push(`${label}: its id ${op.id} is not the sha256 of its body (${hash}); regenerate the manifest instead of editing it.`);
      return;
    }
    let document: DocumentNode;
    try {
      document = parse(op.body);
    } catch (error) {
      problems.push(`${label}: ${(error as Error).message}`);
      return;
    }
    const definitions = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    const definition = definitions[0];
    if (definitions.length !== 1 || definition?.kind !== Kind.OPERATION_DEFINITION || definition.name?.value !== op.name || definition.operation !== op.type) {
      problems.push(`${label}: the body must hold exactly one operation, a ${op.type} named ${op.name}.`);
      return;
    }
    if (names.has(op.name)) {
      problems.push(`${label}: the name is used twice; operation names must be unique within a manifest.`);
      return;
    }
    names.add(op.name);
    operations.push({ id: op.id, name: op.name, type: op.type as PersistedOperation['type'], body: op.body });
  });
  return { operations, problems };
}

/** A published operation that does not validate against a schema, with GraphQL's errors. */
export interface BrokenOperation {
  client: string;
  clientVersion: string;
  operation: string;
  errors: string[];
}

/** The operations of `manifests` that `schema` (an API schema, as clients see the graph) would refuse. */
export function brokenOperations(
  schema: GraphQLSchema,
  manifests: readonly Pick<ClientManifestRecord, 'client' | 'version' | 'operations'>[],
): BrokenOperation[] {
  const broken: BrokenOperation[] = [];
  for (const manifest of manifests) {
    for (const op of manifest.operations) {
      const errors = validate(schema, parse(op.body)).map((e) => e.message);
      if (errors.length > 0) broken.push({ client: manifest.client, clientVersion: manifest.version, operation: op.name, errors });
    }
  }
  return broken;
}

/** How a check report and the publish command name one: `grants-portal 1.4.0, operation AgencyPage: Cannot query field ...`. */
export const describeBrokenOperation = (b: BrokenOperation) => `${b.client} ${b.clientVersion}, operation ${b.operation}: ${b.errors.join(' ')}`;

const DAY_MS = 86_400_000;

export class ClientManifestStore {
  readonly manifests: Collection<ClientManifestRecord>;
  private indexes: Promise<void> | undefined;

  constructor(readonly db: Db) {
    this.manifests = db.collection<ClientManifestRecord>(CLIENT_MANIFESTS);
  }

  private ensureIndexes(): Promise<void> {
    this.indexes ??= ensureIndexes(this.db, [{ collection: CLIENT_MANIFESTS, indexes: [{ key: { seq: -1 }, unique: true, name: 'seq_unique' }] }]).catch(
      (error: unknown) => {
        this.indexes = undefined;
        throw error;
      },
    );
    return this.indexes;
  }

  /** The newest publish number, 0 while none: what a gateway polls. */
  async head(): Promise<number> {
    const last = await this.manifests
      .find({}, { projection: { _id: 0, seq: 1 } })
      .sort({ seq: -1 })
      .limit(1)
      .next();
    return last?.seq ?? 0;
  }

  async get(client: string, version: string): Promise<ClientManifestRecord | null> {
    return this.manifests.findOne({ _id: `${client}@${version}` });
  }

  /** Every published manifest, oldest first: the documents a gateway trusts. */
  async all(): Promise<ClientManifestRecord[]> {
    return this.manifests.find({}).sort({ seq: 1 }).toArray();
  }

  /**
   * The manifests a schema check protects: each client's newest version, and
   * every version published within the last `windowDays` (older releases
   * may still be deployed).
   */
  async inUse(windowDays: number, now = new Date()): Promise<ClientManifestRecord[]> {
    const since = new Date(now.getTime() - windowDays * DAY_MS);
    const all = await this.all();
    const newest = new Map<string, ClientManifestRecord>();
    for (const m of all) newest.set(m.client, m);
    return all.filter((m) => m.publishedAt >= since || newest.get(m.client) === m);
  }

  /**
   * Records a manifest. A version is published once: the same operations
   * again are a no-op ('unchanged'), different ones under a published
   * version are refused ('conflict'), so what a deployed release sends can
   * never change under it.
   */
  async publish(
    record: Omit<ClientManifestRecord, '_id' | 'seq'>,
  ): Promise<{ status: 'published' | 'unchanged'; record: ClientManifestRecord } | { status: 'conflict'; record: ClientManifestRecord }> {
    await this.ensureIndexes();
    const _id = `${record.client}@${record.version}`;
    for (let attempt = 0; attempt < 20; attempt++) {
      const existing = await this.manifests.findOne({ _id });
      if (existing) {
        const same = JSON.stringify(existing.operations.map((o) => o.id).sort()) === JSON.stringify(record.operations.map((o) => o.id).sort());
        return { status: same ? 'unchanged' : 'conflict', record: existing };
      }
      const doc: ClientManifestRecord = { _id, seq: (await this.head()) + 1, ...record };
      try {
        await this.manifests.insertOne(doc);
        return { status: 'published', record: doc };
      } catch (error) {
        // Another publish took this number, or this very version: look again.
        if (!isDuplicateKey(error)) throw error;
      }
    }
    throw new Error(`Could not record ${_id}: too many concurrent publishes. Retry the publish.`);
  }
}
