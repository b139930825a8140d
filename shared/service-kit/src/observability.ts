import type { EnvReader } from './config';
import { LOG_FORMATS, type LogFormat } from './logger';
import { telemetryProblems, tracingRequested } from './telemetry';

/** How a service reports itself: the log format and whether traces are exported. */
export interface ObservabilityConfig {
  /** LOG_FORMAT: json (default with NODE_ENV=production) or pretty. */
  logFormat: LogFormat;
  /** Whether the standard OTel variables ask for traces (see telemetry.ts). */
  tracing: boolean;
}

/**
 * Reads LOG_FORMAT and checks the OTel variables once at an entry point, so
 * a misspelt endpoint or protocol stops start-up with the other problems.
 * `environment` is the raw environment the OTel SDK will read itself.
 */
export function readObservabilityConfig(env: EnvReader, environment: NodeJS.ProcessEnv = process.env): ObservabilityConfig {
  for (const problem of telemetryProblems(environment)) env.problem(problem);
  return {
    logFormat: env.oneOf('LOG_FORMAT', LOG_FORMATS, env.string('NODE_ENV') === 'production' ? 'json' : 'pretty'),
    tracing: tracingRequested(environment),
  };
}
