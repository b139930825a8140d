import type { Collection, Db, Document } from 'mongodb';
import { Counter, type Registry } from 'prom-client';
import type { EnvReader } from '@qsmo/service-kit/config';
import type { Logger } from '@qsmo/service-kit/logger';
import { runAggregate, runCount, runFind, Unsupported } from './read-model-match';

const unsupported = (): never => {
  throw new Unsupported('cursor calls on an aggregation');
};

/**
 * A subgraph's exact in-process read model: the results of its read
 * commands, kept in memory until the data they were read from may have
 * changed.
 *
 * Why: the embedded FerretDB v1 (SQLite) pushes no `$in`, range or sort
 * down to SQLite, so every `find` decodes the whole collection's JSON in Go:
 * about 10 ms for 15 offerings, 117 ms for 772 FIBF entries, whatever the
 * result size. The catalog changes a few times a day, so the same reads are
 * answered again and again from the same data.
 *
 * Exact, not eventually right:
 * - a write through a wrapped collection empties the model before the write
 *   resolves and bumps a change counter (`_meta` document `changes`) in the
 *   same database;
 * - every replica polls that counter and the seed record (`_meta` `seed`,
 *   rewritten by every seed) each `pollIntervalMs` and empties its model
 *   when either changed, so a write by another replica or tool (a seed,
 *   `npm run seed`) is served at most that long;
 * - a read that started before an invalidation is never stored (a generation
 *   number guards it), so a slow read cannot put old data back.
 * The same code runs on a real MongoDB, where it saves the round trips.
 * Identical reads in flight share one command.
 *
 * Whole collections: a collection of at most SNAPSHOT_MAX_DOCUMENTS is read
 * whole once (one `find`, which costs FerretDB v1 what any `find` of it
 * costs) and the finds, counts and aggregations whose shapes
 * read-model-match.ts reproduces exactly are answered from that snapshot
 * (each answer remembered with it); any other command is kept per command
 * as before. Snapshots are loaded when the subgraph starts
 * and again right after each invalidation, so no caller meets a cold
 * collection after a write or at start-up. A snapshot obeys the same rules
 * as any other result (generation, max age, change counter).
 */
export interface ReadModelOptions {
  /** How often the change counter is read; the bound on serving a write made elsewhere. */
  pollIntervalMs: number;
  /** Results kept at most (least recently used go first). */
  maxEntries: number;
  /**
   * How long a result is kept at most: the bound for a writer that neither
   * goes through a wrapped collection nor bumps the counter (a hand edit).
   */
  maxAgeMs: number;
  logger: Logger;
  /** Where its hit/miss counter is registered (the service's /metrics). */
  registry?: Registry;
}

/** READ_MODEL, READ_MODEL_POLL_MS, READ_MODEL_MAX_ENTRIES and READ_MODEL_MAX_AGE_MS; undefined when the model is off. */
export type ReadModelConfig = Omit<ReadModelOptions, 'logger' | 'registry'> | undefined;

/** One poll a second bounds another replica's write to a second; 2000 results cover the catalog's read shapes many times over. */
export const DEFAULT_READ_MODEL = { pollIntervalMs: 1_000, maxEntries: 2_000, maxAgeMs: 60_000 } as const;

/**
 * Reads the read model's settings once at the entry point. On by default
 * only for the embedded database (MONGODB_URI unset); with MONGODB_URI it is
 * off unless READ_MODEL=on (docs/reference/configuration.md, "Read model", says why).
 */
export function readReadModelConfig(env: EnvReader): ReadModelConfig {
  const external = env.mongoUri('MONGODB_URI') !== undefined;
  const mode = env.oneOf('READ_MODEL', ['on', 'off'] as const, external ? 'off' : 'on');
  const pollIntervalMs = env.positiveInt('READ_MODEL_POLL_MS', DEFAULT_READ_MODEL.pollIntervalMs);
  const maxEntries = env.positiveInt('READ_MODEL_MAX_ENTRIES', DEFAULT_READ_MODEL.maxEntries);
  const maxAgeMs = env.positiveInt('READ_MODEL_MAX_AGE_MS', DEFAULT_READ_MODEL.maxAgeMs);
  return mode === 'off' ? undefined : { pollIntervalMs, maxEntries, maxAgeMs };
}

