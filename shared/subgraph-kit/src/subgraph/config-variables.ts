import { env } from '@qsmo/service-kit/config-schema';
import { DEFAULT_OPERATION_TIMEOUT_MS } from '@qsmo/service-kit/mongo';
import { DEFAULT_READ_MODEL } from '../read-model';

/** The settings of a subgraph's data: its database calls, who may call it, and the read model. */
export const SUBGRAPH_DATA_VARIABLES = {
  MONGODB_TIMEOUT_MS: env.positiveInt('How long one database operation of a request may take.', { default: DEFAULT_OPERATION_TIMEOUT_MS }),
  REQUIRE_GATEWAY_SIGNATURE: env.boolean('Whether only calls signed by the gateway are answered.', { shown: 'true with NODE_ENV=production, else false' }),
  READ_MODEL: env.oneOf('The exact in-process read model (see "Read model" below).', ['on', 'off'] as const, {
    shown: '`on` with the embedded database, `off` with MONGODB_URI',
  }),
  READ_MODEL_POLL_MS: env.positiveInt('How often the read model checks for writes made by other processes.', { default: DEFAULT_READ_MODEL.pollIntervalMs }),
  READ_MODEL_MAX_ENTRIES: env.positiveInt('Results the read model keeps at most.', { default: DEFAULT_READ_MODEL.maxEntries }),
  READ_MODEL_MAX_AGE_MS: env.positiveInt('How long the read model keeps a result at most.', { default: DEFAULT_READ_MODEL.maxAgeMs }),
};
