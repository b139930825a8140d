import { createHash } from 'node:crypto';
import { signInternalToken, IDENTITY_HEADER, secretBytes } from '@qsmo/service-kit/auth/internal-token';
import type { Identity } from '@qsmo/service-kit/auth/identity';
import { DATA_VERSION_PATH, type DataVersionAnswer, parseDataVersion, SETTLE_FACTOR } from '@qsmo/service-kit/data-version-protocol';
import type { Logger } from '@qsmo/service-kit/logger';
import { MAX_PAGE_SIZE } from '@qsmo/service-kit/pagination';
import { sortKeyOf } from '@qsmo/service-kit/loaders';

/** Where the directory reads one marketplace: its names in the graph and its GraphQL endpoint. */
export interface MarketplaceSource {
  /** Service name, also the audience of the signed identity. */
  name: string;
  /** QsmoDomain value. */
  domain: string;
  /** Human name, for messages. */
  area: string;
  /** Field of Query that opens the marketplace, e.g. "grantsManagement". */
  fieldName: string;
  /** The marketplace subgraph's /graphql URL. */
  url: string;
}

/** What the directory keeps of one offering: the fields its filters and orderings need, nothing else. */
export interface OfferingRow {
  id: string;
  /** The marketplace's concrete type, for the reference handed to the gateway. */
  typename: string;
  domain: string;
  name: string;
  sortKey: string;
  category: string | null;
  shelf: string;
  /** The provider and the partners. */
  providerIds: string[];
  customerCodes: string[];
  capabilityCodes: string[];
  launchedOn: string | null;
  verification: string;
}

/** One marketplace's part of the projection, read whole at one data version. */
interface MarketplaceState {
  /** The data version read before the offerings: a write during the read moves it, so the next poll reads again. */
  version: string;
  offerings: OfferingRow[];
  /** Agencies listed as a customer of some offering, and providers or partners of some offering: the counts read these, not the rows. */
  agencies: Set<string>;
  providers: Set<string>;
  loadedAt: number;
}

export interface ProjectionOptions {
  marketplaces: readonly MarketplaceSource[];
  /** GATEWAY_SIGNING_SECRET: the directory signs its reads as the gateway does; unset in development, where subgraphs accept unsigned reads. */
  signingSecret?: string;
  /** How often each marketplace's /data-version is read (DIRECTORY_POLL_MS). */
  pollMs: number;
  /** How long one read of a marketplace may take (DIRECTORY_READ_TIMEOUT_MS). */
  timeoutMs: number;
  logger: Logger;
}

/** The directory reads as an analyst: every field it needs is public, and an analyst's budget covers a page of 100 offerings with their lists. */
const DIRECTORY_IDENTITY: Identity = Object.freeze({
  subject: 'directory',
  issuer: 'qsmo-directory',
  roles: Object.freeze(['analyst'] as const),
  qsmos: Object.freeze([]),
});

const PAGE_QUERY = (field: string) => `query DirectoryProjection($after: String) { ${field} { offerings(first: ${MAX_PAGE_SIZE}, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { node { __typename id name category shelf provider { id } partners { id } customers { code } capabilities { code } launchedOn verification } } } } }`;

interface OfferingPage {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: OfferingNode }[];
}

interface OfferingNode {
  __typename: string;
  id: string;
  name: string;
  category: string | null;
  shelf: string;
  provider: { id: string };
  partners: { id: string }[];
  customers: { code: string }[];
  capabilities: { code: string }[];
  launchedOn: string | null;
  verification: string;
}

/** A marketplace the directory could not read; the message names it and says what happened. */
export class MarketplaceReadError extends Error {
  override readonly name = 'MarketplaceReadError';
}

/**
 * The directory's projection of every marketplace's offerings. Each
 * marketplace's `GET /data-version` changes with every catalog write through
 * any replica or tool and with every seed; the projection polls it and, when
 * it moved, re-reads that marketplace's offerings through its GraphQL
 * endpoint (signed as the gateway signs). The marketplaces stay the only
 * owners of their data: the projection is derived, held in memory and
 * rebuilt from them at start, so it cannot drift from them across restarts.
 */
