import fs from 'node:fs';

/**
 * Keeps package-lock.json installable with `npm ci` from registries that
 * mirror only some platforms.
 *
 * Packages with native builds (@swc/core, esbuild, jest's resolver...) list
 * one optional dependency per platform. When the registry an install runs
 * against lacks the other platforms' packages (404), npm leaves them out of
 * the lockfile, and `npm ci` then refuses the lockfile as out of sync. The
 * entries npm would have written carry the version and the platform fields,
 * which is all `npm ci` reads to skip them on another platform; on a machine
 * of that platform npm fetches them by version as usual.
 */
const OSES = ['darwin', 'win32', 'linux', 'android', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix', 'openharmony'];
const CPUS = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el', 'wasm32'];

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  optionalDependencies?: Record<string, string>;
}
interface Lockfile {
  packages: Record<string, LockEntry>;
}

const part = (name: string, values: string[]) => values.find((v) => new RegExp(`(^|-)${v}(-|$)`).test(name));

/** The platform entries missing from a lockfile, keyed by their node_modules path. */
export function missingPlatformEntries(lock: Lockfile): Record<string, LockEntry> {
  const missing: Record<string, LockEntry> = {};
  for (const [key, meta] of Object.entries(lock.packages)) {
    for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
      const top = `node_modules/${dep}`;
      const nested = key ? `${key}/node_modules/${dep}` : top;
      if (lock.packages[top] || lock.packages[nested] || missing[top]) continue;
      const name = dep.split('/').at(-1) ?? dep;
      const os = part(name, OSES);
      const cpu = part(name, CPUS);
      if (!os && !cpu) continue;
      missing[top] = {
        version,
        ...(meta.dev ? { dev: true } : {}),
        optional: true,
        ...(cpu ? { cpu: [cpu] } : {}),
        ...(os ? { os: [os] } : {}),
        ...(name.includes('musl') ? { libc: ['musl'] } : os === 'linux' && name.includes('gnu') ? { libc: ['glibc'] } : {}),
      };
    }
  }
  return missing;
}

export function fixLockfile(path: string): number {
  const lock = JSON.parse(fs.readFileSync(path, 'utf8')) as Lockfile;
  const missing = missingPlatformEntries(lock);
  const count = Object.keys(missing).length;
  if (count === 0) return 0;
  const entries = Object.entries({ ...lock.packages, ...missing }).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  lock.packages = Object.fromEntries(entries);
  fs.writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
  return count;
}
