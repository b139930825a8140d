import { createLogger } from '@qsmo/service-kit/logger';
import { exitOnStartupError } from '@qsmo/service-kit/shutdown';
import { readGatewayConfig } from './config';
import { describeGatewayPlugins } from './gateway-plugins';

/**
 * `npm run -s gateway:plugins`: the gateway's plugins by phase and the order
 * each request stage runs them in, for the configuration in the environment
 * (the same the gateway logs at LOG_LEVEL=debug when it starts).
 */
const logger = createLogger('gateway-plugins', 'warn');
try {
  process.stdout.write(`${describeGatewayPlugins(readGatewayConfig(), logger)}\n`);
} catch (error) {
  void exitOnStartupError(logger)(error);
}
