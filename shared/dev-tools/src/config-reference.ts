import { docOf, type EnvSchema } from '@qsmo/service-kit/config-schema';
import { DIRECTORY_PREFIXES, DIRECTORY_VARIABLES } from '@qsmo/directory/config-schema';
import { SUBGRAPH_PREFIXES, subgraphVariables } from '@qsmo/subgraph-kit/subgraph/config-schema';
import { STACK_PREFIXES, STACK_VARIABLES } from './stack-config-schema';
import { OPERATIONS_CLI_VARIABLES, registryCliVariables, USAGE_CLI_VARIABLES } from '@qsmo/registry/cli-config-schema';
import { catalogCliVariables } from '@qsmo/subgraph-kit/catalog-io/cli-config';
import { defaultDatabaseOf, SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { PROVISION_VARIABLES, SEED_PREFIXES, seedVariables, SYNTHETIC_VARIABLES } from './command-config';
import { GATEWAY_PREFIXES, GATEWAY_VARIABLES } from '../../../gateway/src/config-schema';
import { COMPOSE_VARIABLES } from '../../../gateway/src/compose-config';

/** Where the configuration reference is written (by `npm run codegen`). */
export const CONFIGURATION_REFERENCE = 'docs/reference/configuration.md';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(schema: EnvSchema): string {
  const rows = Object.entries(schema).map(([name, variable]) => {
    const doc = docOf(variable);
    return `| \`${name}\` | ${cell(doc.type)} | ${doc.default === undefined ? '(unset)' : cell(doc.default)} | ${cell(doc.description)} |`;
  });
  return ['| Variable | Accepts | Default | What it does |', '|---|---|---|---|', ...rows].join('\n');
}

const prefixes = (list: readonly string[]) => list.map((p) => `\`${p}\``).join(', ');

/**
 * The configuration reference, written from the services' schemas: the
 * one place the variables are described is where they are declared.
 */
export function configurationReference(): string {
  const marketplaces = [
    '| Marketplace | `PORT` default | `MONGODB_DATABASE` default |',
    '|---|---|---|',
    ...SUBGRAPHS.map((s) => `| ${s.area} (\`${s.name}\`) | ${s.port} | \`${defaultDatabaseOf(s)}\` |`),
  ].join('\n');
  return `<!-- Generated from the configuration schemas (gateway/src/config-schema.ts, gateway/src/compose-config.ts, shared/subgraph-kit/src/subgraph/config-schema.ts, shared/subgraph-kit/src/catalog-io/cli-config.ts, shared/directory/src/config-schema.ts, shared/dev-tools/src/stack-config-schema.ts, shared/dev-tools/src/command-config.ts, shared/registry/src/cli-config-schema.ts) by npm run codegen. Do not edit. -->
# Configuration reference

Every service, and every one-off command (seeding, catalog import and
export, composition, the registry's commands), reads its environment once,
at start-up, through the schema declared for it; this page is generated
from those schemas.

- A bad value stops start-up with one message listing every problem, each
  saying what to change; a command stops before it opens or writes anything.
- A variable the service would ignore is warned about by name at start-up:
  a close misspelling of one it reads (\`CORS_ORIGIN\` → "did you mean
  \`CORS_ORIGINS\`?"), or an unknown name with one of the service's prefixes.
  A command warns on stderr, its stdout staying its output, and leaves the
  names the services read alone: a shell often holds the local stack's.
- Empty values count as unset.

## Gateway

Prefixes warned about when unknown: ${prefixes(GATEWAY_PREFIXES)}.

${table(GATEWAY_VARIABLES)}

## Marketplace subgraphs

Every marketplace runs the same runner (\`shared/subgraph-kit/src/subgraph/run.ts\`).
Prefixes warned about when unknown: ${prefixes(SUBGRAPH_PREFIXES)}.

${table(subgraphVariables())}

${marketplaces}

## Directory

Prefixes warned about when unknown: ${prefixes(DIRECTORY_PREFIXES)}.

${table(DIRECTORY_VARIABLES)}

## Schema registry commands

\`npm run schema:check\` and \`npm run schema:publish\` of a subgraph
(\`-w subgraphs/<name>\`).

${table(registryCliVariables())}

## Field usage (\`npm run schema:usage\`)

Who selected a field, from the usage the gateways record in the registry;
\`--days\` stands for \`USAGE_WINDOW_DAYS\`. A bad setting exits 2.

${table(USAGE_CLI_VARIABLES)}

## Client operations (\`npm run operations:publish\`, \`npm run operations:schema\`)

Publishing a client's persisted-query manifest to the registry, and writing
the API schema it publishes now. A bad setting exits 2.

${table(OPERATIONS_CLI_VARIABLES)}

## Local stack (\`npm start\`)

What \`npm start\` reads itself; the rest of its environment goes on to the
services it starts, which read and check their own. Prefixes warned about
when unknown: ${prefixes(STACK_PREFIXES)}.

${table(STACK_VARIABLES)}

## Seeding (\`npm run seed\`)

\`npm run seed [-- [--reset] <subgraph>...]\` for every marketplace or the
named ones, \`npm run seed -w subgraphs/<name>\` for one: reloads the
reference catalog into each one's database. A bad setting exits 1 before
anything is written. Prefixes warned about when unknown: ${prefixes(SEED_PREFIXES)}.

${table(seedVariables())}

## Catalog export and import (\`npm run catalog:export\`, \`npm run catalog:import\`)

Of one subgraph (\`-w subgraphs/<name>\`), which reads only its own
database's variable. A bad setting exits 1 before anything is read or written.

${table(catalogCliVariables())}

## Synthetic data (\`npm run seed:synthetic\`)

Fills \`qsmo_synthetic_<domain>\` databases for load tests, on the server
\`npm start\` uses. A bad setting exits 1.

${table(SYNTHETIC_VARIABLES)}

## Embedded database build (\`npm run db:provision\`)

Builds the embedded FerretDB now rather than on first start.

${table(PROVISION_VARIABLES)}

## Composition (\`npm run compose\`)

\`npm run compose [-- out.graphql]\` writes the supergraph of the local
subgraph schemas, recording these URLs as the subgraphs' routing URLs.

${table(COMPOSE_VARIABLES)}

## Read model

Each marketplace subgraph can answer its reads from an exact in-process read
model (\`shared/subgraph-kit/src/read-model.ts\`): results kept in memory, evicted by every
write through the process and by a change counter polled every
\`READ_MODEL_POLL_MS\` for writes made elsewhere.

- **Embedded database (no \`MONGODB_URI\`): on by default.** FerretDB v1
  pushes no \`$in\`, range or sort down to SQLite, so every \`find\` decodes
  the whole collection (about 10 ms for 15 offerings, 117 ms for 772 FIBF
  entries, whatever the result size); the catalog changes a few times a day,
  so the model answers the same reads again and again from memory.
- **\`MONGODB_URI\` set: off by default; \`READ_MODEL=on\` turns it on.** A
  real MongoDB answers the catalog's indexed reads itself, and there the
  model saves only round trips while costing memory per replica, a poll of
  the change counter every \`READ_MODEL_POLL_MS\`, and up to that long
  before a write by another replica is served. Turn it on where
  measurements show repeated reads dominate and that delay is acceptable.
- \`READ_MODEL=off\` always switches it off.
- \`npm start\` hands its embedded database to the subgraphs as
  \`MONGODB_URI\`, so it sets \`READ_MODEL=on\` for them unless you set
  \`READ_MODEL\` yourself.
`;
}

/** The generated list of names the shared services read, which every service's start-up knows not to warn about. */
export const CONFIG_NAMES_FILE = 'shared/service-kit/src/generated/config-names.ts';

/**
 * Names read by the marketplace subgraphs, the directory, the registry
 * commands and `npm start`: a shared environment (the local stack, a compose
 * file) hands them to every service, so no service warns about them. Generated
 * rather than imported, so the service kit does not load every service's schema.
 */
export function configNamesModule(): string {
  const names = [
    ...new Set([
      ...Object.keys(subgraphVariables()),
      ...Object.keys(DIRECTORY_VARIABLES),
      ...Object.keys(registryCliVariables()),
      ...Object.keys(STACK_VARIABLES),
    ]),
  ].sort();
  return [
    "// Generated by `npm run codegen` from the services' configuration schemas (shared/dev-tools/src/config-reference.ts). Do not edit.",
    '',
    '/** Names read by the marketplace subgraphs, the directory, the registry commands and `npm start`. */',
    'export const SHARED_SERVICE_VARIABLE_NAMES: readonly string[] = [',
    ...names.map((n) => `  '${n}',`),
    '];',
    '',
  ].join('\n');
}
