import http from 'node:http';
import type { GatewayPlugin, SubgraphInfo } from '../plugin';

/**
 * One GET of a subgraph's own route (readiness, data version) over node:http
 * without the keep-alive pool, so a hung subgraph costs one socket for
 * `timeoutMs` and no client request waits behind it. Never rejects.
 */
export function getSubgraphRoute(url: string, timeoutMs: number): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error) => resolve({ error: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ error: error.message }));
  });
}

/** A background poll of every served subgraph: the plugin members it needs, and the subgraphs it knows. */
export interface SubgraphPoller {
  /** To spread into the plugin that polls. */
  hooks: Required<Pick<GatewayPlugin, 'wrapFetcher' | 'apolloPlugins' | 'onSupergraphLoad'>>;
  /** The subgraphs served now, by name (learnt as their HTTP clients are built). */
  known: ReadonlyMap<string, SubgraphInfo>;
}

/**
 * Runs `poll` over the served subgraphs every `intervalMs` while the server
 * runs, and at once for each new supergraph; a poll still running when the
 * next is due is not doubled. For plugins that watch the subgraphs in the
 * background (readiness, data versions), so no client request waits on them.
 */
export function pollSubgraphs(intervalMs: number, poll: (subgraphs: readonly SubgraphInfo[]) => Promise<void>): SubgraphPoller {
  const known = new Map<string, SubgraphInfo>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      await poll([...known.values()]);
    } finally {
      running = false;
    }
  };
  return {
    known,
    hooks: {
      wrapFetcher(fetcher, subgraph) {
        known.set(subgraph.name, subgraph);
        return fetcher;
      },
      apolloPlugins: [
        {
          async serverWillStart() {
            timer = setInterval(() => void run(), intervalMs);
            timer.unref();
            return {
              async serverWillStop() {
                clearInterval(timer);
              },
            };
          },
        },
      ],
      onSupergraphLoad() {
        void run();
      },
    },
  };
}
