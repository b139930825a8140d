import { MongoClient, type CommandStartedEvent, type Db } from 'mongodb';
import type { Logger } from './logger';

export interface MongoOptions {
  /** Shown in server logs and `currentOp`, so operators can tell services apart. */
  appName: string;
  /** Called for every command the driver sends: feeds the per-command metrics. */
  onCommand?: (event: { commandName: string; collection: string | null; databaseName: string }) => void;
  /** Called when a command completes, with the driver's own measure of its round trip: feeds the latency histogram. */
  onCommandDone?: (event: { commandName: string; collection: string | null; durationMs: number; ok: boolean }) => void;
}

// Commands whose first argument is the collection name (find: "offerings", ...).
const COLLECTION_COMMANDS = new Set([
  'find',
  'aggregate',
  'count',
  'distinct',
  'insert',
  'update',
  'delete',
  'findAndModify',
  'createIndexes',
  'listIndexes',
  'drop',
  'create',
  'dropIndexes',
]);

function collectionOf(event: CommandStartedEvent): string | null {
  if (!COLLECTION_COMMANDS.has(event.commandName)) return null;
  const value: unknown = (event.command as Record<string, unknown>)[event.commandName];
  return typeof value === 'string' ? value : null;
}

/** How long one database operation of a request may take (MONGODB_TIMEOUT_MS): the driver's client-side timeout, sent as maxTimeMS. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 2_000;
/** The readiness ping's budget, so /health/ready answers within a second even when the database hangs. */
export const READINESS_PING_MS = 800;

/**
 * Creates the process's single MongoClient. Timeouts are short so a missing
 * or hung database fails a request quickly instead of hanging it (server
 * selection and connecting bounded; each serving operation is bounded by
 * the database handle's `timeoutMS`, see servingDb); writes wait for a
 * majority so a seeded catalog survives a primary failover.
 */
export function createMongoClient(uri: string, options: MongoOptions): MongoClient {
  const client = new MongoClient(uri, {
    appName: options.appName,
    serverSelectionTimeoutMS: 3_000,
    connectTimeoutMS: 3_000,
    socketTimeoutMS: 30_000,
    maxPoolSize: 20,
    writeConcern: { w: 'majority' },
    monitorCommands: options.onCommand !== undefined || options.onCommandDone !== undefined,
  });
  const { onCommand, onCommandDone } = options;
  // Completion events do not carry the command, so the collection is noted when it starts.
  const pending = new Map<number, string | null>();
  if (onCommand || onCommandDone) {
    client.on('commandStarted', (event) => {
      const collection = collectionOf(event);
      if (onCommandDone) pending.set(event.requestId, collection);
      onCommand?.({ commandName: event.commandName, collection, databaseName: event.databaseName });
    });
  }
  if (onCommandDone) {
    const done = (ok: boolean) => (event: { requestId: number; commandName: string; duration: number }) => {
      const collection = pending.get(event.requestId) ?? null;
      pending.delete(event.requestId);
      onCommandDone({ commandName: event.commandName, collection, durationMs: event.duration, ok });
    };
    client.on('commandSucceeded', done(true));
    client.on('commandFailed', done(false));
  }
  return client;
}

/** Connects and proves the connection with a ping, so start-up fails fast with a clear reason. */
export async function connectMongo(client: MongoClient, logger: Logger, label: string): Promise<void> {
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
  } catch (error) {
    throw new Error(
      `Could not reach the database for ${label}: ${(error as Error).message}. ` + 'Check MONGODB_URI, or leave it unset to use the embedded database.',
      { cause: error },
    );
  }
  logger.debug(`connected to the database for ${label}`);
}

/**
 * The database handle requests use: every operation through it carries the
 * driver's client-side operation timeout (CSOT), which also sends the time
 * left as maxTimeMS, so a hung database gives DATABASE_UNAVAILABLE within
 * `timeoutMs`. Seeding and index builds use the plain handle, which may take
 * longer.
 */
export function servingDb(client: MongoClient, databaseName: string, timeoutMs = DEFAULT_OPERATION_TIMEOUT_MS): Db {
  return client.db(databaseName, { timeoutMS: timeoutMs });
}

/** True when the database answers a ping: the readiness probe. */
export async function pingDb(db: Db): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  // The driver's timeout does not cover every wait (a connection being set up to a hung server), so the probe keeps its own clock too.
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), READINESS_PING_MS);
  });
  try {
    return await Promise.race([
      db.command({ ping: 1 }, { timeoutMS: READINESS_PING_MS }).then(
        () => true,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