/**
 * Collections up to this size are held whole: the catalog's largest (FIBF
 * entries, customer listings) are a few thousand small documents.
 */
export const SNAPSHOT_MAX_DOCUMENTS = 20_000;

const META = '_meta';
/** A command whose shape a snapshot cannot answer exactly: remembered, so it is not tried again on the same snapshot. */
const UNSUPPORTED = Symbol('unsupported');
const CHANGES_ID = 'changes';

/** Methods that only read; every other method of a collection that returns a promise is treated as a write. */
const PROMISED_READS = new Set(['countDocuments', 'estimatedDocumentCount', 'findOne', 'distinct']);
const WRITES = /^(insert|update|replace|delete|findOneAnd|bulkWrite|drop|rename|createIndex|dropIndex)/;

/**
 * A subgraph database's data version: its change counter (`_meta.changes`,
 * bumped by every catalog write) and seed record (`_meta.seed`, rewritten by
 * every seed), as one opaque string. The read models and the gateway's
 * response caches compare it to learn that data changed elsewhere.
 */
export async function readDataVersion(db: Db): Promise<string> {
  const docs = await db
    .collection<Document>(META)
    .find({ _id: { $in: [CHANGES_ID, 'seed'] } } as Document)
    .toArray();
  return JSON.stringify(docs.map((d) => [d._id, d.version ?? null, d.seededAt ?? null, d.fingerprint ?? null]).sort());
}

/** Tells every reader of the data version that this database's catalog changed (after a write). */
export async function bumpChangeCounter(db: Db): Promise<void> {
  await db.collection<{ _id: string; version?: number }>(META).updateOne({ _id: CHANGES_ID }, { $inc: { version: 1 } }, { upsert: true });
}

/** A key for one read: RegExp values (search filters) keep their source, which JSON would drop. */
/** The collection a result's key belongs to (keys start with it, see keyOf). */
function collectionOfKey(key: string): string {
  return key.slice(0, key.indexOf('\u0000'));
}

function keyOf(collection: string, op: string, args: unknown): string {
  return `${collection}\u0000${op}\u0000${JSON.stringify(args, (_k, v: unknown) => (v instanceof RegExp ? `\u0000re:${v.source}/${v.flags}` : v))}`;
}

/**
 * A fresh copy of the result for each caller: callers sort lists in place,
 * and @apollo/subgraph writes `__typename` onto the documents it resolves
 * as entities. Documents are copied one level deep (all the resolvers
 * write); nested values are shared and never written.
 */
function handOut<T>(value: T): T {
  const copy = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? { ...(v as object) } : v);
  return (Array.isArray(value) ? value.map(copy) : copy(value)) as T;
}

/** The read model of one subgraph database (see ReadModelOptions for what makes it exact). */
export class ReadModel {
  private readonly entries = new Map<string, { value: unknown; at: number }>();
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private generation = 0;
  /** Invalidations of one collection only (see invalidate). */
  private readonly generations = new Map<string, number>();
  private token: string | undefined;
  /**
   * This replica's writes begun, and those not yet recorded in `token`: a
   * poll that overlaps one would otherwise take the write's own bump for a
   * change made elsewhere (and forget everything), or put back the version
   * from before it.
   */
  private writes = 0;
  private writesUnderWay = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly reads: Counter<'result'> | undefined;
  /** Wrapped collections by name, whose snapshots are loaded ahead of the first read. */
  // biome-ignore lint/suspicious/noExplicitAny: the model wraps any collection of any document type, as the driver's own generic does
  private readonly wrapped = new Map<string, Collection<any>>();
  private warming: NodeJS.Immediate | undefined;
  /** Answers computed from each snapshot, by command key (see fromSnapshot). */
  private readonly answers = new WeakMap<readonly Document[], Map<string, unknown>>();

