import type { Db } from 'mongodb';
import type { Logger } from '@qsmo/service-kit/logger';
import { REFERENCE_COLLECTIONS } from '../reference/documents';
import { ensureIndexes, fingerprint, lastSeed, recordSeed, replaceCollection, type CollectionIndexes } from '@qsmo/service-kit/seeding';
import { validateCatalog, type SubgraphCatalog } from './catalog';
import { DOMAIN_COLLECTIONS, DOMAIN_INDEXES, domainCollections, type CustomerLinkDoc, type OfferingDoc } from './data';
import { auditSides, changedFieldsOf, type ChangeDoc, type OfferingSnapshot } from './changes';

export const REFERENCE_INDEXES: CollectionIndexes[] = [
  {
    collection: REFERENCE_COLLECTIONS.agencies,
    indexes: [
      { key: { sortKey: 1, _id: 1 }, name: 'sortKey_id' },
      { key: { cfoAct: 1, sortKey: 1 }, name: 'cfoAct_sortKey' },
    ],
  },
  {
    collection: REFERENCE_COLLECTIONS.providers,
    indexes: [
      { key: { sortKey: 1, _id: 1 }, name: 'sortKey_id' },
      { key: { domains: 1 }, name: 'domains' },
      { key: { sector: 1, sortKey: 1 }, name: 'sector_sortKey' },
    ],
  },
];

/** When a subgraph seeds at start-up: `auto` loads an empty or outdated database and leaves a current one alone. */
export type SeedPolicy = 'auto' | 'always' | 'never';
export const SEED_POLICIES: readonly SeedPolicy[] = ['auto', 'always', 'never'];

export async function ensureSubgraphIndexes(db: Db): Promise<void> {
  await ensureIndexes(db, [...REFERENCE_INDEXES, ...DOMAIN_INDEXES]);
}

/** What a seed does with a marketplace its team has edited since it was last seeded. */
export type OnEdits = 'keep' | 'refuse' | 'reset';

export interface SeedOptions {
  /**
   * `keep` (a service start): load the reference data and FIBF standard but
   * leave the team's offerings and listings, and say so; `refuse` (`npm run
   * seed`): stop with a message naming the reset; `reset`: replace them with
   * the reference catalog, recording the reset in the audit trail. Default keep.
   */
  onEdits?: OnEdits;
}

/** A seed that would overwrite a team's edits, refused: the message says how to keep or replace them. */
export class EditsPresent extends Error {
  override readonly name = 'EditsPresent';
}

/** Committed changes made since the database was last seeded, with the newest one (the reference catalog is the initial load; these are the team's). */
export async function editsSinceSeed(db: Db): Promise<{ count: number; latest: ChangeDoc | null }> {
  const seededAt = (await db.collection<{ _id: string; seededAt?: Date }>('_meta').findOne({ _id: 'seed' }))?.seededAt;
  const changes = domainCollections(db).changes;
  const filter = { state: 'committed' as const, mutation: { $ne: RESET_MUTATION }, ...(seededAt ? { at: { $gt: seededAt.toISOString() } } : {}) };
  const count = await changes.countDocuments(filter);
  const latest = count > 0 ? ((await changes.find(filter).sort({ at: -1 }).limit(1).toArray())[0] ?? null) : null;
  return { count, latest };
}

/** The audit trail names a reset so, and it does not count as an edit. */
export const RESET_MUTATION = 'seed --reset';

/**
 * Loads a subgraph's catalog into its database. Idempotent: each collection
 * ends up holding exactly the catalog's documents. Returns whether it wrote.
 * Once the QSMO's team has edited its marketplace, the reference CSVs no
 * longer overwrite its offerings and listings unless a reset is asked for
 * (see SeedOptions).
 */
