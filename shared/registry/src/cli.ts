import fs from 'node:fs';
import path from 'node:path';
import { EnvReader } from '@qsmo/service-kit/config';
import { readCommandLine, UsageError } from './command-line';
import type { DomainDefinition } from '@qsmo/subgraph-kit/domain/definition';
import { ConfigError } from '@qsmo/service-kit/errors';
import { createLogger } from '@qsmo/service-kit/logger';
import { subgraphSdl } from '@qsmo/subgraph-kit/subgraph/schema';
import { ClientManifestStore, describeBrokenOperation } from './client-manifests';
import { registryCliVariables } from './cli-config-schema';
import { checkSubgraphs, usageOfRemovals, type CheckReport, type SubgraphCheck, type UsageSource } from './check';
import type { SubgraphSource } from './compose';
import { openRegistry, readRegistryConfig } from './config';
import { defaultPublisher, publishSubgraphs } from './publish';
import { FieldUsageStore, readUsageConfig } from './usage';

/**
 * `npm run schema:check -w subgraphs/<name>` and `npm run schema:publish -w
 * subgraphs/<name>`: the commands a QSMO team (or its CI) runs. Each
 * subgraph's src/schema-cli.ts calls this with its definition.
 *
 * Exit codes: 0 passed (warnings may be printed), 1 the check failed and
 * nothing was recorded, 2 the command line or configuration is wrong.
 */
const USAGE = (name: string) => `Usage:
  npm run schema:check   -w subgraphs/${name} [-- options]
  npm run schema:publish -w subgraphs/${name} [-- options]

Options:
  --url <url>          routing URL the gateway reaches this subgraph at (default: $ROUTING_URL;
                       publish requires one of them, check falls back to http://localhost:$PORT/graphql)
  --schema <file>      check/publish this whole subgraph SDL (the form of subgraphs/${name}/src/generated/schema.graphql,
                       e.g. an older one from git to roll back) instead of the one built from the sources
                       (same form: the shared reference types are added to it)
  --publisher <name>   recorded with the new versions (default: $SCHEMA_PUBLISHER, else your OS user)
  --allow-breaking     publish only: record the new version despite breaking changes
                       (coordinate with the graph's clients first)
  --help

Registry: REGISTRY_MONGODB_URI (default MONGODB_URI, else the embedded database), REGISTRY_DATABASE (default qsmo_registry).
Field usage: a removed field no client selected in the last USAGE_WINDOW_DAYS (default 30) days is not breaking.`;

export interface SchemaCliOptions {
  command: 'check' | 'publish';
  candidate: SubgraphSource;
  schemaPath: string;
  publisher: string;
  allowBreaking: boolean;
}

/** What the commands need of a subgraph: a marketplace's definition, or the directory's equivalent. */
export interface SchemaCliSubject {
  serviceName: string;
  defaultPort: number;
  /** Where its whole SDL is kept, for messages and as the default --schema. */
  schemaPath: string;
  sdl: () => string;
}

const subjectOf = (d: DomainDefinition | SchemaCliSubject): SchemaCliSubject =>
  'entry' in d ? { serviceName: d.serviceName, defaultPort: d.defaultPort, schemaPath: d.schemaPath, sdl: () => subgraphSdl(d.entry) } : d;

