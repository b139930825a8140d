import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Fetcher } from '@apollo/utils.fetcher';
import { dedupeKey, useDedupe } from '../src/plugins/dedupe';

/**
 * In-flight deduplication against a real HTTP server on loopback: identical
 * queries share one call while it is in flight, mutations and different
 * callers never do, and each caller reads its own copy of the answer.
 */
let server: http.Server;
let url: string;
let calls: string[];
beforeEach(async () => {
  calls = [];
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      calls.push(body);
      // Slow enough that concurrent callers overlap.
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data: { n: calls.length } }));
      }, 100);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterEach(async () => {
  await new Promise((r) => server.close(r));
});

const plain: Fetcher = (u, init) => fetch(u, init as RequestInit) as never;
const fetcher = () => useDedupe().wrapFetcher!(plain, { name: 't', area: 'T', url: '' });
const post = (f: Fetcher, body: object, identity = 'a') =>
  f(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-qsmo-identity': identity }, body: JSON.stringify(body) });

test('ten identical queries in flight are one call; each caller reads its own body', async () => {
  const f = fetcher();
  const started = Date.now();
  const responses = await Promise.all(Array.from({ length: 10 }, () => post(f, { query: '{ a }' })));
  const bodies = await Promise.all(responses.map((r) => r.json()));
  expect(calls).toHaveLength(1);
  expect(bodies).toEqual(Array(10).fill({ data: { n: 1 } }));
  expect(responses.every((r) => r.status === 200)).toBe(true);
  expect(Date.now() - started).toBeLessThan(2_000);
  // Nothing is kept once answered.
  await post(f, { query: '{ a }' });
  expect(calls).toHaveLength(2);
});

test('mutations, other callers and other documents are never shared', async () => {
  const f = fetcher();
  await Promise.all([
    post(f, { query: 'mutation { m }' }),
    post(f, { query: 'mutation { m }' }),
    post(f, { query: '{ a }' }, 'a'),
    post(f, { query: '{ a }' }, 'b'),
    post(f, { query: '{ b }' }),
  ]);
  expect(calls).toHaveLength(5);
  expect(dedupeKey(url, { method: 'POST', body: '{"query":" subscription { s }"}' })).toBeUndefined();
});
