import type { Logger } from './logger';

/**
 * Runs the given steps in order on SIGINT or SIGTERM (drain HTTP, close the
 * database client, stop the embedded database), then exits. A second signal
 * while shutting down forces an immediate exit.
 */
export function onShutdown(logger: Logger, steps: (() => Promise<void>)[]): void {
  let shuttingDown = false;
  const handler = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    shuttingDown = true;
    logger.info(`${signal}: shutting down`);
    void (async () => {
      let code = 0;
      for (const step of steps) {
        try {
          await step();
        } catch (error) {
          code = 1;
          logger.error('shutdown step failed', error);
        }
      }
      process.exit(code);
    })();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** Logs a start-up failure in full and exits non-zero. */
export function exitOnStartupError(logger: Logger, cleanup: () => Promise<void> = async () => undefined) {
  return async (error: unknown) => {
    logger.error(error instanceof Error ? error.message : String(error));
    if (error instanceof Error && error.cause) logger.debug('cause', error.cause);
    await cleanup().catch(() => undefined);
    process.exit(1);
  };
}
