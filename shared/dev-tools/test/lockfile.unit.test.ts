import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { missingPlatformEntries } from '@qsmo/dev-tools/lockfile';

test('package-lock.json lists every platform package, so `npm ci` accepts it on a fresh machine', () => {
  const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8'));
  const missing = Object.keys(missingPlatformEntries(lock));
  if (missing.length > 0) throw new Error(`package-lock.json lacks ${missing.length} platform entries (e.g. ${missing[0]}): run npm run lock:fix`);
});

test('a missing platform package is described by version and platform, dev-only when its parent is', () => {
  const lock = {
    packages: {
      '': {},
      'node_modules/@swc/core': {
        version: '1.0.0',
        dev: true,
        optionalDependencies: { '@swc/core-darwin-arm64': '1.0.0', '@swc/core-linux-x64-musl': '1.0.0' },
      },
    },
  };
  expect(missingPlatformEntries(lock)).toEqual({
    'node_modules/@swc/core-darwin-arm64': { version: '1.0.0', dev: true, optional: true, cpu: ['arm64'], os: ['darwin'] },
    'node_modules/@swc/core-linux-x64-musl': { version: '1.0.0', dev: true, optional: true, cpu: ['x64'], os: ['linux'], libc: ['musl'] },
  });
});
