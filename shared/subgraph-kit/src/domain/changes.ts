import { createHash } from 'node:crypto';
import type { Collection, Db, Filter } from 'mongodb';
import { MongoServerError } from 'mongodb';
import type { SourceRecord, Verification } from '@qsmo/catalog/types';
import type { Logger } from '@qsmo/service-kit/logger';
import { bumpChangeCounter, type ReadModel } from '../read-model';
import {
  DOMAIN_COLLECTIONS,
  domainCollections,
  type ChangeActor,
  type ChangeDoc,
  type CustomerLinkDoc,
  type OfferingDoc,
  type OfferingPart,
  type OfferingSnapshot,
} from './data';

/** The collections a catalog change writes: the read model forgets only their results, and keeps the reference data's. */
const WRITTEN_COLLECTIONS = [DOMAIN_COLLECTIONS.offerings, DOMAIN_COLLECTIONS.customerLinks, DOMAIN_COLLECTIONS.changes] as const;

/**
 * The write protocol of a marketplace's catalog: every change of an offering
 * (its fields, FIBF codes or customer listings) is one audit record in the
 * insert-only `changes` collection, and the record is the change.
 *
 * FerretDB v1 has no transactions, and a change touches two collections
 * (the offering and its listings), so atomicity comes from the order of
 * writes and an idempotent roll-forward:
 *
 * 1. the audit record is inserted first, `pending`, with the whole offering
 *    after the change, the listings the change writes, and what it replaces
 *    (the fields it changes and the listings it changes or removes; see
 *    auditSides). Its `_id` is `<offering>@<version>`,
 *    so of two writers starting from the same version only one insert
 *    succeeds: the unique `_id` is the optimistic-concurrency check, and
 *    the loser is told the current version (no lost update);
 * 2. the offering document is replaced, conditional on the version the
 *    change was made from (created, or deleted for a retirement);
 * 3. the listings are brought to the `after` state (upserts and deletes by id);
 * 4. the record is marked `committed` with its commit time `at`.
 *
 * A crash after step 1 leaves a pending record holding everything needed to
 * finish: start-up recovery (and any later writer of the same offering once
 * the record's lease has passed) rolls it forward, and every step checks the
 * offering's version first, so repeating one is harmless. A crash before
 * step 1 leaves nothing. Either way the change ends up whole or absent; the
 * audit trail shows only committed records.
 */
export type { ChangeActor, ChangeDoc, ChangeState, OfferingPart, OfferingSnapshot } from './data';

/** Why a write was refused: the public CatalogUserError. */
export interface CatalogUserError {
  field: string[] | null;
  message: string;
  code: 'INVALID' | 'SOURCE_REQUIRED' | 'NOT_FOUND' | 'ALREADY_EXISTS' | 'STALE_VERSION' | 'IN_PROGRESS' | 'REFERENCE_DATA' | 'UNCHANGED';
  currentVersion?: number | null;
}

/** The steps of a write, for tests that stop a process between them. */
export type WriteStep = 'recorded' | 'offering' | 'listings';

/** Test seam: awaited after each step of a write (a crash test pauses here and kills the process). */
export interface WriteHooks {
  afterStep?(step: WriteStep, change: ChangeDoc): Promise<void>;
}

export interface CatalogStoreOptions {
  /** The subgraph's database, not wrapped by the read model: a write reads what is stored now. */
  db: Db;
  /** Emptied and its change counter bumped after each change, so no read after a write is stale. */
  readModel?: ReadModel;
  logger?: Logger;
  hooks?: WriteHooks;
  /** How old a pending record must be before another writer takes it for crashed and finishes it; default 30 s. */
  leaseMs?: number;
}

/** What a write asks for: the offering, the version it was made from, and the new state computed from the current one. */
export interface ChangeRequest {
  offeringId: string;
  /** The version the caller read; 'new' for a creation. */
  expectedVersion: number | 'new';
  mutation: string;
  actor: ChangeActor;
  sources: SourceRecord[];
  verification: Verification;
  /** The caller's idempotency key and the request it came with. */
  idempotency?: { key: string; request: unknown };
  /** The state after the change (null: retired), or why it cannot be made. */
  compute(before: OfferingSnapshot | null, nextVersion: number): OfferingSnapshot | null | CatalogUserError;
}