export class DirectoryProjection {
  private readonly states = new Map<string, MarketplaceState>();
  /** When a marketplace read during its replicas' lag after a change is read once more, by name. */
  private readonly rereads = new Map<string, number>();
  /** Reads of a marketplace at its current data version after the first (the settling re-read), by name: part of this projection's version. */
  private readonly readsAtVersion = new Map<string, number>();
  /** The replica lag each marketplace last stated (settleMs of its /data-version), by name. */
  private readonly settles = new Map<string, number>();
  private readonly failures = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private readonly secret: Uint8Array | undefined;

  constructor(private readonly options: ProjectionOptions) {
    this.secret = options.signingSecret === undefined ? undefined : secretBytes(options.signingSecret);
  }

  /** Reads every marketplace once, then follows their data versions. A marketplace that cannot be read now is retried at each poll. */
  async start(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Waits (at most `maxWaitMs`) for a round that starts now or is under way, so
   * an answer sees every write committed before its request came in, not only
   * those of the last poll: a reference to an offering its marketplace has
   * since retired would otherwise be resolved to nothing. A marketplace slow to
   * answer delays the request by `maxWaitMs` at most; the last projection is
   * served meanwhile.
   */
  freshen(maxWaitMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, maxWaitMs);
      timer.unref();
    });
    return Promise.race([this.poll(), waited]).finally(() => clearTimeout(timer));
  }

  /** One round: every marketplace whose data version moved (or that was never read) is read again. Rounds never overlap. */
  poll(): Promise<void> {
    this.polling ??= Promise.all(this.options.marketplaces.map((m) => this.refresh(m)))
      .then(() => undefined)
      .finally(() => {
        this.polling = undefined;
      });
    return this.polling;
  }

  private async refresh(source: MarketplaceSource): Promise<void> {
    try {
      const { version, settleMs } = await this.dataVersion(source);
      const before = this.states.get(source.name)?.version;
      const rereadAt = this.rereads.get(source.name);
      if (before === version && (rereadAt === undefined || Date.now() < rereadAt)) return;
      this.settles.set(source.name, settleMs);
      const offerings = await this.readOfferings(source);
      this.replace(source.name, version, offerings);
      // A re-read at the same version may bring other rows: this projection's version moves with it, so what was cached from it goes.
      this.readsAtVersion.set(source.name, before === version ? (this.readsAtVersion.get(source.name) ?? 0) + 1 : 0);
      // Behind one address, pages may have come from a replica that had not
      // noticed the change yet: read once more when every replica has.
      if (before !== undefined && before !== version && settleMs > 0) this.rereads.set(source.name, Date.now() + SETTLE_FACTOR * settleMs);
      else this.rereads.delete(source.name);
      if (this.failures.delete(source.name)) this.options.logger.info(`${source.area} marketplace read again: ${offerings.length} offerings`);
    } catch (error) {
      const message = (error as Error).message;
      if (this.failures.get(source.name) !== message) this.options.logger.warn(`${source.area} marketplace not read: ${message}`);
      this.failures.set(source.name, message);
    }
  }

  private async dataVersion(source: MarketplaceSource): Promise<DataVersionAnswer> {
    const url = source.url.replace(/\/graphql$/, DATA_VERSION_PATH);
    const response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs) }).catch((error: Error) => {
      throw new MarketplaceReadError(`${url} did not answer (${(error.cause as Error | undefined)?.message ?? error.message})`);
    });
    if (response.status !== 200) throw new MarketplaceReadError(`${url} answered HTTP ${response.status}`);
    const answer = parseDataVersion(await response.json());
    if (!answer) throw new MarketplaceReadError(`${url} did not give a data version`);
    return answer;
  }

  private async readOfferings(source: MarketplaceSource): Promise<OfferingRow[]> {
    const rows: OfferingRow[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await this.readPage(source, after);
      for (const { node } of page.edges) rows.push(toRow(source.domain, node));
      if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return rows;
      after = page.pageInfo.endCursor;
    }
  }

  /** One page of a marketplace's offerings through its GraphQL endpoint, signed as the gateway signs. */
  private async readPage(source: MarketplaceSource, after: string | null): Promise<OfferingPage> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'apollographql-client-name': 'directory' };
    if (this.secret) headers[IDENTITY_HEADER] = await signInternalToken(DIRECTORY_IDENTITY, this.secret, source.name);
    const body = JSON.stringify({ query: PAGE_QUERY(source.fieldName), variables: { after } });
    const response = await fetch(source.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.options.timeoutMs) }).catch((error: Error) => {
      throw new MarketplaceReadError(`${source.url} did not answer (${(error.cause as Error | undefined)?.message ?? error.message})`);
    });
    const answer = (await response.json().catch(() => ({}))) as { data?: Record<string, { offerings: OfferingPage } | null>; errors?: { message: string }[] };
    const page = answer.data?.[source.fieldName]?.offerings;
    if (response.status !== 200 || answer.errors?.length || !page) {
      throw new MarketplaceReadError(
        `${source.url} answered HTTP ${response.status}${answer.errors?.length ? `: ${answer.errors.map((e) => e.message).join('; ')}` : ' without offerings'}`,
      );
    }
    return page;
  }

  /** Sets one marketplace's part as read at a data version (each poll that read it; in-process tests feed rows directly). */
  replace(name: string, version: string, offerings: OfferingRow[]): void {
    if (!this.options.marketplaces.some((m) => m.name === name)) throw new Error(`The directory does not follow a marketplace named "${name}".`);
    this.states.set(name, {
      version,
      offerings,
      agencies: new Set(offerings.flatMap((o) => o.customerCodes)),
      providers: new Set(offerings.flatMap((o) => o.providerIds)),
      loadedAt: Date.now(),
    });
  }

  /** The offerings of the given marketplaces (all when absent), and the marketplaces among them not read yet. */
  offerings(domains?: readonly string[]): { rows: OfferingRow[]; missing: MarketplaceSource[] } {
    const rows: OfferingRow[] = [];
    const missing: MarketplaceSource[] = [];
    for (const m of this.options.marketplaces) {
      if (domains && !domains.includes(m.domain)) continue;
      const state = this.states.get(m.name);
      if (state) rows.push(...state.offerings);
      else missing.push(m);
    }
    return { rows, missing };
  }

  /** Distinct marketplaces where some offering lists the agency as a customer. */
  agencyMarketplaceCount(code: string): number {
    return this.countMarketplaces((state) => state.agencies.has(code));
  }

  /** Distinct marketplaces where the provider provides or partners on some offering. */
  providerMarketplaceCount(id: string): number {
    return this.countMarketplaces((state) => state.providers.has(id));
  }

  /** Providers that provide or partner on an offering of the marketplace, as it lists them now. */
  providersIn(domain: string): ReadonlySet<string> {
    const name = this.options.marketplaces.find((m) => m.domain === domain)?.name;
    return (name === undefined ? undefined : this.states.get(name)?.providers) ?? new Set();
  }

  private countMarketplaces(has: (state: MarketplaceState) => boolean): number {
    let count = 0;
    for (const state of this.states.values()) if (has(state)) count++;
    return count;
  }

  /** Marketplaces not read yet (each read failed so far), for counts that would otherwise be silently low. */
  unread(): MarketplaceSource[] {
    return this.options.marketplaces.filter((m) => !this.states.has(m.name));
  }

  /** Changes whenever any marketplace's part changes: the gateway polls it (as /data-version) to evict cached answers read from the directory. */
  version(): string {
    const parts = this.options.marketplaces.map((m) => {
      const rereads = this.readsAtVersion.get(m.name) ?? 0;
      return `${m.name}=${this.states.get(m.name)?.version ?? '-'}${rereads ? `+${rereads}` : ''}`;
    });
    return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
  }

  /**
   * How long after a change another replica of the directory may still
   * answer from before it: one poll to see the marketplace's new version,
   * then the settling re-read behind the marketplaces' own stated lag.
   */
  settleMs(): number {
    return this.options.pollMs + SETTLE_FACTOR * Math.max(0, ...this.settles.values());
  }

  /** True once every marketplace has been read at least once. */
  complete(): boolean {
    return this.unread().length === 0;
  }
}

function toRow(domain: string, node: OfferingNode): OfferingRow {
  return {
    id: node.id,
    typename: node.__typename,
    domain,
    name: node.name,
    sortKey: sortKeyOf(node.name),
    category: node.category,
    shelf: node.shelf,
    providerIds: [node.provider.id, ...node.partners.map((p) => p.id)],
    customerCodes: node.customers.map((c) => c.code),
    capabilityCodes: node.capabilities.map((c) => c.code),
    launchedOn: node.launchedOn,
    verification: node.verification,
  };
}
