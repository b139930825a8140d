import path from 'node:path';
import { createLogger } from '@qsmo/service-kit/logger';
import { exitOnStartupError } from '@qsmo/service-kit/shutdown';
import { ensureFerretDb } from '@qsmo/embedded-db/ferretdb';
import { readProvisionConfig } from './command-config';

/** `npm run db:provision`: builds the embedded FerretDB now rather than on first start (CI, images). */
const logger = createLogger('provision');
void (async () => {
  const { toolsDir, warnings } = readProvisionConfig();
  for (const warning of warnings) logger.warn(warning);
  const binary = await ensureFerretDb(toolsDir, logger);
  logger.info(`FerretDB ready: ${path.relative(process.cwd(), binary)}`);
})().catch(exitOnStartupError(logger));
