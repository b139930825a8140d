import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { ErrorCode } from '@qsmo/service-kit/errors';
import { docsReferenceFiles, errorDocLink, registryComments } from '../gateway/src/docs-reference';

/**
 * The generated pages of docs/reference are current: a change to the error
 * registry, its guide or any subgraph schema without `npm run codegen` fails
 * here, naming the page.
 */
const generated = docsReferenceFiles();

test.each([...generated.keys()])('%s is current (npm run codegen)', (file) => {
  const committed = fs.existsSync(path.join(REPO_ROOT, file)) ? fs.readFileSync(path.join(REPO_ROOT, file), 'utf8') : '';
  if (committed !== generated.get(file)) throw new Error(`${file} is stale: run npm run codegen`);
});

test('every registry code has its anchor on the error page, with its meaning from the registry', () => {
  const page = generated.get('docs/reference/error-codes.md')!;
  const comments = registryComments();
  for (const code of Object.values(ErrorCode)) {
    expect(page).toContain(`\n### ${code}\n`);
    expect(page).toContain(`**Meaning.** ${comments.get(code)}`);
    expect(errorDocLink(code)).toBe(`docs/reference/error-codes.md#${code.toLowerCase()}`);
  }
});

test("a code is read with its own comment, not the file's first one", () => {
  const comments = registryComments(
    "/** The registry. */\nexport const ErrorCode = {\n  /** First\n   * across lines. */\n  FIRST: 'FIRST',\n  /** Second. */\n  SECOND: 'SECOND',\n};",
  );
  expect([...comments]).toEqual([
    ['FIRST', 'First across lines.'],
    ['SECOND', 'Second.'],
  ]);
});

test('the schema page lists every root field of the API with its description', () => {
  const page = generated.get('docs/reference/schema.md')!;
  expect(page).toMatch(/\| `agency\(code: ID!\)` \| \[`Agency`\]\(#agency\) \| An agency by CGAC code/);
  expect(page).toContain('\n### GrantsManagementOffering\n');
});

test('every message that points to the error reference points to a section it has', () => {
  const page = generated.get('docs/reference/error-codes.md')!;
  const sources = [
    ...fs
      .readdirSync(path.join(REPO_ROOT, 'shared'))
      .map((d) => `shared/${d}/src`)
      .filter((d) => fs.existsSync(path.join(REPO_ROOT, d))),
    'gateway/src',
  ].flatMap((dir) =>
    fs
      .readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => fs.readFileSync(path.join(REPO_ROOT, dir, f), 'utf8')),
  );
  const codes = sources.flatMap((text) =>
    [...text.matchAll(/seeErrorDoc\((?:ErrorCode\.(\w+)|'(\w+)'|(code))\)/g)].map((m) => m[1] ?? m[2] ?? 'UNAUTHENTICATED'),
  );
  expect(new Set(codes)).toEqual(
    new Set(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'COST_LIMIT_EXCEEDED', 'PERSISTED_QUERY_NOT_IN_LIST', 'FORBIDDEN', 'UNAUTHENTICATED']),
  );
  for (const code of codes) expect(page).toContain(`\n### ${code}\n`);
});