export async function seedSubgraph(db: Db, catalog: SubgraphCatalog, policy: SeedPolicy, logger: Logger, options: SeedOptions = {}): Promise<boolean> {
  if (policy === 'never') return false;
  const onEdits = options.onEdits ?? 'keep';
  const { description, ...collections } = catalog;
  const print = fingerprint(collections);
  if (policy === 'auto' && onEdits !== 'reset') {
    const last = await lastSeed(db);
    if (last?.fingerprint === print) return false;
    // A load-test database must not be silently replaced by the real catalog at a service start.
    if (last && /synthetic/i.test(last.description)) {
      logger.warn(`${db.databaseName} holds synthetic data (${last.description}); not reseeding it. Use SEED_ON_START=always or npm run seed to replace it.`);
      return false;
    }
  }
  validateCatalog(catalog);
  const edits = await editsSinceSeed(db);
  const keepEdits = edits.count > 0 && onEdits !== 'reset';
  if (keepEdits) {
    const who = edits.latest
      ? ` (the latest, ${edits.latest.mutation} of ${edits.latest.offeringId} by ${edits.latest.actor.subject} at ${edits.latest.at})`
      : '';
    const message = `${db.databaseName} has ${edits.count} edit(s) by its QSMO team since it was seeded${who}.`;
    if (onEdits === 'refuse') {
      throw new EditsPresent(
        `${message} Not overwriting them. To take in reference changes while keeping the edits, import the reference rows with catalog:import (it shows the difference first); to replace the edits with the reference catalog, run the seed with --reset (or SEED_RESET=true).`,
      );
    }
    logger.warn(
      `${message} Keeping its offerings and customer listings; loading only the reference data and the FIBF standard. Reset explicitly (npm run seed -- --reset, or SEED_RESET=true) to replace them with the reference catalog.`,
    );
  }
  await replaceCollection(db, REFERENCE_COLLECTIONS.agencies, catalog.agencies);
  await replaceCollection(db, REFERENCE_COLLECTIONS.providers, catalog.providers);
  await replaceCollection(db, REFERENCE_COLLECTIONS.qsmos, catalog.qsmos);
  await replaceCollection(db, DOMAIN_COLLECTIONS.capabilities, catalog.capabilities);
  await ensureSubgraphIndexes(db);
  if (keepEdits) return true;
  const offerings = await continueVersions(db, catalog);
  await replaceCollection(db, DOMAIN_COLLECTIONS.offerings, offerings);
  await replaceCollection(db, DOMAIN_COLLECTIONS.customerLinks, catalog.customerLinks);
  // Only a seed that loaded the offerings restarts the count of edits: a kept marketplace stays "edited" until reset.
  await recordSeed(db, print, description);
  logger.info(
    `seeded ${db.databaseName}: ${catalog.offerings.length} offerings, ${catalog.capabilities.length} FIBF entries, ` +
      `${catalog.customerLinks.length} customer links, ${catalog.agencies.length} agencies, ${catalog.providers.length} providers`,
  );
  return true;
}

/**
 * Offerings with a history keep counting their versions across a reseed, so
 * an audit record id (`<offering>@<version>`) is never reused; a reset
 * records, for each of them that it changes, one audit record naming it.
 */
async function continueVersions(db: Db, catalog: SubgraphCatalog): Promise<OfferingDoc[]> {
  const c = domainCollections(db);
  const latest = new Map<string, number>();
  // FerretDB v1 has no $max accumulator: the versions are few, so they are read and compared here.
  for await (const ch of c.changes.find({ state: { $ne: 'abandoned' } }, { projection: { offeringId: 1, version: 1 } })) {
    latest.set(ch.offeringId, Math.max(latest.get(ch.offeringId) ?? 0, ch.version));
  }
  if (latest.size === 0) return catalog.offerings;
  const seeded = new Map(catalog.offerings.map((o) => [o._id, o]));
  const at = new Date().toISOString();
  const ids = [...latest.keys()];
  const current = new Map((await c.offerings.find({ _id: { $in: ids } }).toArray()).map((o) => [o._id, o]));
  const listings = await c.customerLinks.find({ offeringId: { $in: ids } }).toArray();
  const snapshot = (o: OfferingDoc | undefined, ls: readonly CustomerLinkDoc[]): OfferingSnapshot | null =>
    o ? { offering: o, listings: ls.filter((l) => l.offeringId === o._id).sort((a, b) => (a._id < b._id ? -1 : 1)) } : null;
  const next = new Map<string, number>();
  const records: ChangeDoc[] = [];
  for (const id of ids) {
    const before = snapshot(current.get(id), listings);
    const after = snapshot(seeded.get(id), catalog.customerLinks);
    const unchanged = before && after && changedFieldsOf(before, after).length === 0;
    if ((!before && !after) || unchanged) {
      if (before) next.set(id, before.offering.version ?? latest.get(id)!);
      continue;
    }
    const version = latest.get(id)! + 1;
    next.set(id, version);
    if (after) after.offering = { ...after.offering, version };
    const changedFields = changedFieldsOf(before, after);
    records.push({
      _id: `${id}@${version}`,
      offeringId: id,
      version,
      fromVersion: version - 1,
      mutation: RESET_MUTATION,
      actor: { subject: 'seed', issuer: null },
      recordedAt: at,
      at,
      state: 'committed',
      ...auditSides(before, after, changedFields),
      changedFields,
      sources: [...(seeded.get(id)?.sources ?? [])],
      verification: seeded.get(id)?.verification ?? 'UNVERIFIED',
    });
  }
  if (records.length > 0) await c.changes.insertMany(records);
  return catalog.offerings.map((o) => (next.has(o._id) ? { ...o, version: next.get(o._id)! } : o));
}
