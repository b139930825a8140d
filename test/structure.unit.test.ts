import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT, SUBGRAPHS } from '@qsmo/shared';

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

test('no code imports a package\'s dist/ internals', () => {
  expect(where(/from '(@[^/']+\/)?[^.'][^']*\/dist\//, tracked)).toEqual([]);
});

test('the repository root and the environment-name rule are defined once', () => {
  expect(where(/REPO_ROOT = /)).toEqual(['shared/src/subgraphs.ts']);
  expect(where(/toUpperCase\(\)\.replace\(\/-\/g/)).toEqual(['shared/src/subgraphs.ts']);
});

test('subgraph names are written only in the list and in each package\'s own entry', () => {
  for (const s of SUBGRAPHS) {
    expect(where(new RegExp(`'${s.name}'`))).toEqual(['shared/src/subgraphs.ts', `subgraphs/${s.name}/src/entry.ts`].sort());
  }
});

test('a misspelt type or field in a subgraph\'s resolvers does not compile', () => {
  const dir = path.join(REPO_ROOT, 'subgraphs', 'grants-management', 'src', 'resolvers');
  const probe = (body: string) => {
    const file = path.join(dir, '__misspelt__.ts');
    const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true, types: ['node'], baseUrl: REPO_ROOT, paths: { '@qsmo/shared': ['shared/src/index.ts'], '@qsmo/shared/*': ['shared/src/*'] } };
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    host.readFile = (f) => (path.resolve(f) === file ? body : readFile(f));
    host.fileExists = (f) => path.resolve(f) === file || fileExists(f);
    const program = ts.createProgram([file], options, host);
    return ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  };
  const head = "import type { Resolvers, GrantsManagementOfferingResolvers } from '../generated/resolvers-types';\n";
  expect(probe(`${head}export const ok: GrantsManagementOfferingResolvers = { website: (doc) => doc.website ?? null };\n`)).toEqual([]);
  expect(probe(`${head}export const field: GrantsManagementOfferingResolvers = { websit: () => null };\n`).join('\n')).toMatch(/'websit' does not exist/);
  expect(probe(`${head}export const type: Resolvers = { GrantsManagementOferring: {} };\n`).join('\n')).toMatch(/'GrantsManagementOferring' does not exist/);
}, 60_000);
