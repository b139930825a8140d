// First: the tracing instrumentations patch http and graphql as they load (a no-op unless OTel is configured).
import '@qsmo/service-kit/telemetry-preload';
import { runDirectory } from './run';

runDirectory();