export type ChangeResult = { change: ChangeDoc; replayed: boolean } | { error: CatalogUserError };

/** Thrown for an idempotency key reused with a different request (BAD_USER_INPUT at the API). */
export class IdempotencyKeyReused extends Error {
  override readonly name = 'IdempotencyKeyReused';
}

const DERIVED = new Set(['_id', 'sortKey', 'capabilityPaths', 'customerCodes', 'version']);
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const isDuplicateKey = (error: unknown) => error instanceof MongoServerError && error.code === 11000;

/** Version of a stored offering; documents from before versions existed are version 1. */
export const versionOf = (doc: Pick<OfferingDoc, 'version'>): number => doc.version ?? 1;

/** The filter matching an offering exactly at a version (version 1 also matches documents written before versions existed). */
function atVersion(id: string, version: number): Filter<OfferingDoc> {
  return (version === 1 ? { _id: id, $or: [{ version: 1 }, { version: { $exists: false } }] } : { _id: id, version }) as Filter<OfferingDoc>;
}

/** JSON with sorted keys, so equal documents compare equal whatever their field order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Names of the fields that differ between two states of an offering (derived fields left out; listings as one field). */
export function changedFieldsOf(before: OfferingSnapshot | null, after: OfferingSnapshot | null): string[] {
  const a = (before?.offering ?? {}) as Record<string, unknown>;
  const b = (after?.offering ?? {}) as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !DERIVED.has(k) && canonicalJson(a[k]) !== canonicalJson(b[k]));
  const byId = (s: OfferingSnapshot | null) => canonicalJson([...(s?.listings ?? [])].sort((x, y) => (x._id < y._id ? -1 : 1)));
  if (byId(before) !== byId(after)) fields.push('customerListings');
  return fields.sort();
}

/** The listings of `these` that `others` does not hold exactly so (by id). */
function listingsNotIn(these: readonly CustomerLinkDoc[], others: readonly CustomerLinkDoc[]): CustomerLinkDoc[] {
  const held = new Map(others.map((l) => [l._id, canonicalJson(l)]));
  return these.filter((l) => held.get(l._id) !== canonicalJson(l));
}

/** The offering's id, version and the named fields only. */
export function offeringFields(offering: OfferingPart['offering'], fields: readonly string[]): OfferingPart['offering'] {
  const keep = new Set(['_id', 'version', ...fields]);
  return Object.fromEntries(Object.entries(offering).filter(([k]) => keep.has(k))) as OfferingPart['offering'];
}

/**
 * What an audit record keeps of a change, so that its size follows the
 * change and not the record: of the state before, the fields the change
 * made differ and the listings it changed or removed; of the state after, the
 * whole offering (a crashed write is finished from it, and a retry answers
 * with it) and the listings it added or changed. Unchanged listings, which
 * an offering may have dozens of, are in neither. Applied again to its own
 * result (or to an older record holding whole states) it gives the same.
 */
export function auditSides(
  before: OfferingPart | null,
  after: OfferingSnapshot | null,
  changedFields: readonly string[],
): { before: OfferingPart | null; after: OfferingSnapshot | null } {
  return {
    before: before && {
      offering: offeringFields(before.offering, changedFields),
      listings: after ? listingsNotIn(before.listings, after.listings) : before.listings,
    },
    after: after && { offering: after.offering, listings: before ? listingsNotIn(after.listings, before.listings) : after.listings },
  };
}

/** The catalog's writer and the recovery of interrupted writes, for one subgraph database. */
export class CatalogStore {
  private readonly offerings: Collection<OfferingDoc>;
  private readonly listings: Collection<CustomerLinkDoc>;
  private readonly changes: Collection<ChangeDoc>;
  private readonly leaseMs: number;

