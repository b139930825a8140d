import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { REPO_ROOT } from '@qsmo/service-kit/config';

/**
 * The runtimes the project claims are the ones CI runs: the newest LTS pinned
 * in .nvmrc (the whole suite) and the maintenance LTS pinned in .ci/run (the
 * unit layer and the end-to-end files that lean on the runtime). package.json's
 * `engines`, the Dockerfile's base image, @types/node and the README say the
 * same, and no installed package asks for a Node.js those runtimes are not (so
 * `npm ci` gives no engine warning on them).
 */
const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; devDependencies: Record<string, string> };
const lts = read('.nvmrc').trim();
const maintenance = /^MAINTENANCE_NODE=(\S+)$/m.exec(read('.ci/run'))?.[1] ?? '';
const floor = /^>=(\d+\.\d+)$/.exec(pkg.engines.node)?.[1] ?? '';
const major = (version: string) => semver.major(semver.coerce(version) ?? '0.0.0');

test('the pinned versions are exact releases, and package.json\'s engines is a ">=" floor', () => {
  expect(lts).toMatch(/^\d+\.\d+\.\d+$/);
  expect(maintenance).toMatch(/^\d+\.\d+\.\d+$/);
  expect(floor).not.toBe('');
  expect(major(lts)).toBeGreaterThan(major(maintenance));
});

test('engines admits both CI runtimes, and its floor is on the maintenance line CI tests', () => {
  expect(semver.satisfies(lts, pkg.engines.node)).toBe(true);
  expect(semver.satisfies(maintenance, pkg.engines.node)).toBe(true);
  expect(major(floor)).toBe(major(maintenance));
});

test("CI runs npm ci and the README's test command (npm test) on .nvmrc's version, the unit layer and end-to-end files on the maintenance one", () => {
  const ci = read('.ci/run');
  expect(ci).toMatch(/^LTS_NODE="\$\(tr -d '\[:space:\]' < \.nvmrc\)"$/m);
  expect(ci).toMatch(/^step "\$LTS_NODE" "npm ci" npm ci /m);
  expect(ci).toMatch(/^step "\$LTS_NODE" "npm test" npm test$/m);
  expect(ci).toMatch(/^step "\$MAINTENANCE_NODE" "unit layer" npm run test:unit$/m);
  expect(ci).toMatch(/^step "\$MAINTENANCE_NODE" "end-to-end files" npx jest --runInBand --selectProjects integration -- "\$\{MAINTENANCE_E2E\[@\]\}"$/m);
  const files = /^MAINTENANCE_E2E=\(([^)]*)\)$/m.exec(ci)?.[1]?.split(' ') ?? [];
  expect(files.length).toBeGreaterThan(0);
  expect(files.filter((f) => !f.endsWith('.e2e.test.ts') || !fs.existsSync(path.join(REPO_ROOT, f)))).toEqual([]);
});

test('under CI, this process runs on the Node.js version the step pinned', () => {
  const expected = process.env.CI_NODE_VERSION;
  if (expected) expect(process.versions.node).toBe(expected);
});

test("the Dockerfile's base image is the LTS line CI tests", () => {
  const froms = [...read('shared/Dockerfile').matchAll(/^FROM node:(\d+)-/gm)].map((m) => Number(m[1]));
  expect(froms.length).toBeGreaterThan(0);
  expect(new Set(froms)).toEqual(new Set([major(lts)]));
});

test('@types/node describes the oldest runtime engines admits, so code cannot use what it lacks', () => {
  expect(major(pkg.devDependencies['@types/node'] ?? '')).toBe(major(floor));
});

test('the README states the runtimes CI tests and the engines floor', () => {
  const readme = read('README.md').replace(/\s+/g, ' ');
  const claim = `Supported runtimes: Node.js ${major(lts)} LTS and Node.js ${major(maintenance)} ≥ ${floor}`;
  if (!readme.includes(claim)) throw new Error(`README.md does not say "${claim}"`);
  const floors = [...readme.matchAll(/Node\.js ≥ (\d+(?:\.\d+)*)/g)].map((m) => m[1]);
  expect(floors.filter((f) => f !== floor)).toEqual([]);
});

test('no installed package asks for a Node.js the CI runtimes or the engines floor are not', () => {
  const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { engines?: { node?: string } | string[] }> };
  const refusing: string[] = [];
  for (const [key, meta] of Object.entries(lock.packages)) {
    const range = meta.engines && !Array.isArray(meta.engines) ? meta.engines.node : undefined;
    if (!key || !range) continue;
    for (const version of [lts, maintenance, `${floor}.0`]) {
      if (!semver.satisfies(version, range, { includePrerelease: true })) refusing.push(`${key} (node ${range}) refuses ${version}`);
    }
  }
  expect(refusing).toEqual([]);
});
