import type { Collection, Db } from 'mongodb';
import type { EnvReader } from '@qsmo/service-kit/config';
import type { Logger } from '@qsmo/service-kit/logger';
import { ensureIndexes } from '@qsmo/service-kit/seeding';
import type { SchemaChange } from './diff';

/**
 * Field usage, per client: which schema coordinates (`Type.field`) the
 * graph's clients select, so a schema check can tell a removal no client
 * needs from one that breaks somebody. Stored in the registry database:
 *
 * - field_usage: one document per (day, client, coordinate), counted with
 *   `$inc` upserts; at most FIELD_USAGE_MAX_CLIENTS clients per gateway
 *   (the rest count as "other"), and days older than
 *   FIELD_USAGE_RETENTION_DAYS are deleted by the flush (FerretDB v1 has no
 *   TTL indexes), so its size is bounded by clients × fields × days;
 * - field_usage_recording: when recording began, so a check knows whether
 *   "no client used it" covers its whole window or only part of it.
 */
export const FIELD_USAGE = 'field_usage';
export const FIELD_USAGE_RECORDING = 'field_usage_recording';

export interface FieldUsageDoc {
  /** "<day>|<client>|<coordinate>". */
  _id: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  client: string;
  coordinate: string;
  /** Operations that selected the field that day. */
  count: number;
  lastSeenAt: Date;
}

/** One client's use of a field within a check's window. */
export interface FieldUse {
  client: string;
  count: number;
  lastSeenAt: Date;
}

/** What a check knows about the use of the fields it looks at. */
export interface UsageIndex {
  /** USAGE_WINDOW_DAYS: how far back a use makes a removal breaking. */
  windowDays: number;
  /** When recording began; null when nothing was ever recorded. */
  recordingSince: Date | null;
  now: Date;
  /** Uses within the window, by coordinate; a coordinate absent here was not used. */
  uses: ReadonlyMap<string, readonly FieldUse[]>;
}

/** The usage settings: recording at the gateway and the window checks look back over. */
export interface UsageConfig {
  /** FIELD_USAGE: whether the gateway records usage (when it has a registry database). */
  enabled: boolean;
  /** FIELD_USAGE_FLUSH_MS: how often counts are written. */
  flushIntervalMs: number;
  /** FIELD_USAGE_RETENTION_DAYS: days kept. */
  retentionDays: number;
  /** FIELD_USAGE_MAX_CLIENTS: distinct client names per gateway; the rest are "other". */
  maxClients: number;
  /** USAGE_WINDOW_DAYS: a field used within this many days is in use. */
  windowDays: number;
}

export const DEFAULT_USAGE_WINDOW_DAYS = 30;

/** Reads the usage settings once; a window longer than the retention could never be answered, so it is refused. */
export function readUsageConfig(env: EnvReader): UsageConfig {
  const config: UsageConfig = {
    enabled: env.boolean('FIELD_USAGE', true),
    flushIntervalMs: env.positiveInt('FIELD_USAGE_FLUSH_MS', 10_000),
    retentionDays: env.positiveInt('FIELD_USAGE_RETENTION_DAYS', 90),
    maxClients: env.positiveInt('FIELD_USAGE_MAX_CLIENTS', 200),
    windowDays: env.positiveInt('USAGE_WINDOW_DAYS', DEFAULT_USAGE_WINDOW_DAYS),
  };
  if (config.windowDays > config.retentionDays) {
    env.problem(
      `USAGE_WINDOW_DAYS=${config.windowDays} is longer than FIELD_USAGE_RETENTION_DAYS=${config.retentionDays}: usage older than the retention is deleted, so raise the retention or shorten the window.`,
    );
  }
  return config;
}

const DAY_MS = 86_400_000;
/** The UTC day of a moment, as stored. */
export const dayOf = (at: Date) => at.toISOString().slice(0, 10);

/** The registry's field usage collections. */
export class FieldUsageStore {
  readonly usage: Collection<FieldUsageDoc>;
  readonly recording: Collection<{ _id: string; since: Date }>;
  private indexes: Promise<void> | undefined;
  private lastCleanup = 0;

  constructor(readonly db: Db) {
    this.usage = db.collection<FieldUsageDoc>(FIELD_USAGE);
    this.recording = db.collection<{ _id: string; since: Date }>(FIELD_USAGE_RECORDING);
  }

  private ensureIndexes(): Promise<void> {
    this.indexes ??= ensureIndexes(this.db, [
      {
        collection: FIELD_USAGE,
        indexes: [
          { key: { coordinate: 1, day: 1 }, name: 'coordinate_day' },
          { key: { day: 1 }, name: 'day' },
        ],
      },
    ]).catch((error: unknown) => {
      this.indexes = undefined;
      throw error;
    });
    return this.indexes;
  }

