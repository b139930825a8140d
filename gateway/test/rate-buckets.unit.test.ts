import { createLogger } from '@qsmo/service-kit/logger';
import { ClusterRateBuckets, rateLeaseHandler, type LeaseRequest, type LeaseReturn } from '../src/cluster-rate-limit';
import { FailureLimiter, RateLimiter } from '../src/rate-buckets';

/**
 * The mechanics under the shared rate limits: leases and returns of the
 * buckets, workers leasing from one primary (the cluster channel replaced by
 * an in-process one that answers on the next turn of the event loop, as IPC
 * does), and the failure limiter. The real cluster is attacked in
 * test/gateway-workers.e2e.test.ts and test/auth-failures.e2e.test.ts.
 */
const logger = createLogger('rate-test', 'silent');

/** A worker leasing from `primary`; `deaf` drops every message, as a primary that does not answer would. */
function worker(
  primary: ReturnType<typeof rateLeaseHandler>,
  workers: number,
  options: { deaf?: boolean; sent?: (LeaseRequest | LeaseReturn)[] } = {},
): ClusterRateBuckets {
  let listener: (message: unknown) => void = () => undefined;
  const buckets = new ClusterRateBuckets({
    workers,
    maxCallers: 100,
    logger,
    onMessage: (l) => {
      listener = l;
    },
    send: (message) => {
      options.sent?.push(message);
      if (options.deaf) return;
      setImmediate(() => {
        const reply = primary(message);
        if (reply) listener(reply);
      });
    },
  });
  made.push(buckets);
  return buckets;
}
const made: ClusterRateBuckets[] = [];
afterEach(() => {
  for (const buckets of made.splice(0)) buckets.close();
});

test('a lease takes whole tokens up to what the bucket holds; returned tokens are taken again', () => {
  let now = 0;
  const limiter = new RateLimiter(10, () => now);
  expect(limiter.lease('a', 10, 4)).toEqual({ granted: 4, remaining: 6, retryAfterMs: 0 });
  expect(limiter.lease('a', 10, 8)).toEqual({ granted: 6, remaining: 0, retryAfterMs: 0 });
  expect(limiter.lease('a', 10, 1)).toEqual({ granted: 0, remaining: 0, retryAfterMs: 6_000 });
  limiter.giveBack('a', 10, 3);
  expect(limiter.lease('a', 10, 5).granted).toBe(3);
  now += 30_000;
  expect(limiter.lease('a', 10, 20).granted).toBe(5);
});

test('two workers leasing from one primary let a caller through 10 times a minute in all, whichever worker it reaches', async () => {
  const primary = rateLeaseHandler(100);
  const workers = [worker(primary, 2), worker(primary, 2)];
  const decisions = [];
  for (let i = 0; i < 30; i++) decisions.push(await workers[i % 2]!.take('ip:203.0.113.7', 10));
  expect(decisions.filter((d) => d.retryAfterSeconds === 0)).toHaveLength(10);
  expect(decisions.slice(10).every((d) => d.retryAfterSeconds >= 1)).toBe(true);
  // Another caller has its own bucket.
  expect((await workers[1]!.take('ip:203.0.113.8', 10)).retryAfterSeconds).toBe(0);
});

test('concurrent requests waiting for one lease are all decided, and never more than the limit pass', async () => {
  const primary = rateLeaseHandler(100);
  const buckets = worker(primary, 2);
  const decisions = await Promise.all(Array.from({ length: 40 }, () => buckets.take('ip:203.0.113.9', 12)));
  expect(decisions.filter((d) => d.retryAfterSeconds === 0)).toHaveLength(12);
});

test('a primary that does not answer: the worker decides alone with its share of the limit', async () => {
  const buckets = worker(rateLeaseHandler(100), 2, { deaf: true });
  const started = Date.now();
  const decisions = [];
  for (let i = 0; i < 8; i++) decisions.push(await buckets.take('ip:198.51.100.1', 10));
  // One wait for the missing answer, then decisions at once.
  expect(Date.now() - started).toBeLessThan(1_500);
  expect(decisions.map((d) => d.retryAfterSeconds === 0)).toEqual([true, true, true, true, true, false, false, false]);
});

test('tokens a worker leased and did not use go back to the primary', async () => {
  const primary = rateLeaseHandler(100);
  const sent: (LeaseRequest | LeaseReturn)[] = [];
  const buckets = worker(primary, 1, { sent });
  expect((await buckets.take('sub:alice', 600)).retryAfterSeconds).toBe(0);
  // A batch is a twentieth of the limit per worker: 30 leased, 1 used.
  expect(sent[0]).toMatchObject({ want: 30 });
  await new Promise((r) => setTimeout(r, 2_100));
  expect(sent.find((m) => m.type.endsWith('return'))).toMatchObject({ returns: [['sub:alice', 600, 29]] });
  expect(primary({ type: 'qsmo:gateway-rate-lease', id: 99, key: 'sub:alice', perMinute: 600, want: 600 })?.granted).toBeGreaterThanOrEqual(599);
});

test('failures past the allowance block the key until a token is due, without asking the buckets again', async () => {
  let now = 0;
  const limiter = new RateLimiter(10, () => now);
  let asked = 0;
  const failures = new FailureLimiter(
    {
      take: (key, perMinute) => {
        asked++;
        return limiter.take(key, perMinute);
      },
    },
    3,
    10,
    () => now,
  );
  for (let i = 0; i < 3; i++) expect(await failures.failed('203.0.113.7')).toBe(0);
  expect(failures.blockedFor('203.0.113.7')).toBe(0);
  expect(await failures.failed('203.0.113.7')).toBe(20);
  expect(failures.blockedFor('203.0.113.7')).toBe(20);
  expect(failures.blockedFor('203.0.113.8')).toBe(0);
  expect(asked).toBe(4);
  now += 20_000;
  expect(failures.blockedFor('203.0.113.7')).toBe(0);
});
