import { codegen } from '@graphql-codegen/core';
import * as typescriptOperationsPlugin from '@graphql-codegen/typescript-operations';
import { isAbstractType, parse, printSchema, type DocumentNode, type GraphQLSchema } from 'graphql';
import { prepare, sha256, suffix, type DocumentForm, type OperationFile, type Prepared } from './manifest';
import type { PersistedQueryManifest } from '@qsmo/registry/client-manifests';

export type { DocumentForm, OperationFile } from './manifest';
export { clientManifest } from './manifest';

/**
 * The client kit's generator: from .graphql operation files and the graph's
 * API schema, a TypeScript module of typed documents (`TypedDocumentNode`,
 * so Apollo Client, urql and graphql-request infer data and variables) with
 * their persisted-query ids, and the persisted-query manifest a frontend
 * team publishes with `npm run operations:publish`.
 * The text each id hashes is one of the two forms of manifest.ts.
 */
export interface ClientKit {
  /** The TypeScript module: types, typed documents, persistedQueryIds. */
  module: string;
  manifest: PersistedQueryManifest;
}

export interface GenerateOptions {
  form: DocumentForm;
  /** Import the operations' types from this module (e.g. './operations') instead of generating them in. */
  typesFrom?: string;
}

/**
 * The TypeScript types of a set of operations (data and variables), as the
 * library's and every frontend's kit declare them: only the enums and inputs
 * the operations use (a team imports these, not the whole graph), spelled as
 * on the wire. typescript-operations 6 emits those enums and inputs itself;
 * the typescript plugin would declare them a second time.
 */
export async function operationTypes(schema: GraphQLSchema, documents: { location: string; document: DocumentNode }[]): Promise<string> {
  return codegen({
    filename: 'operations.ts',
    schema: parse(printSchema(schema)),
    schemaAst: schema,
    documents,
    plugins: [{ typescriptOperations: {} }],
    pluginMap: { typescriptOperations: typescriptOperationsPlugin },
    config: {
      enumType: 'string-literal',
      namingConvention: { enumValues: 'keep' },
      scalars: { ID: { input: 'string', output: 'string' } },
      avoidOptionals: false,
      skipTypename: true,
      useTypeImports: true,
    },
  });
}

/** The typed documents module and the manifest of operation files. */
export async function generateClientKit(files: readonly OperationFile[], schema: GraphQLSchema, options: GenerateOptions): Promise<ClientKit> {
  const prepared = prepare(files, options.form, schema);
  const typeName = (p: Prepared) => `${p.name}${suffix[p.operation.operation]}`;
  let types = '';
  if (!options.typesFrom) {
    types = await operationTypes(
      schema,
      prepared.map((p) => ({ location: p.location, document: p.document })),
    );
  }
  const imports = [
    "import type { TypedDocumentNode } from '@graphql-typed-document-node/core';",
    ...(options.typesFrom
      ? [`import type { ${prepared.flatMap((p) => [typeName(p), `${typeName(p)}Variables`]).join(', ')} } from '${options.typesFrom}';`]
      : []),
  ];
  const documents = prepared.map((p) => {
    const description = p.body
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .map((l) => l.replace(/^#\s?/, ''))
      .join(' ')
      .trim();
    return `${description ? `/** ${description.replace(/\*\//g, '* /')} */\n` : ''}export const ${p.name}Document = ${JSON.stringify(p.document)} as unknown as TypedDocumentNode<${typeName(p)}, ${typeName(p)}Variables>;`;
  });
  const ids = `/** Each operation's persisted-query id, by name: the sha256 of the text the manifest holds. */\nexport const persistedQueryIds: Readonly<Record<string, string>> = ${JSON.stringify(Object.fromEntries(prepared.map((p) => [p.name, sha256(p.body)])), null, 2)};`;
  const abstract = Object.values(schema.getTypeMap())
    .filter(isAbstractType)
    .sort((a, b) => a.name.localeCompare(b.name));
  const possible = `/** The concrete types of each interface and union, for Apollo Client's InMemoryCache({ possibleTypes }): fragments on Offering match GrantsManagementOffering. */\nexport const possibleTypes: Readonly<Record<string, readonly string[]>> = ${JSON.stringify(
    Object.fromEntries(
      abstract.map((t) => [
        t.name,
        schema
          .getPossibleTypes(t)
          .map((p) => p.name)
          .sort(),
      ]),
    ),
    null,
    2,
  )};`;
  const module = [imports.join('\n'), types.trim(), ...documents, ids, possible].filter(Boolean).join('\n\n');
  return {
    module: `${module}\n`,
    manifest: {
      format: 'apollo-persisted-query-manifest',
      version: 1,
      operations: prepared.map((p) => ({ id: sha256(p.body), name: p.name, type: p.operation.operation, body: p.body })),
    },
  };
}