  constructor(private readonly options: CatalogStoreOptions) {
    const c = domainCollections(options.db);
    this.offerings = c.offerings;
    this.listings = c.customerLinks;
    this.changes = c.changes;
    this.leaseMs = options.leaseMs ?? 30_000;
  }

  /** The offering and its listings as stored now, and its current version (the last recorded one for a retired id, 0 for an unknown one). */
  async current(offeringId: string): Promise<{ snapshot: OfferingSnapshot | null; version: number }> {
    const offering = await this.offerings.findOne({ _id: offeringId });
    if (offering) {
      const listings = await this.listings.find({ offeringId }).sort({ _id: 1 }).toArray();
      return { snapshot: { offering, listings }, version: versionOf(offering) };
    }
    const last = await this.changes
      .find({ offeringId, state: { $ne: 'abandoned' } })
      .sort({ version: -1 })
      .limit(1)
      .toArray();
    return { snapshot: null, version: last[0]?.version ?? 0 };
  }

  /** After a write: the read model forgets what it wrote, and the change counter tells every other reader (replicas, gateways). */
  private async noteWrite(): Promise<void> {
    if (this.options.readModel) await this.options.readModel.noteWrite(WRITTEN_COLLECTIONS);
    else await bumpChangeCounter(this.options.db);
  }

  /**
   * The pending records that can exist for an offering stored at `version`:
   * the change that brought it there (stored, not yet marked committed) and
   * the next one (recorded, not yet stored). No other version can be
   * pending, because a writer refuses (or first rolls forward) while either
   * is. Two reads by `_id` alone, which FerretDB v1 answers without a scan of
   * the whole audit trail.
   */
  private async pendingAt(offeringId: string, version: number): Promise<ChangeDoc[]> {
    const ids = version > 0 ? [`${offeringId}@${version}`, `${offeringId}@${version + 1}`] : [`${offeringId}@1`];
    // By `_id` alone: FerretDB v1 finds that directly, and scans for any other filter (the state is checked here).
    const found = await Promise.all(ids.map((_id) => this.changes.findOne({ _id })));
    return found.filter((c): c is ChangeDoc => c !== null && c.state === 'pending');
  }

