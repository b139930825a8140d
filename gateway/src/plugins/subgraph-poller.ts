import type { GatewayPlugin, SubgraphInfo } from '../plugin';

/** The plugin members a background poll of every served subgraph needs, and the subgraphs it knows. */
export interface SubgraphPoller extends Required<Pick<GatewayPlugin, 'wrapFetcher' | 'apolloPlugins' | 'onSupergraphLoad'>> {
  /** The subgraphs served now, by name (learnt as their HTTP clients are built). */
  readonly known: ReadonlyMap<string, SubgraphInfo>;
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
    wrapFetcher(fetcher, subgraph) {
      known.set(subgraph.name, subgraph);
      return fetcher;
    },
    apolloPlugins: [{
      async serverWillStart() {
        timer = setInterval(() => void run(), intervalMs);
        timer.unref();
        return { async serverWillStop() { clearInterval(timer); } };
      },
    }],
    onSupergraphLoad() { void run(); },
  };
}
