import type { GatewayDataSource } from './plugin';

/**
 * Which data source the gateway actually uses for each served subgraph.
 *
 * @apollo/gateway calls buildService both for the supergraph it is about to
 * serve and for a candidate it only health-checks (the registry manager's
 * check before a switch); nothing in the call tells them apart. So builds
 * are only noted here, and the served set changes when a supergraph is
 * loaded, mirroring the gateway's own rule: a subgraph whose URL did not
 * change keeps its data source, a changed one gets the newest built for that
 * URL. A refused candidate therefore never replaces what failover routes to.
 */
export class ServedDataSources {
  /** Built since the last load, by name and URL; the gateway's builds for a load are the last ones before it. */
  private built = new Map<string, readonly GatewayDataSource[]>();
  /** Like the gateway's service map: never forgets a subgraph, so one that returns at the same URL keeps its source. */
  private known = new Map<string, { url: string; layers: readonly GatewayDataSource[] }>();
  private served = new Set<string>();

  /** Notes a data source built for (name, url); `layers[i]` is the data source after the i-th wrapping plugin. */
  noteBuilt(name: string, url: string, layers: readonly GatewayDataSource[]): void {
    this.built.set(key(name, url), layers);
  }

  /** The gateway now serves these subgraphs (from the loaded supergraph). */
  load(subgraphs: readonly { name: string; url: string }[]): void {
    for (const { name, url } of subgraphs) {
      if (this.known.get(name)?.url === url) continue;
      const layers = this.built.get(key(name, url));
      if (layers) this.known.set(name, { url, layers });
    }
    this.served = new Set(subgraphs.map((s) => s.name));
    this.built.clear();
  }

  /** The served data source of `name` at wrapping depth `depth`, if the subgraph is served. */
  get(name: string, depth: number): GatewayDataSource | undefined {
    return this.served.has(name) ? this.known.get(name)?.layers[depth] : undefined;
  }
}

const key = (name: string, url: string) => `${name}\u0000${url}`;
