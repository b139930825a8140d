import { extractBlocks, where } from './support/doc-blocks';

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
