import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { packageDirOf, SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { REPO_ROOT } from '@qsmo/service-kit/config';

/**
 * Every npm script of the root and of each workspace runs a file that
 * exists: `npm run seed` once pointed at a file that never did, and only a
 * user found out.
 */
const packages = [
  REPO_ROOT,
  ...fs
    .readdirSync(path.join(REPO_ROOT, 'shared'))
    .map((d) => path.join(REPO_ROOT, 'shared', d))
    .filter((d) => fs.existsSync(path.join(d, 'package.json'))),
  path.join(REPO_ROOT, 'gateway'),
  ...SUBGRAPHS.map(packageDirOf),
];

const scriptFiles = (dir: string): { script: string; file: string }[] => {
  const { scripts = {} } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  return Object.entries(scripts).flatMap(([script, command]) =>
    [...command.matchAll(/(?:^|\s)(?:tsx|node(?: --import tsx)?)\s+(\S+\.ts)\b/g)].map((m) => ({ script, file: path.resolve(dir, m[1]!) })),
  );
};

test.each(packages.map((dir) => [path.relative(REPO_ROOT, dir) || '(root)', dir]))('the scripts of %s run files that exist', (_, dir) => {
  const files = scriptFiles(dir);
  expect(files.filter((f) => !fs.existsSync(f.file)).map((f) => `${f.script}: ${path.relative(REPO_ROOT, f.file)}`)).toEqual([]);
});

test('the root scripts are all found by the check above', () => {
  expect(scriptFiles(REPO_ROOT).map((f) => f.script)).toEqual(expect.arrayContaining(['start', 'seed', 'codegen', 'query']));
});

test('npm run seed names the subgraphs it knows when given another, and writes nothing', () => {
  const run = spawnSync('npm', ['run', '-s', 'seed', '--', 'no-such-qsmo'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, MONGODB_URI: 'mongodb://127.0.0.1:1/' },
  });
  expect(run.status).toBe(2);
  expect(run.stderr).toContain(`Unknown subgraph "no-such-qsmo": use one or more of ${SUBGRAPHS.map((s) => s.name).join(', ')}, or none for all.`);
});
