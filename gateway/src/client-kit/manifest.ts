import { createHash } from 'node:crypto';
import { addTypenameToDocument } from '@apollo/client/utilities';
import { Kind, parse, print, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { PersistedQueryManifest } from '@qsmo/registry/client-manifests';

/**
 * Two forms of the text a manifest hashes:
 * - `exact`: the file's text as it is, comments included (the library's
 *   trusted documents, gateway/operations); clients send the id from
 *   `persistedQueryIds` (see persisted.ts).
 * - `apollo`: the document as Apollo Client sends it, `__typename` added to
 *   every selection below the root and printed by graphql-js, so the
 *   persisted-query link's own sha256 of the printed document is the
 *   manifest's id, and the cache can normalise what comes back.
 */
export type DocumentForm = 'exact' | 'apollo';

export interface OperationFile {
  /** Where it comes from, for messages, e.g. "src/operations/agencies.graphql". */
  location: string;
  source: string;
}

export interface Prepared {
  location: string;
  operation: OperationDefinitionNode;
  name: string;
  body: string;
  document: DocumentNode;
}

export const suffix = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' } as const;
export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function prepare(files: readonly OperationFile[], form: DocumentForm, schema: GraphQLSchema): Prepared[] {
  const problems: string[] = [];
  const prepared: Prepared[] = [];
  for (const file of files) {
    let parsed: DocumentNode;
    try {
      parsed = parse(file.source);
    } catch (error) {
      problems.push(`${file.location}: ${(error as Error).message}`);
      continue;
    }
    const operations = parsed.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (operations.length !== 1 || !operations[0]!.name) {
      problems.push(`${file.location}: hold exactly one named operation (and the fragments it uses), so each manifest entry is one operation.`);
      continue;
    }
    const errors = validate(schema, parsed).map((e) => e.message);
    if (errors.length > 0) {
      problems.push(`${file.location}: ${errors.join(' ')}`);
      continue;
    }
    const body = form === 'exact' ? file.source : print(addTypenameToDocument(parsed));
    prepared.push({ location: file.location, operation: operations[0]!, name: operations[0]!.name.value, body, document: parse(body, { noLocation: true }) });
  }
  const names = prepared.map((p) => p.name);
  for (const name of new Set(names.filter((n, i) => names.indexOf(n) !== i)))
    problems.push(`The operation name ${name} is used in more than one file: names must be unique, they key the manifest and the types.`);
  if (problems.length > 0) throw new Error(`The operations have problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return prepared;
}

/** The persisted-query manifest of operation files, in the given order. */
export function clientManifest(files: readonly OperationFile[], form: DocumentForm, schema: GraphQLSchema): PersistedQueryManifest {
  return {
    format: 'apollo-persisted-query-manifest',
    version: 1,
    operations: prepare(files, form, schema).map((p) => ({ id: sha256(p.body), name: p.name, type: p.operation.operation, body: p.body })),
  };
}
