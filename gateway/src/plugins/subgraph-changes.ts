import type { Logger } from '@qsmo/service-kit/logger';
import type { GatewayPlugin } from '../plugin';
import { getSubgraphRoute, pollSubgraphs } from './subgraph-poller';

/** How the gateway learns that a subgraph's data changed elsewhere. */
export interface SubgraphChangesOptions {
  /** How often each subgraph's `/data-version` is read (RESPONSE_CACHE_CHANGE_POLL_MS). */
  intervalMs: number;
  /** Called with the subgraphs whose data version changed since the last read (a write through another gateway replica, a seed, an import). */
  onChange(subgraphs: readonly string[]): void;
  /** How long one read may take; a subgraph that does not answer keeps its last version. */
  timeoutMs?: number;
  logger?: Logger;
}

/** One read of `<subgraph>/data-version`; undefined when it does not answer in time or says nothing readable. */
export async function readSubgraphDataVersion(url: string, timeoutMs: number): Promise<string | undefined> {
  const answer = await getSubgraphRoute(url, timeoutMs);
  if ('error' in answer || answer.status !== 200) return undefined;
  try {
    const version = (JSON.parse(answer.body) as { version?: unknown }).version;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Follows each subgraph's data version (`GET /data-version`, which changes
 * with every catalog write through any replica or tool and every seed) and
 * reports the subgraphs whose version moved, so the response cache evicts
 * what it read from them: a change made through another gateway replica is
 * served here for at most about two polls (the subgraph's read model and
 * this), not for the types' whole max-age. A subgraph that does not answer
 * keeps its last version; the max-age still bounds what is served meanwhile.
 */
export function useSubgraphChanges(options: SubgraphChangesOptions): GatewayPlugin {
  const timeoutMs = options.timeoutMs ?? 1_000;
  const versions = new Map<string, string>();
  const poller = pollSubgraphs(options.intervalMs, async (subgraphs) => {
    const changed: string[] = [];
    await Promise.all(
      subgraphs.map(async (s) => {
        const version = await readSubgraphDataVersion(s.url.replace(/\/graphql$/, '/data-version'), timeoutMs);
        if (version === undefined) return;
        const before = versions.get(s.name);
        versions.set(s.name, version);
        if (before !== undefined && before !== version) changed.push(s.name);
      }),
    );
    if (changed.length) {
      options.logger?.debug(`data changed in ${changed.join(', ')}: cached answers read from them evicted`);
      options.onChange(changed);
    }
  });
  return { name: 'subgraph-changes', ...poller.hooks };
}
