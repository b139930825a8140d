import fs from 'node:fs';
import path from 'node:path';
import { Kind, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { apiSchemaOf, composeSupergraph, localSubgraphSources } from './compose';
import { SUBGRAPHS } from './subgraphs';
import { DIRECTORY } from '@qsmo/service-kit/subgraphs';

/**
 * The operations library: example operations kept as .graphql files in
 * gateway/operations, listed in examples.json with the sample variables the
 * tests run them with. The IDE opens with them, the query CLI runs them and
 * codegen types them, so one broken file fails the tests instead of rotting.
 */
export const OPERATIONS_DIR = path.join(REPO_ROOT, 'gateway', 'operations');
export const GENERATED_DIR = path.join(OPERATIONS_DIR, 'generated');

export const AUDIENCES = ['agencies', 'providers', 'analysts'] as const;
export type Audience = (typeof AUDIENCES)[number];

export interface LibraryOperation {
  /** File name inside the library folder, e.g. "agency-portfolio.graphql". */
  file: string;
  /** The operation's name in the document, e.g. "AgencyPortfolio". */
  name: string;
  audience: Audience;
  title: string;
  /** The file's leading comment: what the operation answers and an example. */
  description: string;
  source: string;
  document: DocumentNode;
  /** Sample variables: the IDE's defaults and what the tests run it with. */
  variables: Record<string, unknown>;
}

interface ExamplesFile {
  operations: { file: string; audience: string; title: string; variables?: Record<string, unknown> }[];
}

/** The leading `#` comment of a document: what the operation answers and an example (the IDE's, codegen's and MCP's description). */
export function leadingComment(source: string): string {
  const lines: string[] = [];
  for (const line of source.split(/\r?\n/)) {
    const m = /^#\s?(.*)$/.exec(line);
    if (!m) break;
    lines.push(m[1]!);
  }
  return lines.join(' ').replace(/\s+/g, ' ').trim();
}

/** Reads and checks the library; every problem is reported at once, by file. */
export function loadOperationsLibrary(dir: string = OPERATIONS_DIR): LibraryOperation[] {
  const indexPath = path.join(dir, 'examples.json');
  const index = JSON.parse(fs.readFileSync(indexPath, 'utf8')) as ExamplesFile;
  const problems: string[] = [];
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort();
  const listed = new Set(index.operations.map((o) => o.file));
  for (const f of files) if (!listed.has(f)) problems.push(`${f} is not listed in examples.json: add it with its audience, title and sample variables.`);
  const names = new Map<string, string>();
  const operations: LibraryOperation[] = [];
  for (const entry of index.operations) {
    const file = path.join(dir, entry.file);
    if (!fs.existsSync(file)) {
      problems.push(`examples.json lists ${entry.file}, which does not exist.`);
      continue;
    }
    if (!(AUDIENCES as readonly string[]).includes(entry.audience)) {
      problems.push(`${entry.file}: audience "${entry.audience}" is not one of ${AUDIENCES.join(', ')}.`);
    }
    const source = fs.readFileSync(file, 'utf8');
    let document: DocumentNode;
    try {
      document = parse(source);
    } catch (error) {
      problems.push(`${entry.file}: ${(error as Error).message}`);
      continue;
    }
    const ops = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    if (ops.length !== 1 || !ops[0]!.name) {
      problems.push(`${entry.file}: hold exactly one named operation (it has ${ops.length}${ops[0] && !ops[0].name ? ', unnamed' : ''}).`);
      continue;
    }
    // Generated types are named after operations and fragments, so names must be unique across the library.
    for (const d of document.definitions) {
      if ((d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION) && d.name) {
        const seen = names.get(d.name.value);
        if (seen) problems.push(`${entry.file}: the name ${d.name.value} is already used in ${seen}; names must be unique across the library.`);
        names.set(d.name.value, entry.file);
      }
    }
    const description = leadingComment(source);
    if (!description) problems.push(`${entry.file}: start the file with a # comment saying what the operation answers.`);
    operations.push({
      file: entry.file,
      name: ops[0]!.name.value,
      audience: entry.audience as Audience,
      title: entry.title,
      description,
      source,
      document,
      variables: entry.variables ?? {},
    });
  }
  if (problems.length > 0)
    throw new Error(`The operations library in ${path.relative(process.cwd(), dir) || '.'} has problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return operations;
}

/** The schema clients see: the API schema of the supergraph composed from the local subgraph schemas. */
export function localApiSchema(): GraphQLSchema {
  const endpoints = [...SUBGRAPHS, DIRECTORY].map((s) => ({ name: s.name, area: s.area, url: `http://localhost:${s.port}/graphql` }));
  return apiSchemaOf(composeSupergraph(localSubgraphSources(endpoints)).supergraphSdl);
}
