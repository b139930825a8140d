import path from 'node:path';
import { REPO_ROOT } from '@qsmo/service-kit/subgraphs';
import { ensureChartValidator } from './chart-validator';

/** `npm run chart:validator`: builds the offline chart validator into .tools/ (once) and prints its path. */
const started = Date.now();
ensureChartValidator().then(
  (binary) => {
    process.stdout.write(`${path.relative(REPO_ROOT, binary)} (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