/** Reads the command line and environment into what to check or publish. */
export function parseSchemaCli(subject: DomainDefinition | SchemaCliSubject, argv: string[], environment: NodeJS.ProcessEnv = process.env): SchemaCliOptions {
  const definition = subjectOf(subject);
  const { values, positionals } = readCommandLine(argv, {
    url: { type: 'string' },
    schema: { type: 'string' },
    publisher: { type: 'string' },
    'allow-breaking': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  const [command, ...extra] = positionals;
  if (command !== 'check' && command !== 'publish') throw new UsageError(`Unknown command "${command ?? ''}": use check or publish.`);
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}".`);
  if (values['allow-breaking'] && command === 'check') throw new UsageError('--allow-breaking only applies to publish.');

  const env = new EnvReader(environment, registryCliVariables(definition));
  const port = env.port('PORT', definition.defaultPort);
  const given = values.url ?? env.string('ROUTING_URL');
  const publisher = env.string('SCHEMA_PUBLISHER');
  env.done();
  // Publishing records where every gateway will send this subgraph's share of each query: a guessed
  // local port would point them at whatever listens there, so publish takes only a URL it was given.
  if (given === undefined && command === 'publish') {
    throw new UsageError(
      `schema:publish records the URL the gateways route ${definition.serviceName} to, so it needs one: ` +
        `add -- --url <the URL your deployed ${definition.serviceName} answers at, ending in /graphql> ` +
        `(running locally on port ${port}: -- --url http://localhost:${port}/graphql), or set ROUTING_URL.`,
    );
  }
  const url = given ?? `http://localhost:${port}/graphql`;
  // npm runs workspace scripts from the workspace folder; paths are meant from where the command was typed.
  const base = environment.INIT_CWD ?? process.cwd();
  const schemaPath = values.schema ? path.resolve(base, values.schema) : definition.schemaPath;
  let sdl: string;
  try {
    sdl = values.schema ? fs.readFileSync(schemaPath, 'utf8') : definition.sdl();
  } catch (error) {
    throw new UsageError(`Cannot read the schema at ${schemaPath}: ${(error as Error).message}`);
  }
  return {
    command,
    schemaPath,
    candidate: { name: definition.serviceName, url, sdl },
    publisher: values.publisher?.trim() || defaultPublisher({ SCHEMA_PUBLISHER: publisher }),
    allowBreaking: values['allow-breaking'] ?? false,
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The report as a team reads it in a terminal or CI log. */
export function formatCheckReport(report: CheckReport, options: { allowBreaking?: boolean } = {}): string {
  const lines: string[] = [];
  const against = report.againstSupergraph === undefined ? 'an empty registry' : `supergraph v${report.againstSupergraph}`;
  for (const s of report.subgraphs) lines.push(describeBase(s, against));
  for (const e of report.inputErrors) lines.push(`  ✗ ${e}`);
  if (report.inputErrors.length === 0) {
    if (report.compositionErrors.length === 0) {
      lines.push('Composition: passed.');
    } else {
      lines.push(`Composition: FAILED with ${plural(report.compositionErrors.length, 'error')}:`);
      report.compositionErrors.forEach((e, i) => lines.push(indent(`${i + 1}. ${e}`)));
    }
  }
  for (const s of report.subgraphs) {
    if (s.safeRemovals.length > 0) {
      lines.push(`Removals no client uses, not breaking (${s.safeRemovals.length}):`);
      for (const c of s.safeRemovals) lines.push(`  ✓ ${c.description}`);
    }
    if (s.breaking.length > 0) {
      lines.push(`Breaking changes against ${s.name} v${s.base?.version} (${s.breaking.length}):`);
      for (const c of s.breaking) lines.push(`  ✗ ${c.description}`);
    }
    if (s.dangerous.length > 0) {
      lines.push(`Dangerous changes, warnings only (${s.dangerous.length}):`);
      for (const c of s.dangerous) lines.push(`  ! ${c.description}`);
    }
  }
  if (report.brokenOperations.length > 0) {
    lines.push(`Published client operations the change would break (${report.brokenOperations.length}):`);
    for (const b of report.brokenOperations) lines.push(`  ✗ ${describeBrokenOperation(b)}`);
  }
  const breaking = report.subgraphs.reduce((n, s) => n + s.breaking.length, 0) + report.brokenOperations.length;
  if (report.passed) {
    lines.push(breaking > 0 && options.allowBreaking ? `PASSED with ${plural(breaking, 'breaking change')} allowed by --allow-breaking.` : 'PASSED.');
  } else {
    const reasons = [
      report.inputErrors.length > 0 ? 'invalid input' : '',
      report.compositionErrors.length > 0 ? 'it does not compose with the published subgraphs' : '',
      breaking > 0 ? `${plural(breaking, 'breaking change')}` : '',
    ].filter(Boolean);
    lines.push(`FAILED: ${reasons.join('; ')}.`);
    if (breaking > 0) {
      lines.push(
        'To change a field clients may use, add the new field next to it, mark the old one ' +
          '@deprecated(reason: "Use ... instead."), and remove it in a later publish once no client selects it.',
      );
    }
  }
  return lines.join('\n');
}

function describeBase(s: SubgraphCheck, against: string): string {
  if (!s.base) return `${s.name}: first publish, checked against ${against}.`;
  const when = s.base.publishedAt instanceof Date ? s.base.publishedAt.toISOString() : String(s.base.publishedAt);
  const same = s.unchanged ? ' (unchanged: same SDL and URL)' : s.hash === s.base.hash ? ` (same SDL; routing URL ${s.base.url} -> ${s.url})` : '';
  return `${s.name}: checked against ${against}, which has ${s.name} v${s.base.version} published by ${s.base.publisher} at ${when}${same}.`;
}

/** A path as the user typed from: relative to where npm was run when that is shorter. */
function shortPath(file: string): string {
  const relative = path.relative(process.env.INIT_CWD ?? process.cwd(), file);
  return relative === '' || relative.startsWith('..') ? file : relative;
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `   ${l}`)
    .join('\n');

/** Runs check or publish for one subgraph and exits with its code. */
export function runSchemaCli(subject: DomainDefinition | SchemaCliSubject, argv: string[] = process.argv.slice(2)): void {
  const definition = subjectOf(subject);
  const logger = createLogger('schema-registry', new EnvReader(process.env, registryCliVariables(definition)).logLevel('LOG_LEVEL', 'warn'));
  void (async () => {
    let options: SchemaCliOptions;
    let config;
    let windowDays;
    try {
      options = parseSchemaCli(definition, argv);
      const env = new EnvReader(process.env, registryCliVariables(definition));
      config = readRegistryConfig(env);
      windowDays = readUsageConfig(env).windowDays;
      env.done();
    } catch (error) {
      if (error instanceof UsageError || error instanceof ConfigError) {
        if (error.message) process.stderr.write(`${error.message}\n\n`);
        process.stderr.write(`${USAGE(definition.serviceName)}\n`);
        process.exit(error.message ? 2 : 0);
      }
      throw error;
    }

    const open = await openRegistry(config, logger, `schema-${options.command}`);
    let code = 0;
    try {
      const { candidate } = options;
      process.stdout.write(
        `${options.command === 'check' ? 'Checking' : 'Publishing'} ${candidate.name} from ${shortPath(options.schemaPath)}, routing URL ${candidate.url}\n`,
      );
      const usageSource: UsageSource = { store: new FieldUsageStore(open.registry.db), windowDays };
      // Operations frontend teams published are usage too, by name: each client's newest release and any published within the window.
      const clientManifests = await new ClientManifestStore(open.registry.db).inUse(windowDays);
      if (options.command === 'check') {
        const report = await checkSubgraphs(open.registry, [candidate], { usageSource, clientManifests });
        process.stdout.write(`${formatCheckReport(report)}\n`);
        code = report.passed ? 0 : 1;
      } else {
        // Removals are judged by usage as the check judges them.
        const usage = await usageOfRemovals(await checkSubgraphs(open.registry, [candidate]), usageSource);
        const result = await publishSubgraphs(open.registry, [candidate], {
          publisher: options.publisher,
          allowBreaking: options.allowBreaking,
          usage,
          clientManifests,
        });
        process.stdout.write(`${formatCheckReport(result.report, options)}\n`);
        if (result.status === 'refused') {
          process.stdout.write('Nothing was recorded.\n');
          code = 1;
        } else if (result.status === 'unchanged') {
          process.stdout.write(
            `Nothing to publish: ${candidate.name} v${result.subgraphs[0]!.version} already has this SDL and URL (supergraph v${result.supergraph.version}).\n`,
          );
        } else {
          const sub = result.subgraphs[0]!;
          const parts = result.supergraph.subgraphs.map((s) => `${s.name} v${s.version}`).join(', ');
          process.stdout.write(
            `Published ${candidate.name} v${sub.version} as ${options.publisher}: supergraph v${result.supergraph.version} (${parts}).\n` +
              'Gateways following the registry switch to it once every subgraph in it answers a health check.\n',
          );
        }
      }
    } finally {
      await open.close();
    }
    process.exit(code);
  })().catch((error: unknown) => {
    logger.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
