import { extractBlocks, isSubscription, sseEvents, where } from './support/doc-blocks';

/** The docs test's extractor: which blocks it finds, where, and how markers are read. */
const page = [
  '# Page', // 1
  '', // 2
  '```sh', // 3
  'npm run -s query -- -e "{ qsmos { name } }"', // 4
  '```', // 5
  '<!-- not-runnable: needs a Kubernetes cluster -->', // 6
  '', // 7
  '```bash', // 8
  'kubectl apply -f deploy/', // 9
  '```', // 10
  '', // 11
  '<!-- docs-test: role=analyst -->', // 12
  '```graphql', // 13
  '{ qsmos { name } }', // 14
  '```', // 15
  '', // 16
  '```json', // 17
  '{"not": "run"}', // 18
  '```', // 19
  '1. A step:', // 20
  '', // 21
  '   ```ts', // 22
  '   const n: number = 1;', // 23
  '   ```', // 24
].join('\n');

test('finds the runnable languages with their opening line, markers and indentation removed', () => {
  const blocks = extractBlocks('docs/x.md', page);
  expect(blocks.map((b) => [where(b), b.language, b.notRunnable, b.settings])).toEqual([
    ['docs/x.md:3', 'sh', undefined, {}],
    ['docs/x.md:8', 'bash', 'needs a Kubernetes cluster', {}],
    ['docs/x.md:13', 'graphql', undefined, { role: 'analyst' }],
    ['docs/x.md:22', 'ts', undefined, {}],
  ]);
  expect(blocks[3]!.code).toBe('const n: number = 1;');
});

test('a marker applies to the next block only, not across a paragraph', () => {
  const blocks = extractBlocks('x.md', '<!-- not-runnable: reason -->\nSome text.\n\n```sh\ntrue\n```\n');
  expect(blocks[0]!.notRunnable).toBeUndefined();
});

test('a marker without a reason, an unknown setting or an open fence is refused with file:line', () => {
  expect(() => extractBlocks('x.md', '<!-- not-runnable: -->\n```sh\ntrue\n```\n')).toThrow('x.md:1: say why the block is not runnable');
  expect(() => extractBlocks('x.md', 'a\n<!-- docs-test: timeout=5 -->\n```sh\ntrue\n```\n')).toThrow('x.md:2: unknown docs-test setting');
  expect(() => extractBlocks('x.md', 'a\n\n```sh\ntrue\n')).toThrow('x.md:3: this code fence is never closed.');
});

test('in= places a TypeScript example in a directory of the repository, and is refused elsewhere with what to write', () => {
  const [block] = extractBlocks('x.md', '<!-- docs-test: in=examples/marketplace-explorer/src -->\n```ts\nexport {};\n```\n');
  expect(block!.settings).toEqual({ in: 'examples/marketplace-explorer/src' });
  expect(() => extractBlocks('x.md', '<!-- docs-test: in=../outside -->\n```ts\nexport {};\n```\n')).toThrow(
    'x.md:1: docs-test: in= takes a directory of the repository for a ts example',
  );
  expect(() => extractBlocks('x.md', '<!-- docs-test: in=/etc -->\n```ts\nexport {};\n```\n')).toThrow('as a relative path without ".."');
  expect(() => extractBlocks('x.md', '<!-- docs-test: in=gateway/src -->\n```sh\ntrue\n```\n')).toThrow('for a ts example');
});

test('a subscription example is recognised by its keyword, after comments', () => {
  expect(isSubscription('# live\nsubscription CatalogChanged { catalogChanged { domain } }')).toBe(true);
  expect(isSubscription('  subscription{ catalogChanged { domain } }')).toBe(true);
  expect(isSubscription('{ qsmos { name } }')).toBe(false);
  expect(isSubscription('query Subscriptions { qsmos { name } }')).toBe(false);
  expect(isSubscription('# subscription in a comment\n{ qsmos { name } }')).toBe(false);
});

test('an event stream is read into its complete events, keep-alive comments skipped', () => {
  const stream = ': keep-alive\n\nevent: next\ndata: {"errors":[{"message":"no"}]}\n\r\nevent: complete\ndata:\n\nevent: next\ndata: {"da';
  expect(sseEvents(stream)).toEqual([
    { event: 'next', data: '{"errors":[{"message":"no"}]}' },
    { event: 'complete', data: '' },
  ]);
  expect(sseEvents('data: a\ndata: b\n\n')).toEqual([{ event: 'message', data: 'a\nb' }]);
  expect(sseEvents(': only a comment\n\n')).toEqual([]);
});
