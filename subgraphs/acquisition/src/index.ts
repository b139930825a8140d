// First: the tracing instrumentations patch http, graphql and mongodb as they load (a no-op unless OTel is configured).
import '@qsmo/shared/telemetry-preload';
import { runSubgraph } from '@qsmo/shared';
import { definition } from './definition';

runSubgraph(definition);
