import fs from 'node:fs';
import path from 'node:path';
import { Kind, parse, print, type DocumentNode } from 'graphql';
import { SUBGRAPHS, type SubgraphEntry } from '@qsmo/service-kit/subgraphs';
import { qsmoDomainSdl, REFERENCE_SDL_PATH } from '@qsmo/subgraph-kit/subgraph/schema';

export const DIRECTORY_SDL_PATH = path.resolve(__dirname, 'directory.graphql');

/** Enums the directory takes as input and the marketplaces return: composition needs them identical, so they are taken from reference.graphql, not restated. */
const SHARED_ENUMS = ['Shelf', 'Verification', 'Sector'];

function sharedEnumsSdl(): string {
  const reference = parse(fs.readFileSync(REFERENCE_SDL_PATH, 'utf8'));
  return reference.definitions
    .filter((d) => d.kind === Kind.ENUM_TYPE_DEFINITION && SHARED_ENUMS.includes(d.name.value))
    .map((d) => print(d))
    .join('\n\n');
}

/**
 * One offering type per marketplace, known here only by its key: the directory
 * hands out references and the marketplace resolves them, so a new marketplace
 * in the list is listed without any change here.
 */
function offeringReferencesSdl(entries: readonly SubgraphEntry[]): string {
  return entries
    .map(
      (e) =>
        `"A service or solution in the ${e.area} marketplace."\n` +
        `type ${e.typePrefix}Offering implements Offering @key(fields: "id", resolvable: false) {\n` +
        `  "Stable slug prefixed ${e.offeringIdPrefix}."\n  id: ID!\n}`,
    )
    .join('\n\n');
}

/** The directory's whole SDL: its own file, a reference type per marketplace, the shared enums and QsmoDomain. */
export function directorySdl(entries: readonly SubgraphEntry[] = SUBGRAPHS): string {
  const own = fs
    .readFileSync(DIRECTORY_SDL_PATH, 'utf8')
    .replace(/^#.*\n/gm, '')
    .trimStart();
  return [own.trimEnd(), offeringReferencesSdl(entries), sharedEnumsSdl(), qsmoDomainSdl(entries)].join('\n\n') + '\n';
}

export function directoryTypeDefs(entries: readonly SubgraphEntry[] = SUBGRAPHS): DocumentNode {
  return parse(directorySdl(entries));
}