  constructor(
    private readonly db: Db,
    private readonly options: ReadModelOptions,
  ) {
    this.reads = options.registry
      ? new Counter({
          name: 'read_model_reads_total',
          help: 'Reads answered by the in-process read model (hit: a kept result; snapshot: from a whole collection held in memory) or sent to the database (miss)',
          labelNames: ['result'],
          registers: [options.registry],
        })
      : undefined;
  }

  /** How long after another replica's write this one may still answer from before it: one poll of the change counter. */
  get lagMs(): number {
    return this.options.pollIntervalMs;
  }

  /** Results held now: bounded by maxEntries. */
  get size(): number {
    return this.entries.size;
  }

  /** Starts following the change counter; call once the database is reachable. */
  async start(): Promise<void> {
    this.token = await readDataVersion(this.db);
    this.timer = setInterval(() => void this.poll(), this.options.pollIntervalMs);
    this.timer.unref();
    await this.warm();
  }

  /** Stops following the change counter (at shutdown). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.warming) clearImmediate(this.warming);
    this.warming = undefined;
  }

  /**
   * Loads the snapshot of every wrapped collection (at start and after each
   * invalidation), so the first reader of a collection after either finds
   * it in memory. A failure is only logged: reads then load it themselves.
   */
  async warm(): Promise<void> {
    await Promise.all(
      [...this.wrapped].map(([name, c]) =>
        this.snapshot(name, c).catch((error: Error) => {
          this.options.logger.debug(`read model: ${name} not loaded ahead (${error.message})`);
        }),
      ),
    );
  }

  /**
   * Forgets results held here (this replica only): every one, or only those
   * of the named collections, whose writes cannot change any other result
   * (each result is one collection's; FerretDB v1 and the subgraphs have no
   * cross-collection reads). Keeping the untouched collections' snapshots is
   * what keeps a write from stalling reads while everything reloads.
   */
  invalidate(collections?: readonly string[]): void {
    if (collections === undefined) {
      this.generation++;
      this.entries.clear();
      this.inFlight.clear();
    } else {
      for (const name of collections) this.generations.set(name, (this.generations.get(name) ?? 0) + 1);
      const touched = (key: string) => collections.includes(collectionOfKey(key));
      for (const key of [...this.entries.keys()]) if (touched(key)) this.entries.delete(key);
      for (const key of [...this.inFlight.keys()]) if (touched(key)) this.inFlight.delete(key);
    }
    // Reload the snapshots once the writer's turn is over (only while started: not after stop()).
    if (this.timer && !this.warming) {
      this.warming = setImmediate(() => {
        this.warming = undefined;
        void this.warm();
      });
      this.warming.unref();
    }
  }

  /** @internal A whole collection, or undefined when it is larger than SNAPSHOT_MAX_DOCUMENTS or not held whole. */
  // biome-ignore lint/suspicious/noExplicitAny: the model wraps any collection of any document type, as the driver's own generic does
  async snapshot(name: string, collection: Collection<any>): Promise<readonly Document[] | undefined> {
    if (!this.wrapped.has(name)) return undefined;
    const all = await this.read(
      keyOf(name, 'snapshot', []),
      () =>
        collection
          .find({})
          .limit(SNAPSHOT_MAX_DOCUMENTS + 1)
          .toArray(),
      false,
    );
    return all.length > SNAPSHOT_MAX_DOCUMENTS ? undefined : all;
  }

