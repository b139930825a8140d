import { readCommandConfig } from '@qsmo/service-kit/config';
import { env } from '@qsmo/service-kit/config-schema';
import { DIRECTORY, SUBGRAPHS } from '@qsmo/service-kit/subgraphs';
import { subgraphEndpoints } from './config';
import { urlEnvName, type SubgraphEndpoint } from './subgraphs';

/**
 * Every environment variable `npm run compose` reads: the subgraphs' URLs,
 * named as the gateway names them, written into the supergraph file as
 * their routing URLs.
 */
export const COMPOSE_VARIABLES = Object.fromEntries(
  [...SUBGRAPHS, DIRECTORY].map((s) => [
    urlEnvName(s.name),
    env.string(`The routing URL the supergraph file records for the ${s.area} subgraph.`, { shown: `http://localhost:${s.port}/graphql` }),
  ]),
);

/** The subgraphs' URLs for `npm run compose`, read once, with the names it would ignore. */
export function readComposeConfig(environment: NodeJS.ProcessEnv = process.env): { endpoints: SubgraphEndpoint[]; warnings: string[] } {
  return readCommandConfig(environment, COMPOSE_VARIABLES, { service: 'npm run compose', prefixes: [] }, (reader) => ({
    endpoints: subgraphEndpoints(reader),
  }));
}
