import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@qsmo/service-kit/logger';
import { FEED_PAGE_SIZE, type FeedChange, type FeedPage } from '@qsmo/service-kit/change-feed-protocol';
import { CatalogFeed, type CatalogChange } from '../src/subscriptions/feed';

/**
 * The follower against a feed this test answers itself, so when a change
 * is committed and when the feed first answers are set, not raced.
 */
const GRANTS = 'grants-management';

interface FakeFeed {
  url: string;
  /** While true every read is cut without an answer, as by a marketplace not reachable yet. */
  down: boolean;
  /** The committed changes, as the feed would list them. */
  changes: FeedChange[];
  /** The data version the feed reports. */
  version: string;
  /** Each read's query string, in order. */
  reads: URLSearchParams[];
  close(): Promise<void>;
}

async function fakeFeed(): Promise<FakeFeed> {
  const feed = { down: true, changes: [] as FeedChange[], version: 'v1', reads: [] as URLSearchParams[] } as FakeFeed;
  const server = http.createServer((req, res) => {
    const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
    feed.reads.push(params);
    if (feed.down) return void res.destroy();
    const since = params.get('since');
    const page: FeedPage = {
      version: feed.version,
      now: new Date().toISOString(),
      changes:
        since === null
          ? []
          : feed.changes
              .filter((c) => c.at >= since)
              .sort((a, b) => a.at.localeCompare(b.at))
              .slice(0, FEED_PAGE_SIZE),
    };
    // A read that names the version it has and finds nothing new waits, as the real feed's long poll does.
    const wait = params.get('version') === feed.version && page.changes.length === 0 ? Number(params.get('waitMs') ?? 0) : 0;
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page)), Math.min(wait, 200));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  feed.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  feed.close = () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return feed;
}

const change = (version: number, at: Date): FeedChange => ({
  id: `grm-era@${version}`,
  offeringId: 'grm-era',
  version,
  mutation: 'catalog:import',
  at: at.toISOString(),
  retired: false,
});

async function until(done: () => boolean, ms: number): Promise<void> {
  for (const deadline = Date.now() + ms; !done() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
}

let feed: FakeFeed;
let follower: CatalogFeed;
const got: CatalogChange[] = [];

beforeEach(async () => {
  got.length = 0;
  feed = await fakeFeed();
  follower = new CatalogFeed({
    waitMs: 5_000,
    retryMs: 20,
    logger: createLogger('gateway', 'silent'),
    onChanges: (_subgraph, changes) => {
      got.push(...changes);
    },
  });
  follower.serve(GRANTS, feed.url);
});

afterEach(async () => {
  follower.stop();
  await feed.close();
});

test('a change committed after following began, while the feed did not answer yet, is handed on once it answers, once', async () => {
  const before = change(2, new Date(Date.now() - 60_000));
  feed.changes.push(before);
  follower.start();
  await until(() => feed.reads.length >= 2, 2_000);
  expect(follower.positions()[GRANTS]).toBeNull();
  // Committed elsewhere while the gateway was already following and the feed was refusing its reads.
  feed.changes.push(change(3, new Date()));
  feed.version = 'v2';
  await new Promise((r) => setTimeout(r, 30));
  feed.down = false;
  await until(() => got.length > 0, 2_000);
  expect(got.map((c) => c.id)).toEqual(['grm-era@3']);
  // More reads over the same window hand nothing on twice, and nothing from before following began.
  const reads = feed.reads.length;
  await until(() => feed.reads.length >= reads + 3, 2_000);
  expect(got.map((c) => c.id)).toEqual(['grm-era@3']);
});

test('the first answer is followed at once by a read of the changes, not by a wait on a data version that already moved', async () => {
  follower.start();
  feed.down = false;
  await until(() => follower.positions()[GRANTS] !== null, 2_000);
  // The first answer carried the version; the change and its version bump came before the next read.
  feed.changes.push(change(4, new Date()));
  await until(() => got.length > 0, 2_000);
  expect(got.map((c) => c.id)).toEqual(['grm-era@4']);
  expect(feed.reads[1]!.get('since')).not.toBeNull();
  expect(feed.reads[1]!.get('version')).toBeNull();
});
