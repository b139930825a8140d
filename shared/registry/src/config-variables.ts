import { env } from '@qsmo/service-kit/config-schema';
import { DEFAULT_REGISTRY_DATABASE } from './store';
import { DEFAULT_USAGE_WINDOW_DAYS } from './usage';

/** Where the schema registry lives: read by the gateway that follows it and by the schema commands. */
export const REGISTRY_VARIABLES = {
  REGISTRY_MONGODB_URI: env.mongoUri("The schema registry's MongoDB; unset, MONGODB_URI, else the embedded database."),
  REGISTRY_DATABASE: env.databaseName("The schema registry's database name.", { default: DEFAULT_REGISTRY_DATABASE }),
};

/** Field usage: recorded by the gateway, read by schema checks. */
export const USAGE_VARIABLES = {
  FIELD_USAGE: env.boolean('Whether the gateway records which fields clients use (into the registry it follows).', { default: true }),
  FIELD_USAGE_FLUSH_MS: env.positiveInt('How often recorded field usage is written.', { default: 10_000 }),
  FIELD_USAGE_RETENTION_DAYS: env.positiveInt('Days field usage is kept.', { default: 90 }),
  FIELD_USAGE_MAX_CLIENTS: env.positiveInt('Distinct client names recorded at most.', { default: 200 }),
  USAGE_WINDOW_DAYS: env.positiveInt('Days of usage a schema check looks at; at most FIELD_USAGE_RETENTION_DAYS.', { default: DEFAULT_USAGE_WINDOW_DAYS }),
};
