import fs from 'node:fs';
import path from 'node:path';
import { parse, type DocumentNode } from 'graphql';

export const REFERENCE_SDL_PATH = path.resolve(__dirname, '..', 'reference', 'reference.graphql');

/**
 * A subgraph's full SDL: the shared reference types followed by the
 * subgraph's own schema.graphql. This is what the subgraph serves, what
 * composition reads and what the registry stores.
 */
export function subgraphSdl(schemaPath: string): string {
  return `${fs.readFileSync(schemaPath, 'utf8')}\n${fs.readFileSync(REFERENCE_SDL_PATH, 'utf8')}`;
}

export function subgraphTypeDefs(schemaPath: string): DocumentNode {
  return parse(subgraphSdl(schemaPath));
}
