import path from 'node:path';
import { buildIdeBundle } from './ide-build';

/**
 * `npm run build:ide`: bundles the browser IDE into gateway/dist/ide. The
 * gateway also does this by itself at start when the bundle is missing or
 * outdated; run it ahead to keep that out of a start-up.
 */
const started = Date.now();
buildIdeBundle()
  .then(({ dir, manifest }) => {
    process.stdout.write(
      `IDE bundle ${manifest.fingerprint} built in ${((Date.now() - started) / 1000).toFixed(1)}s: ${path.relative(process.cwd(), dir)}/{${manifest.files.join(',')}}\n`,
    );
  })
  .catch((error: unknown) => {
    process.stderr.write(`The IDE bundle could not be built: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
