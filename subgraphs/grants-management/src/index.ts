// First: the tracing instrumentations patch http, graphql and mongodb as they load (a no-op unless OTel is configured).
import '@qsmo/service-kit/telemetry-preload';
import { runSubgraph } from '@qsmo/subgraph-kit/subgraph/run';
import { definition } from './definition';

runSubgraph(definition);
