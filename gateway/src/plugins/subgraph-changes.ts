import { DATA_VERSION_PATH, type DataVersionAnswer, parseDataVersion, SETTLE_FACTOR } from '@qsmo/service-kit/data-version-protocol';
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
export async function readSubgraphDataVersion(url: string, timeoutMs: number): Promise<DataVersionAnswer | undefined> {
  const answer = await getSubgraphRoute(url, timeoutMs);
  if ('error' in answer || answer.status !== 200) return undefined;
  try {
    return parseDataVersion(JSON.parse(answer.body));
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
 * this) and the replicas' stated lag, not for the types' whole max-age. A
 * subgraph that does not answer keeps its last version; the max-age still
 * bounds what is served meanwhile.
 */
export function useSubgraphChanges(options: SubgraphChangesOptions): GatewayPlugin {
  const timeoutMs = options.timeoutMs ?? 1_000;
  const versions = new Map<string, string>();
  // The second eviction due per subgraph; a later change moves it.
  const settling = new Map<string, NodeJS.Timeout>();
  const settleLater = (name: string, settleMs: number) => {
    clearTimeout(settling.get(name));
    const timer = setTimeout(() => {
      settling.delete(name);
      options.logger?.debug(`data in ${name} settled on every replica: answers cached since the change evicted again`);
      options.onChange([name]);
    }, SETTLE_FACTOR * settleMs);
    timer.unref();
    settling.set(name, timer);
  };
  const poller = pollSubgraphs(options.intervalMs, async (subgraphs) => {
    const changed: string[] = [];
    await Promise.all(
      subgraphs.map(async (s) => {
        const answer = await readSubgraphDataVersion(s.url.replace(/\/graphql$/, DATA_VERSION_PATH), timeoutMs);
        if (answer === undefined) return;
        const before = versions.get(s.name);
        versions.set(s.name, answer.version);
        if (before === undefined || before === answer.version) return;
        changed.push(s.name);
        // Behind one address, a replica that has not noticed the change yet
        // may answer the very next read from before it, and that answer would
        // be cached after this eviction with nothing left to evict it: once
        // every replica has noticed, what was cached meanwhile goes too.
        if (answer.settleMs > 0) settleLater(s.name, answer.settleMs);
      }),
    );
    if (changed.length) {
      options.logger?.debug(`data changed in ${changed.join(', ')}: cached answers read from them evicted`);
      options.onChange(changed);
    }
  });
  return { name: 'subgraph-changes', ...poller.hooks };
}
