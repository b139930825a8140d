import path from 'node:path';
import { EnvReader, REPO_ROOT, type LogLevel } from '@qsmo/shared';
import { SUBGRAPHS, urlEnvName, type SubgraphEndpoint } from './subgraphs';

/** Where the gateway's supergraph comes from. */
export type SupergraphSourceConfig =
  /** A supergraph file composed elsewhere (static deployments, docker). */
  | { kind: 'file'; path: string }
  /** Compose the local subgraph schemas at start-up and write the result to outputPath. */
  | { kind: 'compose'; outputPath: string };

export interface GatewayConfig {
  port: number;
  host: string;
  logLevel: LogLevel;
  subgraphs: SubgraphEndpoint[];
  supergraph: SupergraphSourceConfig;
}

export const DEFAULT_SUPERGRAPH_OUTPUT = path.join(REPO_ROOT, '.data', 'supergraph.graphql');

export function subgraphEndpoints(env: EnvReader): SubgraphEndpoint[] {
  return SUBGRAPHS.map((s) => ({ name: s.name, area: s.area, url: env.string(urlEnvName(s.name), `http://localhost:${s.port}/graphql`) }));
}

export function readGatewayConfig(environment: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const env = new EnvReader(environment);
  const file = env.string('SUPERGRAPH_PATH');
  const config: GatewayConfig = {
    port: env.port('PORT', 4000),
    host: env.string('HOST', '0.0.0.0'),
    logLevel: env.logLevel(),
    subgraphs: subgraphEndpoints(env),
    supergraph: file
      ? { kind: 'file', path: path.resolve(file) }
      : { kind: 'compose', outputPath: path.resolve(env.string('SUPERGRAPH_OUT', DEFAULT_SUPERGRAPH_OUTPUT)) },
  };
  env.done();
  return config;
}