  /** Makes one change by the protocol above; a refusal is returned, never thrown. */
  async write(request: ChangeRequest): Promise<ChangeResult> {
    const { offeringId } = request;
    const idempotency = request.idempotency
      ? {
          key: sha(`${request.actor.issuer ?? ''}\u0000${request.actor.subject}\u0000${request.idempotency.key}`),
          hash: sha(canonicalJson([request.mutation, request.idempotency.request])),
        }
      : undefined;
    if (idempotency) {
      const replay = await this.replay(idempotency);
      if (replay) return replay;
    }
    for (let attempt = 0; ; attempt++) {
      const { snapshot, version } = await this.current(offeringId);
      // Named from an old version: refused before anything else is read.
      if (typeof request.expectedVersion === 'number' && snapshot && request.expectedVersion < version)
        return { error: staleVersion(offeringId, request.expectedVersion, version) };
      const pending = await this.pendingAt(offeringId, version);
      if (pending.length > 0) {
        const stale = pending.filter((p) => Date.now() - Date.parse(p.recordedAt) > this.leaseMs);
        if (stale.length === pending.length && attempt === 0) {
          // Left by a writer that crashed: finish it, then decide on what it left.
          for (const p of stale) await this.rollForward(p);
          continue;
        }
        const newest = pending[pending.length - 1]!.version;
        if (request.expectedVersion !== 'new' && request.expectedVersion < newest) return { error: staleVersion(offeringId, request.expectedVersion, newest) };
        return {
          error: {
            field: null,
            message: `Another change of ${offeringId} (to version ${newest}) is being written right now: retry in a moment.`,
            code: 'IN_PROGRESS',
          },
        };
      }
      if (request.expectedVersion === 'new') {
        if (snapshot)
          return {
            error: {
              field: ['input', 'id'],
              message: `An offering ${offeringId} already exists (version ${version}): choose another id, or update that one.`,
              code: 'ALREADY_EXISTS',
            },
          };
      } else {
        if (!snapshot) {
          const why = version > 0 ? `was retired at version ${version}` : 'does not exist in this marketplace';
          return { error: { field: ['input', 'id'], message: `The offering ${offeringId} ${why}: check the id.`, code: 'NOT_FOUND' } };
        }
        if (request.expectedVersion !== version) return { error: staleVersion(offeringId, request.expectedVersion, version) };
      }
      const nextVersion = version + 1;
      const after = request.compute(snapshot, nextVersion);
      if (after && 'code' in after) return { error: after };
      const changedFields = changedFieldsOf(snapshot, after);
      // A change that changes nothing would only bump the version and lengthen the audit trail.
      if (snapshot && after && changedFields.length === 0) return { error: unchanged(offeringId, version) };
      const sides = auditSides(snapshot, after ? { offering: { ...after.offering, version: nextVersion }, listings: after.listings } : null, changedFields);
      const change: ChangeDoc = {
        _id: `${offeringId}@${nextVersion}`,
        offeringId,
        version: nextVersion,
        fromVersion: version,
        mutation: request.mutation,
        actor: request.actor,
        recordedAt: new Date().toISOString(),
        state: 'pending',
        before: sides.before,
        after: sides.after,
        changedFields,
        sources: request.sources,
        verification: request.verification,
        ...(idempotency ? { idempotencyKey: idempotency.key, requestHash: idempotency.hash } : {}),
      };
      this.options.readModel?.invalidate(WRITTEN_COLLECTIONS);
      try {
        await this.changes.insertOne(change);
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        // Another writer recorded this version first: theirs stands, this one was made from an old version.
        const replay = idempotency ? await this.replay(idempotency) : undefined;
        if (replay) return replay;
        return { error: staleVersion(offeringId, request.expectedVersion === 'new' ? version : request.expectedVersion, nextVersion) };
      }
      try {
        await this.options.hooks?.afterStep?.('recorded', change);
        const committed = await this.rollForward(change);
        return committed ? { change: committed, replayed: false } : { error: staleVersion(offeringId, version, (await this.current(offeringId)).version) };
      } finally {
        await this.noteWrite();
      }
    }
  }

  /**
   * Finishes every pending change (oldest first). Run at start-up, before the
   * subgraph serves: a pending record there was left by a process that died
   * mid-write. Returns how many it committed.
   */
  async recover(): Promise<number> {
    const pending = await this.changes.find({ state: 'pending' }).sort({ offeringId: 1, version: 1 }).toArray();
    let committed = 0;
    for (const change of pending) if (await this.rollForward(change)) committed++;
    if (pending.length > 0) {
      await this.noteWrite();
      this.options.logger?.warn(
        `catalog: finished ${committed} of ${pending.length} change(s) interrupted by a crash` +
          (committed < pending.length ? '; the others no longer applied and were marked abandoned' : ''),
      );
    }
    return committed;
  }

