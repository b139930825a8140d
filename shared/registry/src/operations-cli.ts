import fs from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { printSchema } from 'graphql';
import { readCommandLine, UsageError } from './command-line';
import { ConfigError } from '@qsmo/service-kit/errors';
import { createLogger } from '@qsmo/service-kit/logger';
import { brokenOperations, clientIdProblems, ClientManifestStore, describeBrokenOperation, readPersistedQueryManifest } from './client-manifests';
import { readOperationsCliConfig, type OperationsCliConfig } from './command-config';
import { openRegistry } from './config';

/**
 * `npm run operations:publish -- --client <name> --version <v> <manifest.json>`:
 * a frontend team publishes the operations a release sends. The manifest is
 * Apollo's persisted-query format; every id must be the sha256 of its body
 * and every operation must validate against the supergraph the registry
 * publishes now, else nothing is recorded. Gateways following the registry
 * trust the operations within a poll, without a restart.
 *
 * `npm run operations:schema -- --out api.graphql` writes the API schema of
 * the supergraph the registry publishes now: what a team's own codegen
 * validates and types its operations against.
 *
 * Exit codes: 0 published (or already published), 1 refused, 2 the command line or configuration is wrong.
 */
const USAGE = `Usage:
  npm run operations:publish -- --client <name> --version <version> [--publisher <name>] <manifest.json>

  <manifest.json>      Apollo's persisted-query manifest: {"format": "apollo-persisted-query-manifest", "version": 1,
                       "operations": [{"id": sha256 of body, "name", "type", "body"}]}
                       (npm run operations:manifest writes one from .graphql files)
  --client <name>      the client's name, as it sends it in apollographql-client-name, e.g. grants-portal
  --version <version>  the release, e.g. 1.4.0; a version is published once and never changes
  --publisher <name>   recorded with the manifest (default: $SCHEMA_PUBLISHER, else your OS user)

  npm run operations:schema -- --out <api.graphql>
                       writes the API schema of the supergraph published now, for a team's own codegen

Registry: REGISTRY_MONGODB_URI (default MONGODB_URI, else the embedded database), REGISTRY_DATABASE (default qsmo_registry).`;

interface PublishArgs {
  command: 'publish';
  client: string;
  version: string;
  /** --publisher; else SCHEMA_PUBLISHER or the OS user, from the configuration. */
  publisher: string | undefined;
  file: string;
}
interface SchemaArgs {
  command: 'schema';
  out: string;
}

function parse(argv: string[], environment: NodeJS.ProcessEnv): PublishArgs | SchemaArgs {
  const { values, positionals } = readCommandLine(argv, {
    client: { type: 'string' },
    version: { type: 'string' },
    publisher: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  });
  const [command, file, ...extra] = positionals;
  if (command === 'schema') {
    if (!values.out) throw new UsageError('Give the file to write the API schema to: --out <api.graphql>.');
    if (file !== undefined) throw new UsageError(`Unexpected argument "${file}".`);
    return { command, out: path.resolve(environment.INIT_CWD ?? process.cwd(), values.out) };
  }
  if (command !== 'publish') throw new UsageError(`Unknown command "${command ?? ''}": use publish or schema.`);
  if (!values.client || !values.version) throw new UsageError('Give the client and its version: --client <name> --version <version>.');
  if (!file) throw new UsageError('Give the manifest file to publish.');
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}".`);
  const problems = clientIdProblems(values.client, values.version);
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  // npm runs scripts from the repository root; the path is meant from where the command was typed.
  return {
    command,
    client: values.client,
    version: values.version,
    publisher: values.publisher?.trim() || undefined,
    file: path.resolve(environment.INIT_CWD ?? process.cwd(), file),
  };
}

async function main(): Promise<number> {
  let args: PublishArgs | SchemaArgs;
  let settings: OperationsCliConfig;
  try {
    args = parse(process.argv.slice(2), process.env);
    settings = readOperationsCliConfig(args.command);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      if (error.message) process.stderr.write(`${error.message}\n\n`);
      process.stderr.write(`${USAGE}\n`);
      return error.message ? 2 : 0;
    }
    throw error;
  }
  const config = settings.registry;
  const logger = createLogger('schema-registry', settings.logLevel);
  // On stderr, with the log: stdout is the command's report.
  for (const warning of settings.warnings) logger.warn(warning);

  if (args.command === 'schema') {
    const open = await openRegistry(config, logger, 'operations-schema');
    try {
      const supergraph = await open.registry.latestSupergraph();
      if (!supergraph) {
        process.stdout.write('The registry has no supergraph yet: publish the subgraphs first (npm start does).\n');
        return 1;
      }
      fs.writeFileSync(args.out, `${printSchema(Supergraph.build(supergraph.sdl).apiSchema().toGraphQLJSSchema())}\n`);
      process.stdout.write(`wrote ${args.out}: the API schema of supergraph v${supergraph.version}\n`);
      return 0;
    } finally {
      await open.close();
    }
  }

  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(args.file, 'utf8'));
  } catch (error) {
    process.stderr.write(`Cannot read the manifest ${args.file}: ${(error as Error).message}\n`);
    return 2;
  }
  const { operations, problems } = readPersistedQueryManifest(json);
  if (problems.length > 0) {
    process.stdout.write(`${args.client} ${args.version}: the manifest is refused, nothing was recorded:\n${problems.map((p) => `  ✗ ${p}`).join('\n')}\n`);
    return 1;
  }

  const publisher = args.publisher ?? settings.publisher;
  const open = await openRegistry(config, logger, 'operations-publish');
  try {
    const supergraph = await open.registry.latestSupergraph();
    if (!supergraph) {
      process.stdout.write("The registry has no supergraph yet: publish the subgraphs first (npm start does), then the client's operations.\n");
      return 1;
    }
    const schema = Supergraph.build(supergraph.sdl).apiSchema().toGraphQLJSSchema();
    const broken = brokenOperations(schema, [{ client: args.client, version: args.version, operations }]);
    if (broken.length > 0) {
      process.stdout.write(
        `${args.client} ${args.version}: ${broken.length} of ${operations.length} operations do not validate against supergraph v${supergraph.version}; nothing was recorded:\n` +
          `${broken.map((b) => `  ✗ ${describeBrokenOperation(b)}`).join('\n')}\n`,
      );
      return 1;
    }
    const result = await new ClientManifestStore(open.registry.db).publish({
      client: args.client,
      version: args.version,
      operations,
      supergraphVersion: supergraph.version,
      publisher,
      publishedAt: new Date(),
    });
    if (result.status === 'conflict') {
      process.stdout.write(
        `${args.client} ${args.version} was already published with other operations (by ${result.record.publisher} at ${result.record.publishedAt.toISOString()}); ` +
          'a published version never changes: publish the new operations under a new version.\n',
      );
      return 1;
    }
    if (result.status === 'unchanged') {
      process.stdout.write(`${args.client} ${args.version} is already published with these ${operations.length} operations.\n`);
      return 0;
    }
    process.stdout.write(
      `Published ${args.client} ${args.version}: ${operations.length} operations, valid against supergraph v${supergraph.version}, as ${publisher}.\n` +
        'Gateways following the registry trust them within a poll; schema checks now protect them.\n',
    );
    return 0;
  } finally {
    await open.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
