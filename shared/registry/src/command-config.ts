import { readCommandConfig } from '@qsmo/service-kit/config';
import type { LogLevel } from '@qsmo/service-kit/logger';
import { OPERATIONS_CLI_VARIABLES, USAGE_CLI_VARIABLES } from './cli-config-schema';
import { readRegistryConfig, type RegistryConfig } from './config';
import { defaultPublisher } from './publish';
import { readUsageConfig } from './usage';

/**
 * The settings of the registry's one-off commands beside schema:check and
 * schema:publish (those are read in cli.ts), each read once through its
 * schema (cli-config-schema.ts); a bad value throws a ConfigError naming it.
 */

export interface UsageCliConfig {
  registry: RegistryConfig;
  windowDays: number;
  logLevel: LogLevel;
  warnings: string[];
}

/** `npm run schema:usage`: --days, when given, is read as USAGE_WINDOW_DAYS, with its checks. */
export function readUsageCliConfig(environment: NodeJS.ProcessEnv = process.env, days?: string): UsageCliConfig {
  const withDays = days === undefined ? environment : { ...environment, USAGE_WINDOW_DAYS: days };
  return readCommandConfig(withDays, USAGE_CLI_VARIABLES, { service: 'npm run schema:usage', prefixes: [] }, (env) => ({
    registry: readRegistryConfig(env),
    windowDays: readUsageConfig(env).windowDays,
    logLevel: env.logLevel('LOG_LEVEL', 'warn'),
  }));
}

export interface OperationsCliConfig {
  registry: RegistryConfig;
  /** Who a manifest is recorded as published by, unless --publisher says. */
  publisher: string;
  logLevel: LogLevel;
  warnings: string[];
}

/** `npm run operations:publish` and `operations:schema`. */
export function readOperationsCliConfig(command: 'publish' | 'schema', environment: NodeJS.ProcessEnv = process.env): OperationsCliConfig {
  return readCommandConfig(environment, OPERATIONS_CLI_VARIABLES, { service: `npm run operations:${command}`, prefixes: [] }, (env) => ({
    registry: readRegistryConfig(env),
    publisher: defaultPublisher({ SCHEMA_PUBLISHER: env.string('SCHEMA_PUBLISHER') }),
    logLevel: env.logLevel('LOG_LEVEL', 'warn'),
  }));
}