  /**
   * Steps 2-4 for one recorded change. Each step first checks where the
   * offering is, so running it again (after a crash, or by a second writer)
   * changes nothing twice. Returns the committed record, or null when the
   * offering moved on without it (it is then marked abandoned).
   */
  private async rollForward(change: ChangeDoc): Promise<ChangeDoc | null> {
    const hooks = this.options.hooks;
    const id = change.offeringId;
    const stored = await this.offerings.findOne({ _id: id });
    const at = stored ? versionOf(stored) : null;
    if (change.after === null) {
      // A retirement: the offering must be at the version it was retired from, or gone already.
      if (stored && at === change.fromVersion) await this.offerings.deleteOne(atVersion(id, change.fromVersion));
      else if (stored) return this.abandon(change, `the offering is at version ${at}, not ${change.fromVersion}`);
    } else if (stored === null) {
      if (change.before !== null) return this.abandon(change, 'the offering was removed meanwhile');
      try {
        await this.offerings.insertOne(change.after.offering);
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
    } else if (at === change.fromVersion) {
      const replaced = await this.offerings.replaceOne(atVersion(id, change.fromVersion), change.after.offering);
      if (replaced.matchedCount === 0) {
        const now = await this.offerings.findOne({ _id: id });
        if (!now || versionOf(now) !== change.version) return this.abandon(change, `the offering moved to version ${now ? versionOf(now) : 'none'} meanwhile`);
      }
    } else if (at !== change.version) {
      return this.abandon(change, `the offering is at version ${at}, neither ${change.fromVersion} nor ${change.version}`);
    }
    await hooks?.afterStep?.('offering', change);

    const wanted = change.after?.listings ?? [];
    const keep = new Set(wanted.map((l) => l._id));
    // A retirement removes every listing of the offering; otherwise those the change dropped.
    const removed = change.after === null ? undefined : (change.before?.listings ?? []).map((l) => l._id).filter((lid) => !keep.has(lid));
    if (removed === undefined) await this.listings.deleteMany({ offeringId: id });
    else if (removed.length > 0) await this.listings.deleteMany({ _id: { $in: removed } });
    const before = new Map((change.before?.listings ?? []).map((l) => [l._id, canonicalJson(l)]));
    for (const listing of wanted) {
      if (before.get(listing._id) === canonicalJson(listing)) continue;
      await this.listings.replaceOne({ _id: listing._id }, listing, { upsert: true });
    }
    await hooks?.afterStep?.('listings', change);

    const committedAt = new Date().toISOString();
    // By `_id` alone (FerretDB v1 scans the audit trail for any other filter). Not conditional on `pending`: the
    // offering is at this change's version, so the change took effect, and committed is what the record must say,
    // even over an abandonment by a writer that saw the offering moved on by hand.
    await this.changes.updateOne({ _id: change._id }, { $set: { state: 'committed', at: committedAt }, $unset: { abandonReason: '' } });
    return { ...change, state: 'committed', at: committedAt };
  }

  private async abandon(change: ChangeDoc, reason: string): Promise<null> {
    await this.changes.updateOne({ _id: change._id, state: 'pending' }, { $set: { state: 'abandoned', abandonReason: reason } });
    this.options.logger?.warn(`catalog: change ${change._id} (${change.mutation}) abandoned: ${reason}`);
    return null;
  }

  /** The first result of an earlier request under the same key; a different request under it is refused. */
  private async replay(idempotency: { key: string; hash: string }): Promise<ChangeResult | undefined> {
    const earlier = (
      await this.changes
        .find({ idempotencyKey: idempotency.key, state: { $ne: 'abandoned' } })
        .sort({ recordedAt: 1 })
        .limit(1)
        .toArray()
    )[0];
    if (!earlier) return undefined;
    if (earlier.requestHash !== idempotency.hash) {
      throw new IdempotencyKeyReused(
        `The idempotencyKey was already used for a different request (${earlier.mutation} of ${earlier.offeringId}): use a new key for a new change, or resend exactly the first request.`,
      );
    }
    if (earlier.state === 'committed') return { change: earlier, replayed: true };
    const committed = await this.rollForward(earlier);
    await this.noteWrite();
    return committed ? { change: committed, replayed: true } : undefined;
  }
}

function unchanged(offeringId: string, version: number): CatalogUserError {
  return {
    field: ['input'],
    message: `Nothing to change: every field given already has that value in ${offeringId} and every source given is already recorded, so nothing was written and it stays at version ${version}. Give a field a new value, or a new source.`,
    code: 'UNCHANGED',
  };
}

function staleVersion(offeringId: string, given: number, current: number): CatalogUserError {
  return {
    field: ['input', 'version'],
    message: `The offering ${offeringId} is at version ${current}, not ${given}: someone changed it since you read it. Read it again (version, and what changed in its history) and redo your change from version ${current}.`,
    code: 'STALE_VERSION',
    currentVersion: current,
  };
}
