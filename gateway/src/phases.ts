import type { GatewayPlugin } from './plugin';

import { PHASES, type PhaseName, type PluginPlace } from './phase-names';

export { PHASES, type PhaseName, type PluginPlace };

/**
 * Every plugin of the gateway, by name, with its place. A new plugin is one
 * entry here. Why each is where it is:
 * - rate-limit comes after authentication: its buckets are keyed by the verified identity;
 * - demand-control and the other limits come before the cache, so a refused operation is never answered from it;
 * - subgraph-metrics wraps innermost, so it times each attempt on the wire;
 * - upstream-timeout wraps inside circuit-breaker and retries, so each attempt is timed and a timeout counts as a failure;
 * - retries wrap outside the circuit breaker, so an open circuit is never retried;
 * - dedupe wraps outside all of these, so the one shared call has every protection.
 */
export const PLUGIN_PLACES: Readonly<Record<string, PluginPlace>> = {
  cors: { phase: 'admission', position: 10 },
  authentication: { phase: 'identity', position: 10 },
  'identity-forwarding': { phase: 'identity', position: 20 },
  'rate-limit': { phase: 'limits', position: 10 },
  'catalog-writes': { phase: 'limits', position: 20 },
  'operation-limits': { phase: 'limits', position: 30 },
  'trusted-documents': { phase: 'limits', position: 40 },
  'demand-control': { phase: 'limits', position: 50 },
  'response-cache': { phase: 'cache', position: 10 },
  // After the cache (a hit never joins) and after every limit (a refused request never joins).
  'inbound-dedup': { phase: 'cache', position: 15 },
  'subgraph-changes': { phase: 'cache', position: 20 },
  metrics: { phase: 'execution', position: 10 },
  'request-hygiene': { phase: 'execution', position: 20 },
  'propagate-headers': { phase: 'execution', position: 30 },
  tracing: { phase: 'execution', position: 40 },
  'request-log': { phase: 'execution', position: 50 },
  'field-usage': { phase: 'execution', position: 60 },
  'supergraph-version': { phase: 'execution', position: 70 },
  ide: { phase: 'execution', position: 80 },
  routes: { phase: 'execution', position: 85 },
  mcp: { phase: 'execution', position: 90 },
  // Its routes answer GraphQL over SSE; the operations it runs go through every plugin above again.
  subscriptions: { phase: 'execution', position: 95 },
  'subgraph-metrics': { phase: 'upstream', position: 10 },
  'connection-limits': { phase: 'upstream', position: 20 },
  'upstream-timeout': { phase: 'upstream', position: 30 },
  'circuit-breaker': { phase: 'upstream', position: 40 },
  retries: { phase: 'upstream', position: 50 },
  'subgraph-health': { phase: 'upstream', position: 60 },
  dedupe: { phase: 'upstream', position: 70 },
  'root-failover': { phase: 'upstream', position: 80 },
};

/** A plugin's place: its own `place` if it declares one, else its entry in PLUGIN_PLACES. */
export function placeOf(plugin: GatewayPlugin, places: Readonly<Record<string, PluginPlace>> = PLUGIN_PLACES): PluginPlace {
  const place = plugin.place ?? places[plugin.name];
  if (!place) {
    throw new Error(
      `Gateway plugin "${plugin.name}" has no phase: add it to PLUGIN_PLACES in gateway/src/phases.ts (phases: ${PHASES.map((p) => p.name).join(', ')}), or give it a \`place\`.`,
    );
  }
  return place;
}

const phaseIndex = new Map<string, number>(PHASES.map((p, i) => [p.name, i]));

/**
 * The plugins sorted by phase, then position. Two plugins at one place is a
 * wiring mistake (their order would depend on the list), reported at once.
 */
export function inPhaseOrder(plugins: readonly GatewayPlugin[], places?: Readonly<Record<string, PluginPlace>>): GatewayPlugin[] {
  const placed = plugins.map((plugin) => ({ plugin, place: placeOf(plugin, places) }));
  const taken = new Map<string, string>();
  for (const { plugin, place } of placed) {
    if (!phaseIndex.has(place.phase))
      throw new Error(`Gateway plugin "${plugin.name}" names an unknown phase "${place.phase}": use one of ${PHASES.map((p) => p.name).join(', ')}.`);
    const key = `${place.phase}:${place.position}`;
    const other = taken.get(key);
    if (other !== undefined)
      throw new Error(`Gateway plugins "${other}" and "${plugin.name}" are both at ${place.phase} position ${place.position}: give one another position.`);
    taken.set(key, plugin.name);
  }
  return placed.sort((a, b) => phaseIndex.get(a.place.phase)! - phaseIndex.get(b.place.phase)! || a.place.position - b.place.position).map((p) => p.plugin);
}

/** One request stage and the plugins taking part in it, in the order they run. */
export interface PluginStage {
  stage: string;
  plugins: string[];
}

/**
 * The order each request stage runs the (already ordered) plugins in; what
 * `npm run gateway:plugins` prints. Wrappers are listed outermost first, the
 * order a call passes through them.
 */
export function pluginStages(plugins: readonly GatewayPlugin[]): PluginStage[] {
  const having = (has: (p: GatewayPlugin) => unknown) => plugins.filter(has).map((p) => p.name);
  return [
    { stage: 'HTTP guards (beforeRequest)', plugins: having((p) => p.beforeRequest) },
    { stage: 'request screens (screenRequest)', plugins: having((p) => p.screenRequest) },
    { stage: 'context', plugins: having((p) => p.context) },
    { stage: 'parse options and validation rules', plugins: having((p) => p.parseOptions || p.validationRules?.length) },
    { stage: 'subscription start checks (checkSubscription)', plugins: having((p) => p.checkSubscription) },
    { stage: 'Apollo hooks', plugins: having((p) => p.apolloPlugins?.length) },
    { stage: 'subgraph request hooks (willSendRequest)', plugins: having((p) => p.willSendRequest) },
    { stage: 'subgraph response hooks (didReceiveResponse)', plugins: having((p) => p.didReceiveResponse) },
    { stage: 'subgraph error hooks (didEncounterError)', plugins: having((p) => p.didEncounterError) },
    { stage: 'data-source wrappers, outermost first', plugins: having((p) => p.wrapDataSource).reverse() },
    { stage: 'fetcher wrappers, outermost first', plugins: having((p) => p.wrapFetcher).reverse() },
    { stage: 'routes', plugins: having((p) => p.routes) },
  ];
}

/** The plugins by phase, then each stage's order, as text. */
export function describePluginOrder(plugins: readonly GatewayPlugin[], places?: Readonly<Record<string, PluginPlace>>): string {
  const lines: string[] = ['Gateway plugins by phase:'];
  for (const phase of PHASES) {
    const members = plugins.filter((p) => placeOf(p, places).phase === phase.name);
    lines.push(`  ${phase.name}: ${members.map((p) => `${p.name}@${placeOf(p, places).position}`).join(', ') || '(none)'}`);
  }
  lines.push('Order in each request stage:');
  for (const { stage, plugins: names } of pluginStages(plugins)) lines.push(`  ${stage}: ${names.join(' -> ') || '(none)'}`);
  return lines.join('\n');
}
