import fs from 'node:fs';
import path from 'node:path';
import { parse, type DocumentNode } from 'graphql';
import { ownSchemaPathOf, packageDirOf, SUBGRAPHS, type SubgraphEntry } from '@qsmo/service-kit/subgraphs';

export const REFERENCE_SDL_PATH = path.resolve(__dirname, '..', 'reference', 'reference.graphql');
export const MARKETPLACE_TEMPLATE_PATH = path.resolve(__dirname, '..', 'marketplace', 'marketplace.graphql');

export { ownSchemaPathOf } from '@qsmo/service-kit/subgraphs';

/** The committed copy of everything a subgraph serves (generated; for reading, codegen and rollbacks). */
export const generatedSchemaPathOf = (entry: Pick<SubgraphEntry, 'name'>): string => path.join(packageDirOf(entry), 'src', 'generated', 'schema.graphql');

const TOKENS: Record<string, (e: SubgraphEntry) => string> = {
  Prefix: (e) => e.typePrefix,
  field: (e) => e.fieldName,
  Area: (e) => e.area,
  DOMAIN: (e) => e.domain,
  FIBF: (e) => e.fibfPrefix,
  standard: (e) => e.standard,
  codeExample: (e) => e.codeExample,
  offeringIdPrefix: (e) => e.offeringIdPrefix,
};

/**
 * The common shape of a marketplace (namespace, offering, capability,
 * connections, stats, the domain's fields on Agency and Provider), filled in
 * for one subgraph. An unknown token is a mistake in the template, so it fails.
 */
export function marketplaceSdl(entry: SubgraphEntry): string {
  const template = fs
    .readFileSync(MARKETPLACE_TEMPLATE_PATH, 'utf8')
    .replace(/^#.*\n/gm, '')
    .trimStart();
  return template.replace(/\{\{(\w+)\}\}/g, (_, token: string) => {
    const fill = TOKENS[token];
    if (!fill) throw new Error(`${MARKETPLACE_TEMPLATE_PATH}: unknown token {{${token}}}; known: ${Object.keys(TOKENS).join(', ')}.`);
    return fill(entry);
  });
}

/** QsmoDomain lists every QSMO of the one list, so adding a subgraph adds its value everywhere alike. */
export function qsmoDomainSdl(entries: readonly SubgraphEntry[] = SUBGRAPHS): string {
  const values = entries.map((e) => `  ${JSON.stringify(e.description)}\n  ${e.domain}`).join('\n');
  return `"The Quality Service Management Office marketplaces."\nenum QsmoDomain {\n${values}\n}\n`;
}

/**
 * A subgraph's full SDL: its own schema.graphql, the marketplace template
 * filled in for it, the shared reference types and the QsmoDomain enum. This
 * is what the subgraph serves, what composition reads and what the registry
 * stores. `ownSdl` replaces the subgraph's own file (schema rollout tests).
 */
export function subgraphSdl(entry: SubgraphEntry, ownSdl?: string, entries: readonly SubgraphEntry[] = SUBGRAPHS): string {
  const own = ownSdl ?? fs.readFileSync(ownSchemaPathOf(entry), 'utf8');
  return [own.trimEnd(), marketplaceSdl(entry).trimEnd(), fs.readFileSync(REFERENCE_SDL_PATH, 'utf8').trimEnd(), qsmoDomainSdl(entries)].join('\n\n');
}

export function subgraphTypeDefs(entry: SubgraphEntry, ownSdl?: string): DocumentNode {
  return parse(subgraphSdl(entry, ownSdl));
}
