import http from 'node:http';
import https from 'node:https';
import type { Fetcher } from '@apollo/utils.fetcher';
import type { GatewayPlugin } from '../plugin';

/** How many connections the gateway may hold to each subgraph. */
export interface ConnectionLimitOptions {
  /** Sockets per subgraph (default 64); calls beyond wait for a free one, within their timeout. */
  maxSockets?: number;
  /** Idle keep-alive sockets kept per subgraph (default 16). */
  maxFreeSockets?: number;
}

/**
 * Apollo's HTTP client opens as many sockets as there are calls, so a hung
 * subgraph made the gateway's connections grow with the load. Each subgraph
 * gets its own keep-alive agent with a socket cap instead; the client takes
 * an `agent` per call, so Apollo's client stays the one doing the work.
 * Agents are kept per URL across supergraph updates.
 */
export function useConnectionLimits(options: ConnectionLimitOptions = {}): GatewayPlugin {
  const agents = new Map<string, http.Agent>();
  const settings = { keepAlive: true, maxSockets: options.maxSockets ?? 64, maxFreeSockets: options.maxFreeSockets ?? 16, scheduling: 'lifo' as const };
  return {
    name: 'connection-limits',
    wrapFetcher(fetcher, subgraph): Fetcher {
      let agent = agents.get(subgraph.url);
      if (!agent) {
        agent = subgraph.url.startsWith('https:') ? new https.Agent(settings) : new http.Agent(settings);
        agents.set(subgraph.url, agent);
      }
      const chosen = agent;
      return (url, init) => fetcher(url, { ...init, agent: chosen } as typeof init);
    },
    apolloPlugins: [
      {
        async serverWillStart() {
          return {
            async serverWillStop() {
              for (const agent of agents.values()) agent.destroy();
            },
          };
        },
      },
    ],
  };
}
