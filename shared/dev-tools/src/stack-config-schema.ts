import { env } from '@qsmo/service-kit/config-schema';
import { DATABASE_VARIABLES } from '@qsmo/service-kit/config-variables';
import { REGISTRY_VARIABLES } from '@qsmo/registry/config-variables';
import { DIRECTORY, envName, SUBGRAPHS } from '@qsmo/service-kit/subgraphs';

/**
 * Every environment variable `npm start` (the local stack) reads itself.
 * The rest of its environment is passed on to the services it starts, which
 * read and check their own.
 */
export const STACK_VARIABLES = {
  PORT: env.port("The gateway's port.", { default: 4000 }),
  ...Object.fromEntries([...SUBGRAPHS, DIRECTORY].map((s) => [envName(s.name, 'PORT'), env.port(`The ${s.area} subgraph's port.`, { default: s.port })])),
  ...Object.fromEntries(
    SUBGRAPHS.map((s) => [
      envName(s.name, 'MONGODB_DATABASE'),
      env.databaseName(`The ${s.area} subgraph's database (e.g. a synthetic data set).`, { shown: "the subgraph's own" }),
    ]),
  ),
  ...DATABASE_VARIABLES,
  ...REGISTRY_VARIABLES,
  STACK_KEEP_DOWN: env.string('Services not to start, comma-separated (e.g. to run one from a debugger).'),
  DEV_KEYS_DIR: env.string("Where the local identity provider's key pair and signing secret are kept.", { shown: '.data/dev-keys' }),
  AUTH_JWKS_URL: env.string("A real identity provider's JWKS: the local key pair is then not used."),
  AUTH_JWKS_FILE: env.string('A JWKS file: the local key pair is then not used.'),
  GATEWAY_SIGNING_SECRET: env.string('The secret the gateway signs subgraph calls with.', { shown: 'the one kept in DEV_KEYS_DIR' }),
  GATEWAY_WORKERS: env.positiveInt('Gateway processes.', { default: 1 }),
  READ_MODEL: env.oneOf("The subgraphs' read model.", ['on', 'off'] as const, { shown: '`on` over the embedded database' }),
};

/** Names only the stack's settings start with. */
export const STACK_PREFIXES = ['STACK_'];
