import path from 'node:path';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { fixLockfile } from './lockfile';

/** `npm run lock:fix`: run after every `npm install` that changes package-lock.json (see lockfile.ts). */
const added = fixLockfile(path.join(REPO_ROOT, 'package-lock.json'));
process.stdout.write(added ? `package-lock.json: added ${added} platform entries npm left out\n` : 'package-lock.json: complete\n');
