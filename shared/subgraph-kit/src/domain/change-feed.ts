import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from 'mongodb';
import type { Logger } from '@qsmo/service-kit/logger';
import { readDataVersion } from '../read-model';
import { domainCollections } from './data';

import { CHANGE_FEED_PATH, FEED_PAGE_SIZE, MAX_FEED_WAIT_MS, type FeedChange, type FeedPage } from '@qsmo/service-kit/change-feed-protocol';

export { CHANGE_FEED_PATH, FEED_PAGE_SIZE, MAX_FEED_WAIT_MS, type FeedChange, type FeedPage };
/** How often the data version is read while some follower waits: the latency a follower adds to a change. */
const WATCH_INTERVAL_MS = 200;

/**
 * Wakes the waiting reads of the feed when the data version moves. One
 * read of `_meta` per interval for all of them, and none while nobody waits.
 */
class DataVersionWatch {
  private readonly waiters = new Set<{ seen: string; wake: () => void }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly stopping: () => boolean,
    private readonly logger: Logger,
  ) {}

  /** Resolves once the data version differs from `seen`, after `waitMs`, or when the service stops serving. */
  wait(seen: string, waitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter = {
        seen,
        wake: () => {
          clearTimeout(timeout);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const timeout = setTimeout(waiter.wake, waitMs);
      this.waiters.add(waiter);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.timer || this.waiters.size === 0) return;
    this.timer = setTimeout(() => void this.tick(), WATCH_INTERVAL_MS);
  }

  private async tick(): Promise<void> {
    try {
      if (this.stopping()) {
        // A draining service must not hold its followers' reads until its drain timeout.
        for (const w of [...this.waiters]) w.wake();
        return;
      }
      const version = await readDataVersion(this.db);
      for (const w of [...this.waiters]) if (w.seen !== version) w.wake();
    } catch (error) {
      this.logger.debug(`change feed: data version unreadable, waiting readers keep waiting: ${(error as Error).message}`);
    } finally {
      this.timer = undefined;
      this.schedule();
    }
  }
}

/** Reads an ISO-8601 instant given as a query parameter; undefined when absent, an Error message when unreadable. */
function instant(value: string | null, name: string): string | undefined | Error {
  if (value === null || value === '') return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? new Error(`${name}=${value} is not an ISO-8601 time: send e.g. ${name}=2026-01-31T12:00:00.000Z.`) : new Date(time).toISOString();
}

/**
 * `GET /catalog-changes?since=<ISO time>&version=<data version>&waitMs=<ms>`:
 * the committed changes of this marketplace with a commit time on or after
 * `since`, in commit order. With `version` (the one the follower last
 * read) and `waitMs`, a read with nothing new waits until the data version
 * moves (a write through any replica or tool, a seed) or the time is up: a
 * long poll, so a follower learns of a change within a fraction of a
 * second without asking again and again. Commit times come from the
 * writers' clocks and a change is marked committed just after its time is
 * taken, so followers read again from a little before the last time they
 * saw and drop the ids they already have. The feed names changes only
 * (offering, version, mutation, time, whether it retired the offering): what changed is read through the
 * graph, under the reader's own rights, so it needs no signature.
 */
export function changeFeedRoute(db: Db, stopping: () => boolean, logger: Logger) {
  const changes = domainCollections(db).changes;
  const watch = new DataVersionWatch(db, stopping, logger);
  return async (req: IncomingMessage, res: ServerResponse) => {
    const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const since = instant(params.get('since'), 'since');
    const waitText = params.get('waitMs');
    const waitMs = waitText === null ? 0 : Number(waitText);
    if (since instanceof Error || !Number.isInteger(waitMs) || waitMs < 0) {
      const message = since instanceof Error ? since.message : `waitMs=${waitText} is not a whole number of milliseconds: send 0 to ${MAX_FEED_WAIT_MS}.`;
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message }] }));
      return;
    }
    try {
      let version = await readDataVersion(db);
      const seen = params.get('version');
      if (seen !== null && seen === version && waitMs > 0 && !stopping()) {
        await watch.wait(seen, Math.min(waitMs, MAX_FEED_WAIT_MS));
        version = await readDataVersion(db);
      }
      const page: FeedPage = { version, now: new Date().toISOString(), changes: [] };
      if (since !== undefined) {
        const found = await changes
          .find({ state: 'committed', at: { $gte: since } }, { projection: { _id: 1, offeringId: 1, version: 1, mutation: 1, at: 1, after: 1 } })
          .sort({ at: 1, _id: 1 })
          .limit(FEED_PAGE_SIZE)
          .toArray();
        page.changes = found.map((c) => ({
          id: c._id,
          offeringId: c.offeringId,
          version: c.version,
          mutation: c.mutation,
          at: c.at!,
          retired: c.after === null,
        }));
      }
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(page));
    } catch (error) {
      logger.debug(`change feed unavailable: ${(error as Error).message}`);
      res
        .writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' })
        .end(JSON.stringify({ errors: [{ message: 'The database cannot be read right now; retry shortly.' }] }));
    }
  };
}
