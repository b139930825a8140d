import { env } from '@qsmo/service-kit/config-schema';
import {
  HTTP_VARIABLES,
  LIMIT_VARIABLES_SCHEMA,
  OBSERVABILITY_VARIABLES,
  PROCESS_VARIABLES,
  SIGNATURE_VARIABLES,
  SIGNATURE_VERIFICATION_VARIABLES,
} from '@qsmo/service-kit/config-variables';
import { DIRECTORY, envName, SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { DEFAULT_DIRECTORY_FRESHEN_MS, DEFAULT_DIRECTORY_POLL_MS, DEFAULT_DIRECTORY_READ_TIMEOUT_MS } from './server';

/** Every environment variable the cross-QSMO directory reads: readDirectoryConfig reads through this schema only. */
export const DIRECTORY_VARIABLES = {
  PORT: env.port('The port the directory listens on.', { default: DIRECTORY.port }),
  ...PROCESS_VARIABLES,
  ...Object.fromEntries(
    SUBGRAPHS.map((s) => [
      envName(s.name, 'URL'),
      env.string(`Where the directory reads the ${s.area} marketplace (its /graphql).`, { default: `http://localhost:${s.port}/graphql` }),
    ]),
  ),
  DIRECTORY_POLL_MS: env.positiveInt("How often each marketplace's data version is checked.", { default: DEFAULT_DIRECTORY_POLL_MS }),
  DIRECTORY_READ_TIMEOUT_MS: env.positiveInt('How long one read of a marketplace may take.', { default: DEFAULT_DIRECTORY_READ_TIMEOUT_MS }),
  DIRECTORY_FRESHEN_MS: env.nonNegativeInt(
    "How long a request waits for the marketplaces' current data versions before it is answered from the projection as it stands.",
    { default: DEFAULT_DIRECTORY_FRESHEN_MS },
  ),
  REQUIRE_GATEWAY_SIGNATURE: env.boolean('Whether only calls signed by the gateway are answered.', { shown: 'true with NODE_ENV=production, else false' }),
  ...SIGNATURE_VARIABLES,
  ...SIGNATURE_VERIFICATION_VARIABLES,
  ...LIMIT_VARIABLES_SCHEMA,
  ...HTTP_VARIABLES,
  ...OBSERVABILITY_VARIABLES,
};

/** Names only the directory's settings start with. */
export const DIRECTORY_PREFIXES = ['DIRECTORY_'];
