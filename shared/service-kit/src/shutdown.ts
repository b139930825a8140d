import type { Logger } from './logger';

/**
 * Runs the given steps in order on SIGINT or SIGTERM (drain HTTP, close the
 * database client, stop the embedded database), then exits. A second signal
 * while shutting down forces an immediate exit, unless it comes within a
 * second of the first: one Ctrl-C often arrives twice (from the terminal to
 * the whole process group, and relayed by a parent such as npm or tsx).
 */
export function onShutdown(logger: Logger, steps: (() => Promise<void>)[]): void {
  let shuttingDownSince: number | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (shuttingDownSince !== undefined) {
      if (Date.now() - shuttingDownSince < 1_000) return;
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    shuttingDownSince = Date.now();
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
