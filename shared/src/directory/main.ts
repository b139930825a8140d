// First: the tracing instrumentations patch http and graphql as they load (a no-op unless OTel is configured).
import '../telemetry-preload';
import { runDirectory } from './run';

runDirectory();
