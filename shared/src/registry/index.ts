/** The schema registry: versioned subgraph and supergraph records, checks and publishing. */
export { composeSupergraph, CompositionError, type SubgraphSource } from './compose';
export { diffSubgraphSchemas, subgraphApiSchema, InvalidSubgraphSchemaError, type SchemaChange, type SchemaDiff } from './diff';
export {
  SchemaRegistry, schemaHash, sha256, subgraphVersionId, DEFAULT_REGISTRY_DATABASE, SUBGRAPH_VERSIONS, SUPERGRAPH_VERSIONS,
  type SubgraphVersion, type SupergraphVersion, type SubgraphRef, type PublishedState,
} from './store';
export { checkAgainst, checkSubgraphs, type CheckReport, type SubgraphCheck, type CheckOptions } from './check';
export { publishSubgraphs, defaultPublisher, type PublishOptions, type PublishResult } from './publish';
export { readRegistryConfig, openRegistry, type RegistryConfig, type OpenRegistry } from './config';
export { runSchemaCli, parseSchemaCli, formatCheckReport } from './cli';
