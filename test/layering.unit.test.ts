import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/service-kit/subgraphs';

/**
 * The layering rules of .dependency-cruiser.cjs are enforced by `npm run
 * lint:deps` in `npm test`. These tests show the rules bite: a probe file
 * with a forbidden import makes the check fail with the rule's name, and
 * the smallest runtime piece loads almost nothing of the project.
 */
const depcruise = path.join(REPO_ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');

function cruise(files: string[]): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [depcruise, ...files, '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

/** Writes probe files into the tree for one check and always removes them. */
function withProbes<T>(probes: Record<string, string>, check: (files: string[]) => T): T {
  const files = Object.keys(probes);
  try {
    for (const [file, text] of Object.entries(probes)) fs.writeFileSync(path.join(REPO_ROOT, file), text);
    return check(files);
  } finally {
    for (const file of files) fs.rmSync(path.join(REPO_ROOT, file), { force: true });
  }
}

test('a runtime module that imports a development tool fails the check, naming the rule', () => {
  const result = withProbes(
    { 'gateway/src/layering-probe.ts': "import { runSeedCli } from '@qsmo/dev-tools/seed';\nexport const probe = runSeedCli;\n" },
    cruise,
  );
  expect(result.status).not.toBe(0);
  expect(result.output).toMatch(/runtime-never-loads-dev-tools: gateway\/src\/layering-probe\.ts → shared\/dev-tools\/src\/seed\.ts/);
});

test('a lower package that imports a higher one fails the check', () => {
  const result = withProbes(
    { 'shared/catalog/src/layering-probe.ts': "import { ReadModel } from '@qsmo/subgraph-kit/read-model';\nexport const probe = ReadModel;\n" },
    cruise,
  );
  expect(result.status).not.toBe(0);
  expect(result.output).toMatch(/layer-catalog: shared\/catalog\/src\/layering-probe\.ts → shared\/subgraph-kit\/src\/read-model\.ts/);
});

test('an import circle fails the check', () => {
  const result = withProbes(
    {
      'shared/service-kit/src/layering-probe-a.ts': "import type { B } from './layering-probe-b';\nexport type A = { b?: B };\n",
      'shared/service-kit/src/layering-probe-b.ts': "import type { A } from './layering-probe-a';\nexport type B = { a?: A };\n",
    },
    cruise,
  );
  expect(result.status).not.toBe(0);
  expect(result.output).toMatch(/no-circular: shared\/service-kit\/src\/layering-probe-a\.ts → /);
});

test("importing the error codes loads at most 10 of the project's modules and no development tool", () => {
  const script = `
    require('@qsmo/service-kit/errors');
    const mine = Object.keys(require.cache).filter((f) => f.startsWith(${JSON.stringify(REPO_ROOT + path.sep)}) && !f.includes('node_modules'));
    process.stdout.write(JSON.stringify(mine));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  const loaded = JSON.parse(run.stdout) as string[];
  expect(loaded.length).toBeGreaterThanOrEqual(1);
  expect(loaded.length).toBeLessThanOrEqual(10);
  expect(loaded.filter((f) => f.includes(`${path.sep}dev-tools${path.sep}`) || f.includes(`${path.sep}embedded-db${path.sep}`))).toEqual([]);
});
