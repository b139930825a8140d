import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { REPO_ROOT } from '@qsmo/service-kit/config';

/**
 * Building the browser IDE: GraphiQL, React and Monaco's workers bundled by
 * esbuild from npm packages into gateway/dist/ide (git-ignored), fonts and
 * icons inlined, so the page never asks a CDN for anything. The bundle
 * records a fingerprint of everything it was built from; the gateway
 * rebuilds when it is missing or the fingerprint no longer matches.
 */
export const IDE_SOURCE_DIR = path.join(REPO_ROOT, 'gateway', 'ide');
export const IDE_BUNDLE_DIR = path.join(REPO_ROOT, 'gateway', 'dist', 'ide');
const MANIFEST = 'manifest.json';

/** Sources outside gateway/ide the page imports: the tidy table it shares with the query command, and the spreadsheet-safe CSV. */
export const IDE_SHARED_SOURCES = ['gateway/src/cli/tidy.ts', 'gateway/src/cli/flatten.ts', 'shared/catalog/src/csv.ts'];

/** Packages whose code ends up in the bundle, plus the bundler: a new version means a new bundle. */
const BUNDLED_PACKAGES = [
  'graphiql',
  '@graphiql/react',
  '@graphiql/toolkit',
  '@graphiql/plugin-doc-explorer',
  '@graphiql/plugin-history',
  'react',
  'react-dom',
  'monaco-editor',
  'monaco-graphql',
  'graphql',
  'esbuild',
];

export interface IdeManifest {
  fingerprint: string;
  /** Served file names (main.js, main.css, *.worker.js), each also present gzipped as <name>.gz. */
  files: string[];
}

export interface IdeBundle {
  dir: string;
  manifest: IdeManifest;
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'missing';
  }
}

/** A hash of the client sources, this build script and the bundled packages' versions. */
export function ideSourceFingerprint(): string {
  const hash = createHash('sha256');
  for (const file of fs.readdirSync(IDE_SOURCE_DIR).sort()) {
    hash.update(`${file}\0`).update(fs.readFileSync(path.join(IDE_SOURCE_DIR, file)));
  }
  for (const file of IDE_SHARED_SOURCES) hash.update(`${file}\0`).update(fs.readFileSync(path.join(REPO_ROOT, file)));
  hash.update(fs.readFileSync(__filename));
  for (const name of BUNDLED_PACKAGES) hash.update(`${name}@${packageVersion(name)}\0`);
  return hash.digest('hex').slice(0, 16);
}

export function readIdeBundle(dir: string = IDE_BUNDLE_DIR): IdeBundle | undefined {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as IdeManifest;
    if (!manifest.files.every((f) => fs.existsSync(path.join(dir, f)))) return undefined;
    return { dir, manifest };
  } catch {
    return undefined;
  }
}

/** Builds the bundle into a temporary folder, then swaps it in, so a reader never sees half a bundle. */
export async function buildIdeBundle(dir: string = IDE_BUNDLE_DIR): Promise<IdeBundle> {
  const esbuild = await import('esbuild');
  const fingerprint = ideSourceFingerprint();
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const resolve = (specifier: string) => require.resolve(specifier, { paths: [REPO_ROOT] });
  try {
    const { metafile } = await esbuild.build({
      absWorkingDir: REPO_ROOT,
      metafile: true,
      entryPoints: {
        main: path.join(IDE_SOURCE_DIR, 'main.tsx'),
        // Monaco runs its language services in web workers; GraphiQL would otherwise fetch them from esm.sh.
        'editor.worker': resolve('monaco-editor/esm/vs/editor/editor.worker.js'),
        'json.worker': resolve('monaco-editor/esm/vs/language/json/json.worker.js'),
        'graphql.worker': resolve('monaco-graphql/esm/graphql.worker.js'),
      },
      outdir: tmp,
      entryNames: '[name]',
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: ['chrome109', 'edge109', 'firefox115', 'safari16'],
      minify: true,
      jsx: 'automatic',
      // Fonts and icons inside the CSS become data: URLs: no extra file can be looked for elsewhere.
      loader: { '.ttf': 'dataurl', '.woff': 'dataurl', '.woff2': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl' },
      define: { 'process.env.NODE_ENV': '"production"' },
      tsconfig: path.join(IDE_SOURCE_DIR, 'tsconfig.json'),
      logLevel: 'silent',
    });
    // A source the fingerprint does not cover would leave a stale bundle in place after it changes.
    const uncovered = Object.keys(metafile.inputs).filter(
      (f) => !f.includes('node_modules/') && !f.startsWith('gateway/ide/') && !IDE_SHARED_SOURCES.includes(f),
    );
    if (uncovered.length > 0)
      throw new Error(
        `the IDE imports ${uncovered.join(', ')}, which its fingerprint does not cover: add them to IDE_SHARED_SOURCES in gateway/src/ide-build.ts.`,
      );
    const files = fs
      .readdirSync(tmp)
      .filter((f) => /\.(js|css)$/.test(f))
      .sort();
    for (const f of files) fs.writeFileSync(path.join(tmp, `${f}.gz`), zlib.gzipSync(fs.readFileSync(path.join(tmp, f)), { level: 9 }));
    const manifest: IdeManifest = { fingerprint, files };
    fs.writeFileSync(path.join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    // Another process (a parallel test, a second gateway) may have built the same bundle meanwhile: keep theirs.
    if (readIdeBundle(dir)?.manifest.fingerprint === fingerprint) return readIdeBundle(dir)!;
    fs.rmSync(dir, { recursive: true, force: true });
    try {
      fs.renameSync(tmp, dir);
    } catch (error) {
      const theirs = readIdeBundle(dir);
      if (theirs?.manifest.fingerprint !== fingerprint) throw error;
    }
    return readIdeBundle(dir) ?? { dir, manifest };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The current bundle, built first when it is missing or was built from other sources. */
export async function ensureIdeBundle(onBuild?: (reason: string) => void): Promise<IdeBundle> {
  const existing = readIdeBundle();
  const fingerprint = ideSourceFingerprint();
  if (existing?.manifest.fingerprint === fingerprint) return existing;
  onBuild?.(existing ? 'its sources or packages changed' : 'it has not been built yet');
  return buildIdeBundle();
}
