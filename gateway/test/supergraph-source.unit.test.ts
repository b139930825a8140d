import path from 'node:path';
import { ConfigError } from '@qsmo/service-kit/errors';
import { DEFAULT_REGISTRY_POLL_MS, readGatewayConfig } from '../src/config';

/** Where the gateway's supergraph comes from, as the environment says. */
test("SUPERGRAPH_SOURCE=registry: on the services' database unless REGISTRY_MONGODB_URI says otherwise", () => {
  expect(readGatewayConfig({ SUPERGRAPH_SOURCE: 'registry', MONGODB_URI: 'mongodb://db:27017' }).supergraph).toEqual({
    kind: 'registry',
    pollIntervalMs: DEFAULT_REGISTRY_POLL_MS,
    database: { kind: 'external', uri: 'mongodb://db:27017' },
    databaseName: 'qsmo_registry',
  });
  expect(
    readGatewayConfig({
      SUPERGRAPH_SOURCE: 'registry',
      MONGODB_URI: 'mongodb://db:27017',
      REGISTRY_MONGODB_URI: 'mongodb://registry:27017',
      REGISTRY_DATABASE: 'graph_registry',
      REGISTRY_POLL_INTERVAL_MS: '500',
    }).supergraph,
  ).toEqual({
    kind: 'registry',
    pollIntervalMs: 500,
    database: { kind: 'external', uri: 'mongodb://registry:27017' },
    databaseName: 'graph_registry',
  });
});

test('unset, the gateway serves SUPERGRAPH_PATH when given, else composes the local schemas, as before', () => {
  expect(readGatewayConfig({ SUPERGRAPH_PATH: 'deploy/supergraph.graphql' }).supergraph).toEqual({
    kind: 'file',
    path: path.resolve('deploy/supergraph.graphql'),
  });
  expect(readGatewayConfig({ SUPERGRAPH_OUT: 'x.graphql' }).supergraph).toEqual({ kind: 'compose', outputPath: path.resolve('x.graphql') });
  expect(readGatewayConfig({ SUPERGRAPH_SOURCE: 'file', SUPERGRAPH_PATH: 'y.graphql' }).supergraph).toEqual({ kind: 'file', path: path.resolve('y.graphql') });
});

test('contradictory or incomplete settings are refused, each with what to change', () => {
  const problems = (env: NodeJS.ProcessEnv) => {
    try {
      readGatewayConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };
  expect(problems({ SUPERGRAPH_SOURCE: 'file' })).toEqual([expect.stringMatching(/SUPERGRAPH_SOURCE=file needs SUPERGRAPH_PATH/)]);
  expect(problems({ SUPERGRAPH_SOURCE: 'registry', SUPERGRAPH_PATH: 'x.graphql' })).toEqual([expect.stringMatching(/unset one of them/)]);
  expect(problems({ SUPERGRAPH_SOURCE: 'uplink' })).toEqual([expect.stringMatching(/not one of: registry, file, compose/)]);
  expect(problems({ SUPERGRAPH_SOURCE: 'registry', REGISTRY_POLL_INTERVAL_MS: '0', DRAIN_DELAY_MS: '-1' })).toHaveLength(2);
});
