import path from 'node:path';
import { configProblems } from '../../test/support/config';
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
  const problems = (env: NodeJS.ProcessEnv) => configProblems(() => readGatewayConfig(env));
  expect(problems({ SUPERGRAPH_SOURCE: 'file' })).toEqual([expect.stringMatching(/SUPERGRAPH_SOURCE=file needs SUPERGRAPH_PATH/)]);
  expect(problems({ SUPERGRAPH_SOURCE: 'registry', SUPERGRAPH_PATH: 'x.graphql' })).toEqual([expect.stringMatching(/unset one of them/)]);
  expect(problems({ SUPERGRAPH_SOURCE: 'uplink' })).toEqual([expect.stringMatching(/not one of: registry, file, compose/)]);
  expect(problems({ SUPERGRAPH_SOURCE: 'registry', REGISTRY_POLL_INTERVAL_MS: '0', DRAIN_DELAY_MS: '-1' })).toHaveLength(2);
});

test("CLIENT_MANIFESTS: published client operations are followed in the supergraph's registry by default, and with a file or composed schemas only when asked, in the registry the variables name", () => {
  const registry = { kind: 'registry', pollIntervalMs: 500, database: { kind: 'external', uri: 'mongodb://registry:27017' }, databaseName: 'graph_registry' };
  const registryEnv = { REGISTRY_MONGODB_URI: 'mongodb://registry:27017', REGISTRY_DATABASE: 'graph_registry', REGISTRY_POLL_INTERVAL_MS: '500' };
  expect(readGatewayConfig({ SUPERGRAPH_SOURCE: 'registry', TRUSTED_DOCUMENTS: 'enforce', ...registryEnv }).clientManifests).toEqual(registry);
  expect(readGatewayConfig({ SUPERGRAPH_SOURCE: 'registry', CLIENT_MANIFESTS: 'off', ...registryEnv }).clientManifests).toEqual({ kind: 'off' });
  expect(readGatewayConfig({ SUPERGRAPH_PATH: 'deploy/supergraph.graphql', TRUSTED_DOCUMENTS: 'enforce', ...registryEnv }).clientManifests).toEqual({
    kind: 'off',
  });
  expect(
    readGatewayConfig({ SUPERGRAPH_PATH: 'deploy/supergraph.graphql', TRUSTED_DOCUMENTS: 'enforce', CLIENT_MANIFESTS: 'registry', ...registryEnv })
      .clientManifests,
  ).toEqual(registry);
  // Nothing would be trusted with TRUSTED_DOCUMENTS=off: said, rather than followed for nothing.
  expect(() => readGatewayConfig({ SUPERGRAPH_SOURCE: 'compose', TRUSTED_DOCUMENTS: 'off', CLIENT_MANIFESTS: 'registry' })).toThrow(
    /CLIENT_MANIFESTS=registry trusts published client operations, which needs TRUSTED_DOCUMENTS=enforce or allow/,
  );
});