  /**
   * @internal A find or count answered from the collection's snapshot;
   * undefined when its shape is not reproduced exactly. The answer is a pure
   * function of the snapshot and the command (`key`), so it is remembered
   * with that snapshot: a reloaded snapshot starts with no answers, which
   * keeps the memo exactly as fresh as the snapshot itself.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the model wraps any collection of any document type, as the driver's own generic does
  async fromSnapshot<R>(name: string, collection: Collection<any>, key: string, answer: (all: readonly Document[]) => R): Promise<R | undefined> {
    const all = await this.snapshot(name, collection);
    if (!all) return undefined;
    let memo = this.answers.get(all);
    if (!memo) this.answers.set(all, (memo = new Map()));
    let result = memo.get(key) as R | typeof UNSUPPORTED | undefined;
    if (result === undefined) {
      try {
        result = answer(all);
      } catch (error) {
        if (!(error instanceof Unsupported)) throw error;
        result = UNSUPPORTED;
      }
      // Bounded like the results: the oldest answers go first.
      if (memo.size >= this.options.maxEntries) memo.delete(memo.keys().next().value as string);
      memo.set(key, result);
    }
    if (result === UNSUPPORTED) return undefined;
    this.reads?.inc({ result: 'snapshot' });
    return handOut(result);
  }

  /**
   * After a write to this database: forgets every result here and bumps the
   * change counter, so every other replica forgets its results within one poll.
   */
  async noteWrite(collections?: readonly string[]): Promise<void> {
    this.writes++;
    this.writesUnderWay++;
    try {
      this.invalidate(collections);
      await bumpChangeCounter(this.db);
      this.token = await readDataVersion(this.db);
      this.invalidate(collections);
    } finally {
      this.writesUnderWay--;
    }
  }

  /**
   * The same collection, its reads answered from the model and its writes
   * invalidating it. `whole: false` keeps its results per command only, never
   * the collection itself: for a collection that grows without bound and is
   * rarely read (the audit trail), whose every reload would cost a scan of
   * all of it after each write.
   */
  wrap<T extends Document>(collection: Collection<T>, { whole = true }: { whole?: boolean } = {}): Collection<T> {
    const model = this;
    const name = collection.collectionName;
    if (whole) model.wrapped.set(name, collection);
    return new Proxy(collection, {
      get(target, prop, receiver) {
        const real = Reflect.get(target, prop, receiver) as unknown;
        if (typeof prop !== 'string' || typeof real !== 'function') return real;
        if (prop === 'find' || prop === 'aggregate') {
          return (...args: unknown[]) => new RecordedCursor(model, name, prop, args, target);
        }
        if (prop === 'countDocuments') {
          return async (...args: unknown[]) => {
            const key = keyOf(name, prop, args);
            return (
              (await model.fromSnapshot(name, target, key, (all) => runCount(all, args))) ??
              model.read(key, () => (real as (...a: unknown[]) => Promise<unknown>).apply(target, args))
            );
          };
        }
        if (PROMISED_READS.has(prop)) {
          return (...args: unknown[]) => model.read(keyOf(name, prop, args), () => (real as (...a: unknown[]) => Promise<unknown>).apply(target, args));
        }
        if (WRITES.test(prop)) {
          return async (...args: unknown[]) => {
            model.invalidate([name]);
            try {
              return await (real as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            } finally {
              await model.noteWrite([name]);
            }
          };
        }
        return (real as (...a: unknown[]) => unknown).bind(target);
      },
    });
  }

  /** Every collection of a record wrapped (a subgraph's context collections); those named in `notWhole` are never held whole. */
  // biome-ignore lint/suspicious/noExplicitAny: the model wraps any collection of any document type, as the driver's own generic does
  wrapAll<C extends Record<string, Collection<any>>>(collections: C, { notWhole = [] }: { notWhole?: readonly string[] } = {}): C {
    return Object.fromEntries(Object.entries(collections).map(([k, c]) => [k, this.wrap(c, { whole: !notWhole.includes(c.collectionName) })])) as C;
  }

  /** @internal A read through the model: a held result, the same read in flight, or the database. */
  async read<R>(key: string, load: () => Promise<R>, copy = true): Promise<R> {
    const out = copy ? handOut : <T>(v: T) => v;
    const held = this.entries.get(key);
    if (held && Date.now() - held.at <= this.options.maxAgeMs) {
      // Least recently used goes first: a hit moves to the back.
      this.entries.delete(key);
      this.entries.set(key, held);
      this.reads?.inc({ result: 'hit' });
      return out(held.value as R);
    }
    const pending = this.inFlight.get(key) as Promise<R> | undefined;
    if (pending !== undefined) {
      this.reads?.inc({ result: 'hit' });
      return out(await pending);
    }
    this.reads?.inc({ result: 'miss' });
    const generation = this.generationOf(key);
    const promise = load();
    this.inFlight.set(key, promise);
    try {
      const value = await promise;
      // Invalidated while reading: the result may predate the change, so it is handed out once and not kept.
      if (generation === this.generationOf(key)) {
        this.entries.delete(key);
        this.entries.set(key, { value, at: Date.now() });
        while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
      }
      return out(value);
    } finally {
      if (this.inFlight.get(key) === promise) this.inFlight.delete(key);
    }
  }

  /** The invalidations a result of `key` has seen: all of them, and its own collection's. */
  private generationOf(key: string): string {
    return `${this.generation}/${this.generations.get(collectionOfKey(key)) ?? 0}`;
  }

  /**
   * The version of this database's data as this replica last read it (the
   * change counter and the seed record): it changes with every write through
   * any replica or tool that bumps the counter, and with every seed.
   */
  async dataVersion(): Promise<string> {
    return this.token ?? (this.token = await readDataVersion(this.db));
  }

  private async poll(): Promise<void> {
    const writes = this.writes;
    if (this.writesUnderWay > 0) return;
    try {
      const token = await readDataVersion(this.db);
      if (writes !== this.writes || this.writesUnderWay > 0) return;
      if (token !== this.token) {
        this.token = token;
        this.invalidate();
        this.options.logger.debug('read model: the data changed elsewhere; results forgotten');
      }
    } catch (error) {
      // Unknown state: serve nothing from memory until the counter can be read again.
      this.token = undefined;
      this.invalidate();
      this.options.logger.warn(`read model: the change counter could not be read (${(error as Error).message}); reading from the database`);
    }
  }
}

/**
 * What find() and aggregate() return through the model: records the cursor
 * calls the resolvers chain (sort, limit, skip, project) and runs them as one
 * read at toArray(), so the recorded calls are part of the key.
 */
class RecordedCursor {
  private readonly calls: [string, unknown[]][] = [];