  /**
   * Adds counts: `counts` maps client → coordinate → operations. One
   * unordered bulk of upserts per flush; then, at most hourly, deletes days
   * past the retention.
   */
  async record(counts: ReadonlyMap<string, ReadonlyMap<string, number>>, at: Date, retentionDays: number): Promise<void> {
    await this.ensureIndexes();
    const day = dayOf(at);
    const ops = [];
    for (const [client, coordinates] of counts) {
      for (const [coordinate, n] of coordinates) {
        ops.push({
          updateOne: {
            filter: { _id: `${day}|${client}|${coordinate}` },
            update: { $inc: { count: n }, $set: { day, client, coordinate, lastSeenAt: at } },
            upsert: true,
          },
        });
      }
    }
    if (ops.length === 0) return;
    await this.recording.updateOne({ _id: 'since' }, { $setOnInsert: { since: at } }, { upsert: true });
    await this.usage.bulkWrite(ops, { ordered: false });
    if (at.getTime() - this.lastCleanup >= 3_600_000) {
      this.lastCleanup = at.getTime();
      await this.usage.deleteMany({ day: { $lt: dayOf(new Date(at.getTime() - retentionDays * DAY_MS)) } });
    }
  }

  /** When recording began (the first flush), or null. */
  async recordingSince(): Promise<Date | null> {
    return (await this.recording.findOne({ _id: 'since' }))?.since ?? null;
  }

  /** Who used each coordinate within the window, newest use first. */
  async index(coordinates: readonly string[], windowDays: number, now = new Date()): Promise<UsageIndex> {
    const uses = new Map<string, FieldUse[]>();
    if (coordinates.length > 0) {
      const since = dayOf(new Date(now.getTime() - windowDays * DAY_MS));
      const docs = await this.usage
        .find({ coordinate: { $in: [...coordinates] }, day: { $gte: since } }, { projection: { _id: 0, coordinate: 1, client: 1, count: 1, lastSeenAt: 1 } })
        .toArray();
      const byKey = new Map<string, FieldUse & { coordinate: string }>();
      for (const doc of docs) {
        const key = `${doc.coordinate}|${doc.client}`;
        const known = byKey.get(key);
        if (!known) byKey.set(key, { coordinate: doc.coordinate, client: doc.client, count: doc.count, lastSeenAt: doc.lastSeenAt });
        else {
          known.count += doc.count;
          if (doc.lastSeenAt > known.lastSeenAt) known.lastSeenAt = doc.lastSeenAt;
        }
      }
      for (const { coordinate, ...use } of byKey.values()) {
        const list = uses.get(coordinate) ?? [];
        list.push(use);
        uses.set(coordinate, list);
      }
      for (const list of uses.values()) list.sort((a, b) => b.lastSeenAt.getTime() - a.lastSeenAt.getTime() || a.client.localeCompare(b.client));
    }
    return { windowDays, recordingSince: await this.recordingSince(), now, uses };
  }
}

/** The coordinate a FIELD_REMOVED change names ("GrantsManagementOffering.notes was removed."), else undefined. */
export function removedCoordinate(change: SchemaChange): string | undefined {
  if (change.type !== 'FIELD_REMOVED') return undefined;
  return /^([_A-Za-z]\w*\.[_A-Za-z]\w*) was removed\.$/.exec(change.description)?.[1];
}

/** A removal no client needs, with why the check believes so. */
export interface SafeRemoval extends SchemaChange {
  coordinate: string;
}

/** How `uses` reads in a report: "web-portal (last 2026-11-30, 12 operations)". */
export function describeUses(uses: readonly FieldUse[]): string {
  return uses.map((u) => `${u.client} (last ${dayOf(u.lastSeenAt)}, ${u.count} operation${u.count === 1 ? '' : 's'})`).join(', ');
}

/**
 * Splits a subgraph's breaking changes by usage: a removed field no client
 * selected within the window, while recording covered the whole window, is
 * safe; one that clients selected stays breaking and names them and their
 * last use; without enough recorded history a removal stays breaking and
 * says how far back the record goes. Other breaking changes are untouched.
 */
export function classifyRemovals(breaking: readonly SchemaChange[], usage: UsageIndex): { breaking: SchemaChange[]; safe: SafeRemoval[] } {
  const covers = usage.recordingSince !== null && usage.now.getTime() - usage.recordingSince.getTime() >= usage.windowDays * DAY_MS;
  const out: { breaking: SchemaChange[]; safe: SafeRemoval[] } = { breaking: [], safe: [] };
  for (const change of breaking) {
    const coordinate = removedCoordinate(change);
    if (!coordinate) {
      out.breaking.push(change);
      continue;
    }
    const uses = usage.uses.get(coordinate) ?? [];
    if (uses.length > 0) {
      out.breaking.push({ ...change, description: `${change.description} Used in the last ${usage.windowDays} days by ${describeUses(uses)}.` });
    } else if (covers) {
      out.safe.push({ ...change, coordinate, description: `${change.description} No client selected it in the last ${usage.windowDays} days.` });
    } else {
      const since = usage.recordingSince ? `only since ${dayOf(usage.recordingSince)}` : 'not at all yet';
      out.breaking.push({
        ...change,
        description: `${change.description} No client selected it, but usage is recorded ${since}, less than the ${usage.windowDays}-day window (USAGE_WINDOW_DAYS).`,
      });
    }
  }
  return out;
}

/** Ends a logger-free promise chain: usage is best effort and never fails a request. */
export function logFlushFailure(logger: Logger) {
  return (error: unknown) =>
    logger.warn(`field usage could not be written to the registry; the counts are kept for the next flush: ${(error as Error).message}`);
}
