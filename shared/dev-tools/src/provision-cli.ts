import path from 'node:path';
import { EnvReader, REPO_ROOT } from '@qsmo/service-kit/config';
import { createLogger } from '@qsmo/service-kit/logger';
import { exitOnStartupError } from '@qsmo/service-kit/shutdown';
import { ensureFerretDb } from '@qsmo/embedded-db/ferretdb';

/** `npm run db:provision`: builds the embedded FerretDB now rather than on first start (CI, images). */
const logger = createLogger('provision');
const env = new EnvReader();
const toolsDir = path.resolve(env.string('TOOLS_DIR', path.join(REPO_ROOT, '.tools')));
env.done();
ensureFerretDb(toolsDir, logger)
  .then((binary) => logger.info(`FerretDB ready: ${path.relative(process.cwd(), binary)}`))
  .catch(exitOnStartupError(logger));
