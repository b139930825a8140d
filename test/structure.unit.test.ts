import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { SUBGRAPHS } from '@qsmo/service-kit/subgraphs';

/**
 * The shape the code keeps, checked so it cannot drift back: one list of
 * subgraphs, one repository root, one environment-name rule, no imports of
 * packages' internals, and resolver maps whose misspelt names fail to compile.
 */
const tracked = execFileSync('git', ['ls-files', '*.ts', '*.tsx'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
const isTest = (f: string) => f.startsWith('test/') || f.includes('/test/');
const source = tracked.filter((f) => !isTest(f) && !f.includes('/generated/'));
const read = (f: string) => fs.readFileSync(path.join(REPO_ROOT, f), 'utf8');
const where = (pattern: RegExp, files = source) => files.filter((f) => pattern.test(read(f)));

test("no code imports a package's dist/ internals", () => {
  expect(where(/from '(@[^/']+\/)?[^.'][^']*\/dist\//, tracked)).toEqual([]);
});

test('the repository root and the environment-name rule are defined once', () => {
  expect(where(/REPO_ROOT = /)).toEqual(['shared/service-kit/src/subgraphs.ts']);
  expect(where(/toUpperCase\(\)\.replace\(\/-\/g/)).toEqual(['shared/service-kit/src/subgraphs.ts']);
});

test("subgraph names are written only in the list and in each package's own entry", () => {
  for (const s of SUBGRAPHS) {
    expect(where(new RegExp(`'${s.name}'`))).toEqual(['shared/service-kit/src/subgraphs.ts', `subgraphs/${s.name}/src/entry.ts`].sort());
  }
});

test("a misspelt type or field in a subgraph's resolvers does not compile", () => {
  // TypeScript 7 has no compiler API in-process: tsc checks each probe as a file of a scratch project extending the root tsconfig.
  const generated = path.join(REPO_ROOT, 'subgraphs', 'grants-management', 'src', 'generated', 'resolvers-types');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qsmo-misspelt-'));
  const probes = {
    ok: 'export const ok: GrantsManagementOfferingResolvers = { website: (doc) => doc.website ?? null };',
    field: 'export const field: GrantsManagementOfferingResolvers = { websit: () => null };',
    type: 'export const type: Resolvers = { GrantsManagementOferring: {} };',
  };
  try {
    const head = `import type { Resolvers, GrantsManagementOfferingResolvers } from '${path.relative(dir, generated)}';\n`;
    for (const [name, body] of Object.entries(probes)) fs.writeFileSync(path.join(dir, `${name}.ts`), `${head}${body}\n`);
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: path.join(REPO_ROOT, 'tsconfig.json'),
        compilerOptions: { noEmit: true, typeRoots: [path.join(REPO_ROOT, 'node_modules', '@types')] },
        files: Object.keys(probes).map((name) => `${name}.ts`),
        include: [],
      }),
    );
    const tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
    const run = spawnSync(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { cwd: dir, encoding: 'utf8' });
    // "<file>(line,col): error TS...: message", continuation lines indented.
    const errors: Record<string, string> = { ok: '', field: '', type: '' };
    let current = '';
    for (const line of (run.stdout + run.stderr).split('\n')) {
      const file = /^(\w+)\.ts\(/.exec(line)?.[1];
      if (file !== undefined) current = file;
      if (line.trim()) errors[current] = `${errors[current] ?? ''}${line}\n`;
    }
    expect(errors.ok).toBe('');
    expect(errors.field).toMatch(/'websit' does not exist/);
    expect(errors.type).toMatch(/'GrantsManagementOferring' does not exist/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
