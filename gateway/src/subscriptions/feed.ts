import http from 'node:http';
import type { Logger } from '@qsmo/service-kit/logger';
import { CHANGE_FEED_PATH, FEED_PAGE_SIZE, type FeedPage } from '@qsmo/service-kit/change-feed-protocol';
import { SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import type { QsmoDomain } from '@qsmo/service-kit/subgraphs';

/** One committed change of a marketplace, as the gateway hands it to its subscriptions. */
export interface CatalogChange {
  /** The subgraph (service name) whose catalog changed. */
  subgraph: string;
  domain: QsmoDomain;
  offeringId: string;
  version: number;
  mutation: string;
  at: string;
  /** The change retired the offering. */
  retired: boolean;
  /** `<offeringId>@<version>`: unique per marketplace. */
  id: string;
}

export interface CatalogFeedOptions {
  /** How long one read of a feed waits for a change (SUBSCRIPTIONS_FEED_WAIT_MS). */
  waitMs: number;
  /** Called with each marketplace's new changes, in commit order, once per read that brought some. */
  onChanges(subgraph: string, changes: readonly CatalogChange[]): void;
  logger: Logger;
  /** How long to wait before reading a feed again after a failed read; default 1 s. */
  retryMs?: number;
}

/**
 * How far before the last commit time seen each read starts again. A
 * change's commit time is taken by its writer (any replica, any tool, its
 * own clock) just before the change is marked committed, so a change can
 * become visible after one with a later time; reading a little of the past
 * again, and dropping the ids already handed on, misses none of them.
 */
export const FEED_OVERLAP_MS = 5_000;
/** However quiet a marketplace, once a read has reached the present the next starts no earlier than this before the subgraph's own clock. */
const FEED_MAX_LOOKBACK_MS = 30_000;

/** One GET of a feed over its own connection (a long poll must not hold a pooled socket); the request can be cut by `abort`. */
function getFeed(url: string, timeoutMs: number, signal: AbortSignal): Promise<FeedPage> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
        try {
          resolve(JSON.parse(text) as FeedPage);
        } catch {
          reject(new Error(`unreadable answer: ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** Where one marketplace's feed is read from, and how far it has been read. */
interface Follower {
  subgraph: string;
  domain: QsmoDomain;
  /** The subgraph's GraphQL URL as served now (a new supergraph may move it). */
  url: string;
  /** The data version of the last read: the next read waits while it is unchanged. */
  version?: string;
  /** The latest commit time handed on, or where following began. */
  position?: string;
  /** This gateway's clock when it began following (before its first read, answered or not). */
  beganAt?: number;
  /**
   * When following began, on the subgraph's clock (estimated at the first
   * answer): changes committed before it were never this gateway's to hand
   * on; those committed after it are, even while the feed did not answer yet.
   */
  startedAt?: number;
  /** Ids handed on whose commit time is still within the overlap, so a second read of them is dropped. */
  seen: Map<string, number>;
  running: boolean;
}

/**
 * Follows every marketplace's committed changes (`GET /catalog-changes`, a
 * long poll; see changeFeedRoute) and hands each new one on exactly once,
 * in commit order per marketplace. Every gateway process follows on its
 * own, so whichever worker or replica holds a subscription learns of every
 * change, wherever it was made (through any gateway, a tool, an import).
 * Following begins when the gateway begins to read a feed, not when the
 * feed first answers: a change committed while a marketplace could not be
 * reached yet is handed on once it can, as after any later outage.
 */
export class CatalogFeed {
  private readonly followers = new Map<string, Follower>();
  private readonly abort = new AbortController();
  private started = false;

  constructor(private readonly options: CatalogFeedOptions) {}

  /** A marketplace subgraph is served at `url` (at the first supergraph, or a new one): followed from now on, at that URL. */
  serve(subgraph: string, url: string): void {
    const entry = SUBGRAPHS.find((s) => s.name === subgraph);
    // The directory and any non-marketplace subgraph have no catalog of their own.
    if (!entry) return;
    const follower = this.followers.get(subgraph);
    if (follower) {
      follower.url = url;
      return;
    }
    const created: Follower = { subgraph, domain: entry.domain, url, seen: new Map(), running: false };
    this.followers.set(subgraph, created);
    if (this.started) void this.follow(created);
  }

  /** Starts reading every marketplace known so far, and those learnt later. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const follower of this.followers.values()) void this.follow(follower);
  }

  /** Stops every read at once (reads in flight are cut). */
  stop(): void {
    this.abort.abort();
  }

  /** For /health/ready: each marketplace's feed position. */
  positions(): Record<string, string | null> {
    return Object.fromEntries([...this.followers.values()].map((f) => [f.subgraph, f.position ?? null]));
  }

  private async follow(follower: Follower): Promise<void> {
    if (follower.running) return;
    follower.running = true;
    follower.beganAt ??= Date.now();
    const { waitMs, logger } = this.options;
    let failures = 0;
    let full = false;
    while (!this.abort.signal.aborted) {
      const base = follower.url.replace(/\/graphql$/, CHANGE_FEED_PATH);
      const params = new URLSearchParams();
      if (follower.position !== undefined) {
        // After a full page, from its last change exactly: with the overlap, a page of changes within it would be read again and again.
        params.set('since', new Date(Date.parse(follower.position) - (full ? 0 : FEED_OVERLAP_MS)).toISOString());
        if (follower.version !== undefined) {
          params.set('version', follower.version);
          params.set('waitMs', String(waitMs));
        }
      }
      try {
        const first = follower.position === undefined;
        const page = await getFeed(`${base}?${params}`, waitMs + 10_000, this.abort.signal);
        if (failures > 0) logger.info(`live updates: the ${follower.subgraph} change feed answers again`);
        failures = 0;
        follower.version = page.version;
        full = page.changes.length >= FEED_PAGE_SIZE;
        this.take(follower, page, full, Date.now());
        // The first answer names no changes (it gave a position), and a full page may have more behind it:
        // read again at once rather than wait for the data version to move, which it may already have done.
        if (first || full) follower.version = undefined;
      } catch (error) {
        if (this.abort.signal.aborted) break;
        full = false;
        if (failures++ === 0)
          logger.warn(
            `live updates: the ${follower.subgraph} change feed did not answer (${(error as Error).message}); retrying every ${this.options.retryMs ?? 1_000} ms`,
          );
        await new Promise((r) => setTimeout(r, this.options.retryMs ?? 1_000));
      }
    }
    follower.running = false;
  }

  /** Hands on the page's changes not handed on before; moves the position. `receivedAt` is this gateway's clock when the page came. */
  private take(follower: Follower, page: FeedPage, full: boolean, receivedAt: number): void {
    const now = Date.parse(page.now);
    if (follower.startedAt === undefined) {
      // The subgraph's clock minus ours, as seen at this answer: an underestimate by the answer's transit time, so
      // the start it gives is, if anything, a little early (a change from just before is dropped by its id, not missed).
      const skew = now - receivedAt;
      follower.startedAt = Math.min(now, (follower.beganAt ?? receivedAt) + skew);
    }
    if (follower.position === undefined) {
      // The first answer, read without `since`: following starts where the gateway began, however long the feed took to answer.
      follower.position = new Date(follower.startedAt).toISOString();
      return;
    }
    const fresh: CatalogChange[] = [];
    let latest = Date.parse(follower.position);
    for (const c of page.changes) {
      const at = Date.parse(c.at);
      if (at > latest) latest = at;
      if (follower.seen.has(c.id)) continue;
      follower.seen.set(c.id, at);
      if (at < follower.startedAt) continue;
      fresh.push({
        subgraph: follower.subgraph,
        domain: follower.domain,
        offeringId: c.offeringId,
        version: c.version,
        mutation: c.mutation,
        at: c.at,
        retired: c.retired,
        id: c.id,
      });
    }
    // A quiet marketplace: start reads no further back than the lookback, so they stay small. Not after a full
    // page, which did not reach the present: the changes behind its last one are still to be read.
    if (!full) latest = Math.max(latest, now - FEED_MAX_LOOKBACK_MS);
    follower.position = new Date(latest).toISOString();
    const forgetBefore = latest - 2 * FEED_OVERLAP_MS - FEED_MAX_LOOKBACK_MS;
    for (const [id, at] of follower.seen) if (at < forgetBefore) follower.seen.delete(id);
    if (fresh.length) this.options.onChanges(follower.subgraph, fresh);
  }
}