  constructor(
    private readonly model: ReadModel,
    private readonly collection: string,
    private readonly op: 'find' | 'aggregate',
    private readonly args: unknown[],
    // biome-ignore lint/suspicious/noExplicitAny: the model wraps any collection of any document type, as the driver's own generic does
    private readonly target: Collection<any>,
  ) {}

  sort(...a: unknown[]): this {
    this.calls.push(['sort', a]);
    return this;
  }
  limit(...a: unknown[]): this {
    this.calls.push(['limit', a]);
    return this;
  }
  skip(...a: unknown[]): this {
    this.calls.push(['skip', a]);
    return this;
  }
  project(...a: unknown[]): this {
    this.calls.push(['project', a]);
    return this;
  }
  batchSize(): this {
    return this;
  }

  async toArray(): Promise<unknown[]> {
    const key = keyOf(this.collection, this.op, [this.args, this.calls]);
    const answered = await this.model.fromSnapshot(this.collection, this.target, key, (all) =>
      this.op === 'find' ? runFind(all, this.args, this.calls) : this.calls.length ? unsupported() : runAggregate(all, this.args),
    );
    if (answered) return answered;
    return this.model.read(key, () => {
      // biome-ignore lint/suspicious/noExplicitAny: the model wraps any collection of any document type, as the driver's own generic does
      let cursor = (this.target[this.op] as (...a: unknown[]) => any).apply(this.target, this.args);
      for (const [method, a] of this.calls) cursor = cursor[method](...a);
      return cursor.toArray() as Promise<unknown[]>;
    });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<unknown> {
    for (const doc of await this.toArray()) yield doc;
  }
}
