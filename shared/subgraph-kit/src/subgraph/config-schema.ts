import { env } from '@qsmo/service-kit/config-schema';
import {
  DATABASE_VARIABLES,
  HTTP_VARIABLES,
  LIMIT_VARIABLES_SCHEMA,
  OBSERVABILITY_VARIABLES,
  PROCESS_VARIABLES,
  SIGNATURE_VARIABLES,
  SIGNATURE_VERIFICATION_VARIABLES,
} from '@qsmo/service-kit/config-variables';
import { SUBGRAPH_DATA_VARIABLES } from './config-variables';
import type { DomainDefinition } from '../domain/definition';
import { SEED_POLICIES } from '../domain/seed';

/**
 * Every environment variable a marketplace subgraph reads (the runner every
 * QSMO shares): readSubgraphConfig reads through this schema only. The port
 * and database defaults are each marketplace's own.
 */
export function subgraphVariables(definition?: Pick<DomainDefinition, 'defaultPort' | 'defaultDatabase'>) {
  // Without a definition: the schema as the reference describes it for every marketplace.
  return {
    PORT: env.port('The port the subgraph listens on.', definition ? { default: definition.defaultPort } : { shown: "the marketplace's own (see below)" }),
    ...PROCESS_VARIABLES,
    MONGODB_DATABASE: env.databaseName(
      "The marketplace's database.",
      definition ? { default: definition.defaultDatabase } : { shown: "the marketplace's own (see below)" },
    ),
    SEED_ON_START: env.oneOf(
      'When the reference catalog is loaded at start-up: `auto` loads an empty or outdated database and leaves a current one alone.',
      SEED_POLICIES,
      { default: 'auto' },
    ),
    SEED_RESET: env.boolean("Replace the team's edits with the reference catalog at start-up (recorded in the audit trail).", { default: false }),
    ...DATABASE_VARIABLES,
    ...SUBGRAPH_DATA_VARIABLES,
    ...SIGNATURE_VARIABLES,
    ...SIGNATURE_VERIFICATION_VARIABLES,
    ...LIMIT_VARIABLES_SCHEMA,
    ...HTTP_VARIABLES,
    ...OBSERVABILITY_VARIABLES,
  };
}

/** Names only a subgraph's settings start with. */
export const SUBGRAPH_PREFIXES = ['READ_MODEL', 'SEED_', 'EMBEDDED_DB_', 'MONGODB_', 'REQUIRE_GATEWAY'];
