import { metricsPlugin, type Metrics } from '@qsmo/service-kit/metrics';
import type { GatewayPlugin } from '../plugin';

/** Counts the gateway's GraphQL operations by name and outcome, with the same metric every subgraph exports. */
export function useMetrics(metrics: Metrics): GatewayPlugin {
  return { name: 'metrics', apolloPlugins: [metricsPlugin(metrics)] };
}
