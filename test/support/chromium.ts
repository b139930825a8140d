import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import packagedChromium from '@sparticuz/chromium';

/**
 * The headless Chromium the browser tests drive, found without installing or
 * downloading anything: the machine's own Chromium when there is one
 * (CHROMIUM_PATH, else /usr/bin/chromium), otherwise the one shipped inside
 * the @sparticuz/chromium devDependency (a brotli-compressed headless-shell
 * build that `executablePath()` unpacks into the temporary directory once).
 */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

export interface ChromiumLaunch {
  /** 'system' for CHROMIUM_PATH or /usr/bin/chromium, 'packaged' for @sparticuz/chromium. */
  source: 'system' | 'packaged';
  executablePath: string;
  /** The browser's command-line flags: the caller's, with the packaged build's own where it needs them. */
  args: string[];
  /** The browser process's environment. */
  env: NodeJS.ProcessEnv;
}

/**
 * Flags @sparticuz/chromium recommends that a test of a page's behaviour must
 * not use: they switch off the same-origin policy and site isolation, so a
 * page would work here that a real browser refuses. (Its `--headless='shell'`
 * is left out too: Playwright passes `--headless`, and the build has no other mode.)
 */
const UNSAFE_PACKAGED_FLAGS = new Set(['--disable-web-security', '--allow-running-insecure-content', '--disable-site-isolation-trials', "--headless='shell'"]);

/** Merges every --disable-features flag into one (Chromium keeps only the last of a repeated switch). */
function mergeFeatureFlags(args: string[]): string[] {
  const disabled = new Set<string>();
  const rest: string[] = [];
  for (const arg of args) {
    if (arg.startsWith('--disable-features='))
      for (const f of arg.slice('--disable-features='.length).split(',')) {
        if (f) disabled.add(f);
      }
    else rest.push(arg);
  }
  return disabled.size ? [...rest, `--disable-features=${[...disabled].join(',')}`] : rest;
}

/** The package's own directory of compressed files (chromium.br, fonts.tar.br, al2023.tar.br). */
function packagedBinDir(): string {
  return path.join(path.dirname(require.resolve('@sparticuz/chromium')), '..', '..', 'bin');
}

/**
 * The shared libraries the packaged browser links against besides the C
 * library (NSS, NSPR, expat), from the package's own al2023.tar.br, unpacked
 * once next to the browser. With them on LD_LIBRARY_PATH the browser runs on
 * a machine without Debian's libnss3, libnspr4 and libexpat1.
 */
function packagedLibraries(): string {
  const bin = packagedBinDir();
  const { version } = JSON.parse(fs.readFileSync(path.join(bin, '..', 'package.json'), 'utf8')) as { version: string };
  const dir = path.join(os.tmpdir(), `qsmo-packaged-chromium-${version}-libs`);
  if (fs.existsSync(path.join(dir, 'lib', 'libnss3.so'))) return path.join(dir, 'lib');
  // Unpacked into a fresh directory, then renamed: a run that stops half-way leaves nothing a later run would take as done.
  const partial = fs.mkdtempSync(`${dir}.partial-`);
  try {
    const tar = zlib.brotliDecompressSync(fs.readFileSync(path.join(bin, 'al2023.tar.br')));
    execFileSync('tar', ['-x', '-C', partial], { input: tar });
    try {
      fs.renameSync(partial, dir);
    } catch (error) {
      // Another run unpacked it first.
      if (!fs.existsSync(path.join(dir, 'lib', 'libnss3.so'))) throw error;
    }
  } finally {
    fs.rmSync(partial, { recursive: true, force: true });
  }
  return path.join(dir, 'lib');
}

/** Libraries the dynamic loader cannot find for a binary, as `ldd` reports them. */
export function missingLibraries(binary: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const ldd = spawnSync('ldd', [binary], { encoding: 'utf8', env });
  if (ldd.error) return [];
  return ldd.stdout
    .split('\n')
    .filter((l) => /not found/.test(l))
    .map((l) => l.trim().split(/\s+/)[0]!);
}

/** The flags every browser test launches with: headless, in a container (no sandbox, no GPU), and nothing fetched in the background. */
export const HEADLESS_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-extensions',
];

export async function findChromium(flags: readonly string[]): Promise<ChromiumLaunch> {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit) {
    if (!fs.existsSync(explicit)) throw new Error(`CHROMIUM_PATH=${explicit} does not exist.`);
    return { source: 'system', executablePath: explicit, args: [...flags], env: process.env };
  }
  if (fs.existsSync(SYSTEM_CHROMIUM)) return { source: 'system', executablePath: SYSTEM_CHROMIUM, args: [...flags], env: process.env };

  // WebGL off (its flags then say --disable-webgl): nothing under test draws with it, and the tests pass --disable-gpu.
  packagedChromium.setGraphicsMode = false;
  const executablePath = await packagedChromium.executablePath();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LD_LIBRARY_PATH: [packagedLibraries(), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    // The fonts the package unpacked next to the browser, with their own fontconfig file.
    FONTCONFIG_PATH: path.join(os.tmpdir(), 'fonts'),
  };
  const version = spawnSync(executablePath, ['--version'], { encoding: 'utf8', env });
  if (version.status !== 0) {
    const missing = missingLibraries(executablePath, env);
    throw new Error(
      `The packaged Chromium at ${executablePath} does not run` +
        (missing.length ? `: shared libraries not found: ${missing.join(', ')}` : `: ${version.error?.message ?? version.stderr}`) +
        `. (A partial unpack? Remove ${executablePath} and run again.) Or install Chromium and set CHROMIUM_PATH.`,
    );
  }
  // Its --enable-features is left out as well: it would replace Playwright's own, one of which stops account lookups at accounts.google.com.
  const recommended = packagedChromium.args.filter((a) => !UNSAFE_PACKAGED_FLAGS.has(a) && !a.startsWith('--enable-features='));
  return { source: 'packaged', executablePath, args: mergeFeatureFlags([...recommended, ...flags]), env };
}
