import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parallelPass, serialPass, TIMING_SUITES } from './run-suite';

/**
 * The two jest projects (package.json): `unit` needs neither Go nor a
 * database nor spawned services, `integration` runs on the embedded FerretDB.
 * These checks keep `npm run test:unit` from silently selecting nothing again,
 * and keep database tests out of it. They ask jest itself which files each
 * project selects, and read those files as text.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const SELF = 'test/support/test-layers.unit.test.ts';

/** The unit layer has at least this many files today; lower it only on purpose. */
const MIN_UNIT_FILES = 10;

/** Test helpers that open, seed or start the database or the whole graph. */
const DATABASE_SUPPORT = /from '[^']*(?:test\/)?support\/(?:db|graph|subgraph-suite|global-setup)'|from '\.\/(?:db|graph|subgraph-suite|global-setup)'/;
/** The embedded database module. */
const EMBEDDED = /from '(?:@qsmo\/embedded-db|[^']*embedded-db\/src)\/ferretdb'/;
/** Names that reach a running database. */
const DATABASE_USE = /\b(?:startFerretDb|testMongoUri|openTestDatabase|openSeededDatabase|QSMO_TEST_MONGODB_URI)\b/;

/**
 * Unit files that may import the embedded database module, each with why.
 * shared/embedded-db/test/embedded.unit.test.ts checks start-up on a machine without Go: it
 * calls ensureFerretDb with a PATH holding no `go`, so nothing is built or started.
 */
const EMBEDDED_ALLOWED = new Set(['shared/embedded-db/test/embedded.unit.test.ts']);

function listTests(project: string): string[] {
  return listedBy(['--selectProjects', project]);
}

/** The files jest runs with these arguments. */
function listedBy(args: string[]): string[] {
  const jest = require.resolve('jest/bin/jest');
  const run = spawnSync(process.execPath, [jest, '--listTests', '--json', ...args], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`jest --listTests ${args.join(' ')} failed:\n${run.stderr}`);
  // Jest prints the selected project's name on stderr, the list on stdout.
  const files = JSON.parse(run.stdout.slice(run.stdout.indexOf('['))) as string[];
  return files.map((f) => path.relative(ROOT, f).split(path.sep).join('/')).sort();
}

/** Every test file in the repository, as testMatch would see it. */
function testFilesOnDisk(dir = ROOT, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', '.git', '.data', '.tools'].includes(entry.name)) continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) testFilesOnDisk(p, out);
    else if (entry.name.endsWith('.test.ts') && path.relative(ROOT, p).split(path.sep).includes('test'))
      out.push(path.relative(ROOT, p).split(path.sep).join('/'));
  }
  return out.sort();
}

const unit = listTests('unit');
const integration = listTests('integration');

test(`the unit project selects at least ${MIN_UNIT_FILES} test files, this one among them`, () => {
  expect(unit.length).toBeGreaterThanOrEqual(MIN_UNIT_FILES);
  expect(unit).toContain(SELF);
});

test('no unit test file opens a database, starts the embedded one or the whole graph', () => {
  // This file is left out: it names what it looks for.
  const offending = unit
    .filter((file) => file !== SELF)
    .flatMap((file) => {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      const problems: string[] = [];
      if (DATABASE_SUPPORT.test(text)) problems.push(`${file} imports a database test helper`);
      if (DATABASE_USE.test(text)) problems.push(`${file} uses ${DATABASE_USE.exec(text)![0]}`);
      if (EMBEDDED.test(text) && !EMBEDDED_ALLOWED.has(file)) problems.push(`${file} imports the embedded database`);
      return problems;
    });
  expect(offending).toEqual([]);
});

test('every test file says its layer by name: .unit, .int, .e2e or .browser before .test.ts', () => {
  expect(testFilesOnDisk().filter((f) => !/\.(unit|int|e2e|browser)\.test\.ts$/.test(f))).toEqual([]);
});

test('every test file is in exactly one project', () => {
  expect(unit.filter((f) => integration.includes(f))).toEqual([]);
  expect([...unit, ...integration].sort()).toEqual(testFilesOnDisk());
});

test('the checks above do catch a database test', () => {
  expect(DATABASE_SUPPORT.test(`import { openTestDatabase } from '../../test/support/db';`)).toBe(true);
  expect(DATABASE_SUPPORT.test(`import { startGraph } from '../../test/support/graph';`)).toBe(true);
  expect(EMBEDDED.test(`import { startFerretDb } from '@qsmo/embedded-db/ferretdb';`)).toBe(true);
  expect(DATABASE_USE.test('const client = new MongoClient(testMongoUri());')).toBe(true);
  expect(DATABASE_SUPPORT.test(`import { runCli } from '../../test/support/cli';`)).toBe(false);
});

test("npm test's two passes run every test file once: the timing files each alone, all others on workers", () => {
  const timing = TIMING_SUITES.map((s) => s.file).sort();
  expect(timing.every((f) => integration.includes(f))).toBe(true);
  const parallel = listedBy(parallelPass());
  const serial = serialPass().flatMap((args) => {
    const listed = listedBy(args);
    expect(listed).toHaveLength(1);
    return listed;
  });
  expect(serial.sort()).toEqual(timing);
  expect(parallel.filter((f) => timing.includes(f))).toEqual([]);
  expect([...parallel, ...serial].sort()).toEqual(testFilesOnDisk());
});
