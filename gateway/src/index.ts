import fs from 'node:fs';
import path from 'node:path';
import { createLogger, createMetrics, exitOnStartupError, onShutdown } from '@qsmo/shared';
import { composeSupergraph, localSubgraphSources } from './compose';
import { readGatewayConfig, type GatewayConfig } from './config';
import { createGatewayServer } from './server';

// No usage data leaves the machine: the graph runs on closed networks.
process.env.APOLLO_TELEMETRY_DISABLED ??= '1';

/** The gateway process: read config once, obtain a supergraph, listen, drain on SIGTERM. */
function loadSupergraph(config: GatewayConfig): { sdl: string; overrides: Record<string, string> | undefined } {
  if (config.supergraph.kind === 'file') {
    // URLs set in the environment win over those written in the file.
    const overrides = Object.fromEntries(config.subgraphs.map((s) => [s.name, s.url]));
    return { sdl: fs.readFileSync(config.supergraph.path, 'utf8'), overrides };
  }
  const { supergraphSdl } = composeSupergraph(localSubgraphSources(config.subgraphs));
  fs.mkdirSync(path.dirname(config.supergraph.outputPath), { recursive: true });
  fs.writeFileSync(config.supergraph.outputPath, supergraphSdl);
  return { sdl: supergraphSdl, overrides: undefined };
}

const logger = createLogger('gateway');
void (async () => {
  const config = readGatewayConfig();
  const { sdl, overrides } = loadSupergraph(config);
  const server = createGatewayServer({
    supergraph: sdl,
    urlOverrides: overrides,
    logger: createLogger('gateway', config.logLevel),
    metrics: createMetrics('gateway'),
  });
  onShutdown(logger, [() => server.http.stop()]);
  const url = await server.http.listen(config.port, config.host);
  logger.info(`gateway ready at ${url}`);
})().catch(exitOnStartupError(logger));
