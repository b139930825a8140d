import { env, LOG_LEVELS } from '@qsmo/service-kit/config-schema';
import { DATABASE_VARIABLES } from '@qsmo/service-kit/config-variables';
import { REGISTRY_VARIABLES, USAGE_VARIABLES } from './config-variables';
import type { DomainDefinition } from '@qsmo/subgraph-kit/domain/definition';

/** The registry's commands print their results; their own log lines are warnings and errors unless asked. */
const COMMAND_LOG_LEVEL = env.oneOf('How much the command logs.', LOG_LEVELS, { default: 'warn' });

/**
 * Every environment variable `npm run schema:check` / `schema:publish` of a
 * subgraph reads. Without a definition: as the reference describes it for
 * every subgraph.
 */
export function registryCliVariables(definition?: Pick<DomainDefinition, 'defaultPort'>) {
  return {
    LOG_LEVEL: COMMAND_LOG_LEVEL,
    PORT: env.port("The subgraph's port, for the default routing URL.", definition ? { default: definition.defaultPort } : { shown: "the subgraph's own" }),
    ROUTING_URL: env.string('The URL the gateway reaches the subgraph at, recorded with the published schema (--url wins).', {
      shown: 'http://localhost:$PORT/graphql',
    }),
    SCHEMA_PUBLISHER: env.string('Who a publish is recorded as (--publisher wins).', { shown: 'the OS user' }),
    ...REGISTRY_VARIABLES,
    ...DATABASE_VARIABLES,
    ...USAGE_VARIABLES,
  };
}

/** Every environment variable `npm run schema:usage` reads (its --days stands for USAGE_WINDOW_DAYS). */
export const USAGE_CLI_VARIABLES = {
  LOG_LEVEL: COMMAND_LOG_LEVEL,
  ...REGISTRY_VARIABLES,
  ...DATABASE_VARIABLES,
  ...USAGE_VARIABLES,
};

/** Every environment variable `npm run operations:publish` and `operations:schema` read. */
export const OPERATIONS_CLI_VARIABLES = {
  LOG_LEVEL: COMMAND_LOG_LEVEL,
  SCHEMA_PUBLISHER: env.string('Who `operations:publish` records a manifest as published by (--publisher wins).', { shown: 'the OS user' }),
  ...REGISTRY_VARIABLES,
  ...DATABASE_VARIABLES,
};
