import { docOf, type EnvSchema } from '@qsmo/service-kit/config-schema';
import { DIRECTORY_PREFIXES, DIRECTORY_VARIABLES } from '@qsmo/directory/config-schema';
import { SUBGRAPH_PREFIXES, subgraphVariables } from '@qsmo/subgraph-kit/subgraph/config-schema';
import { STACK_PREFIXES, STACK_VARIABLES } from './stack-config-schema';
import { registryCliVariables } from '@qsmo/registry/cli-config-schema';
import { defaultDatabaseOf, SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { GATEWAY_PREFIXES, GATEWAY_VARIABLES } from '../../../gateway/src/config-schema';

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
  return `<!-- Generated from the configuration schemas (gateway/src/config-schema.ts, shared/subgraph-kit/src/subgraph/config-schema.ts, shared/directory/src/config-schema.ts, shared/dev-tools/src/stack-config-schema.ts, shared/registry/src/cli-config-schema.ts) by npm run codegen. Do not edit. -->
# Configuration reference

Every service reads its environment once, at start-up, through the schema
declared for it; this page is generated from those schemas.

- A bad value stops start-up with one message listing every problem, each
  saying what to change.
- A variable the service would ignore is warned about by name at start-up:
  a close misspelling of one it reads (\`CORS_ORIGIN\` → "did you mean
  \`CORS_ORIGINS\`?"), or an unknown name with one of the service's prefixes.
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

## Local stack (\`npm start\`)

What \`npm start\` reads itself; the rest of its environment goes on to the
services it starts, which read and check their own. Prefixes warned about
when unknown: ${prefixes(STACK_PREFIXES)}.

${table(STACK_VARIABLES)}

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
