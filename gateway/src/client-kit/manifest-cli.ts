import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildSchema } from 'graphql';
import { GENERATED_DIR } from '../operations';
import { generateClientKit, type DocumentForm } from './generate';

/**
 * `npm run operations:manifest -- --out manifest.json [--typescript ops.ts] [--exact] [--schema api.graphql] <file or folder>...`:
 * a frontend team's own operations (.graphql files, one named operation
 * each) checked against the graph's API schema, written as the
 * persisted-query manifest `operations:publish` takes and, optionally, as a
 * module of typed documents. By default the documents are in the form Apollo
 * Client sends them (`__typename` added, printed); --exact keeps each file's
 * text for clients that send the kit's ids.
 */
const USAGE = `Usage:
  npm run operations:manifest -- --out <manifest.json> [--typescript <operations.ts>] [--exact] [--schema <api.graphql>] <file or folder>...

  --out          where to write the persisted-query manifest
  --typescript   also write the typed documents (TypedDocumentNode) and their ids
  --exact        hash each file's exact text instead of the document as Apollo Client sends it
  --schema       the graph's API schema (default: gateway/operations/generated/schema.graphql)`;

function graphqlFiles(entry: string): string[] {
  if (!fs.statSync(entry).isDirectory()) return [entry];
  return fs
    .readdirSync(entry)
    .sort()
    .flatMap((f) => graphqlFiles(path.join(entry, f)))
    .filter((f) => f.endsWith('.graphql'));
}

async function main(): Promise<number> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        typescript: { type: 'string' },
        exact: { type: 'boolean', default: false },
        schema: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.out || positionals.length === 0) {
    process.stderr.write(`Give --out and at least one .graphql file or folder.\n\n${USAGE}\n`);
    return 2;
  }
  // Paths are meant from where the command was typed, not the repository root npm runs it from.
  const base = process.env.INIT_CWD ?? process.cwd();
  const resolve = (p: string) => path.resolve(base, p);
  const files = positionals.map(resolve).flatMap(graphqlFiles);
  if (files.length === 0) {
    process.stderr.write('No .graphql files found in what was given.\n');
    return 2;
  }
  const schema = buildSchema(fs.readFileSync(values.schema ? resolve(values.schema) : path.join(GENERATED_DIR, 'schema.graphql'), 'utf8'));
  const form: DocumentForm = values.exact ? 'exact' : 'apollo';
  try {
    const kit = await generateClientKit(
      files.map((f) => ({ location: path.relative(base, f), source: fs.readFileSync(f, 'utf8') })),
      schema,
      { form },
    );
    fs.writeFileSync(resolve(values.out), `${JSON.stringify(kit.manifest, null, 2)}\n`);
    process.stdout.write(`wrote ${values.out}: ${kit.manifest.operations.length} operations (${form} form)\n`);
    if (values.typescript) {
      fs.writeFileSync(resolve(values.typescript), kit.module);
      process.stdout.write(`wrote ${values.typescript}\n`);
    }
    return 0;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
