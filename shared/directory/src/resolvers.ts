import { GraphQLError, type GraphQLResolveInfo } from 'graphql';
import { parseStatedOn } from '@qsmo/catalog/stated-on';
import { badUserInput, ErrorCode, excerpt } from '@qsmo/service-kit/errors';
import { decodeCursor, encodeCursor, validateFirst } from '@qsmo/service-kit/pagination';
import { agencyCode, fibfCode, slug } from '@qsmo/service-kit/validation';
import type { DirectoryProjection, MarketplaceSource, OfferingRow } from './projection';

/** What the directory's resolvers read: the projection and its copy of the reference lists, nothing per request. */
export interface DirectoryContext {
  projection: DirectoryProjection;
  reference: DirectoryReference;
  /** Brings the projection up to the marketplaces' current data versions, once per request (see DirectoryProjection.freshen). */
  fresh(): Promise<void>;
}

/** The reference fields the directory lists agencies and providers by (its own copy of the reference catalog, as every subgraph keeps one). */
export interface DirectoryReference {
  agencies: readonly { code: string; name: string; abbreviation: string | null; cfoAct: boolean }[];
  providers: readonly { id: string; name: string; abbreviation: string | null; sector: string }[];
}

interface ListArgs<F> {
  filter?: F | null;
  first?: number | null;
  after?: string | null;
}
interface AgencyFilter {
  search?: string | null;
  cfoAct?: boolean | null;
  minMarketplaces?: number | null;
}
interface ProviderFilter {
  search?: string | null;
  sector?: string | null;
  domain?: string | null;
  minMarketplaces?: number | null;
}

function searchTest(search: string | null | undefined): ((r: { name: string; abbreviation: string | null }) => boolean) | undefined {
  const text = search?.trim().toLowerCase();
  if (!text) return undefined;
  if (text.length > 200) throw badUserInput('search is longer than 200 characters: shorten it.', 'filter.search');
  return (r) => r.name.toLowerCase().includes(text) || (r.abbreviation ?? '').toLowerCase().includes(text);
}

function minMarketplaces(value: number | null | undefined, known: readonly MarketplaceSource[]): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > known.length) {
    throw badUserInput(
      `filter.minMarketplaces must be between 0 and ${known.length} (the number of QSMO marketplaces); got ${value}.`,
      'filter.minMarketplaces',
    );
  }
  return value;
}

/** A name-ordered page over an in-memory list, keyset on (name case ignored, id) like the database lists. */
function namePage<T>(rows: readonly T[], idOf: (row: T) => string, nameOf: (row: T) => string, args: ListArgs<unknown>) {
  const first = validateFirst(args.first);
  const keyed = rows.map((row) => ({ row, key: [nameOf(row).toLowerCase(), '', idOf(row)] as SortTuple })).sort((a, b) => compareTuples(a.key, b.key, 'ASC'));
  let start = 0;
  if (args.after) {
    const { v, id } = decodeCursor(args.after);
    if (typeof v !== 'string') throw badUserInput('after is not a cursor of this list: pass pageInfo.endCursor from a previous page.', 'after');
    const after: SortTuple = [v, '', id];
    start = keyed.findIndex((k) => compareTuples(k.key, after, 'ASC') > 0);
  }
  const page = start < 0 ? [] : keyed.slice(start, start + first);
  const edges = page.map(({ row, key }) => ({ cursor: encodeCursor(key[0], idOf(row)), node: row }));
  return { edges, pageInfo: { hasNextPage: start >= 0 && start + first < keyed.length, endCursor: edges.at(-1)?.cursor ?? null }, totalCount: keyed.length };
}

export interface CatalogOfferingFilter {
  domains?: string[] | null;
  search?: string | null;
  shelf?: string | null;
  providerId?: string | null;
  customerCode?: string | null;
  capabilityCode?: string | null;
  verification?: string | null;
  launchedSince?: string | null;
  launchedUntil?: string | null;
}

type OrderField = 'NAME' | 'CUSTOMER_COUNT' | 'LAUNCHED_ON';
type Direction = 'ASC' | 'DESC';

export interface OfferingsArgs {
  filter?: CatalogOfferingFilter | null;
  orderBy?: { field: OrderField; direction?: Direction | null } | null;
  first?: number | null;
  after?: string | null;
}

const LAUNCH_FORMATS = 'YYYY, YYYY-MM or YYYY-MM-DD';

/** A launchedSince/launchedUntil bound: the first and last day the written date covers. */
function launchBound(value: string | null | undefined, argumentName: string): { from: string; to: string } | undefined {
  if (value === null || value === undefined) return undefined;
  const parsed = /^\d{4}(-\d{2}(-\d{2})?)?$/.test(value) ? parseStatedOn(value) : undefined;
  if (!parsed || 'problem' in parsed) {
    throw badUserInput(`${argumentName} "${excerpt(value)}" is not a date: write ${LAUNCH_FORMATS}, e.g. "2020" or "2020-10-01".`, `filter.${argumentName}`);
  }
  return { from: parsed.from, to: parsed.to };
}

/** The first day an offering's launch date covers (a catalog may date it to a year); null when undated or unreadable. */
function launchDay(row: OfferingRow): string | null {
  if (!row.launchedOn) return null;
  const parsed = parseStatedOn(row.launchedOn);
  return 'problem' in parsed ? null : parsed.from;
}

/** The filter as one predicate, every argument checked first so a mistake is reported before anything is read. */
function predicateOf(filter: CatalogOfferingFilter, known: readonly MarketplaceSource[]): { domains?: string[]; test: (row: OfferingRow) => boolean } {
  const tests: ((row: OfferingRow) => boolean)[] = [];
  let domains: string[] | undefined;
  if (filter.domains !== null && filter.domains !== undefined) {
    if (filter.domains.length === 0) throw badUserInput('filter.domains is empty: leave it out for every marketplace, or name at least one.', 'filter.domains');
    const unknown = filter.domains.filter((d) => !known.some((m) => m.domain === d));
    if (unknown.length)
      throw badUserInput(
        `filter.domains names ${unknown.join(', ')}, which the directory does not follow: use ${known.map((m) => m.domain).join(', ')}.`,
        'filter.domains',
      );
    domains = filter.domains;
  }
  const search = filter.search?.trim();
  if (search) {
    if (search.length > 200) throw badUserInput('search is longer than 200 characters: shorten it.', 'filter.search');
    const text = search.toLowerCase();
    tests.push((r) => r.sortKey.includes(text) || (r.category ?? '').toLowerCase().includes(text));
  }
  if (filter.shelf) tests.push((r) => r.shelf === filter.shelf);
  if (filter.verification) tests.push((r) => r.verification === filter.verification);
  if (filter.providerId !== null && filter.providerId !== undefined) {
    const id = slug(filter.providerId, 'filter.providerId', 'doi-ibc');
    tests.push((r) => r.providerIds.includes(id));
  }
  if (filter.customerCode !== null && filter.customerCode !== undefined) {
    const code = agencyCode(filter.customerCode, 'filter.customerCode');
    tests.push((r) => r.customerCodes.includes(code));
  }
  if (filter.capabilityCode !== null && filter.capabilityCode !== undefined) {
    const code = fibfCode(filter.capabilityCode, 'filter.capabilityCode');
    tests.push((r) => r.capabilityCodes.some((c) => c === code || c.startsWith(`${code}.`)));
  }
  const since = launchBound(filter.launchedSince, 'launchedSince');
  const until = launchBound(filter.launchedUntil, 'launchedUntil');
  if (since && until && since.from > until.to) {
    throw badUserInput(
      `filter.launchedSince (${filter.launchedSince}) is after filter.launchedUntil (${filter.launchedUntil}): swap them.`,
      'filter.launchedSince',
    );
  }
  if (since || until) {
    tests.push((r) => {
      const day = launchDay(r);
      return day !== null && (!since || day >= since.from) && (!until || day <= until.to);
    });
  }
  return { domains, test: (row) => tests.every((t) => t(row)) };
}

/** The sort key of a row: the ordered value, then name, then id. Null primary values (no launch date) sort last either way. */
type SortTuple = [string | number | null, string, string];

function primaryOf(row: OfferingRow, field: OrderField): string | number | null {
  switch (field) {
    case 'NAME':
      return row.sortKey;
    case 'CUSTOMER_COUNT':
      return row.customerCodes.length;
    case 'LAUNCHED_ON':
      return launchDay(row);
  }
}

function compareTuples(a: SortTuple, b: SortTuple, direction: Direction): number {
  if (a[0] !== b[0]) {
    if (a[0] === null) return 1;
    if (b[0] === null) return -1;
    const order = a[0] < b[0] ? -1 : 1;
    return direction === 'DESC' ? -order : order;
  }
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0;
}

function decodeAfter(after: string, field: OrderField): SortTuple {
  const { v, id } = decodeCursor(after);
  let tuple: unknown;
  try {
    tuple = typeof v === 'string' ? JSON.parse(v) : undefined;
  } catch {
    tuple = undefined;
  }
  const pair = Array.isArray(tuple) ? (tuple as unknown[]) : [];
  const ok = pair.length === 2 && typeof pair[1] === 'string' && (pair[0] === null || typeof pair[0] === (field === 'CUSTOMER_COUNT' ? 'number' : 'string'));
  if (!ok) throw badUserInput('after is not a cursor of this list in this order: pass pageInfo.endCursor from a previous page with the same orderBy.', 'after');
  return [pair[0] as string | number | null, pair[1] as string, id];
}

/** A marketplace that has never been read answers with an error naming it, never with a silently shorter list. */
function notReadYet(missing: readonly MarketplaceSource[]): GraphQLError {
  return new GraphQLError(
    `The directory has not read the ${missing.map((m) => m.area).join(', ')} marketplace${missing.length > 1 ? 's' : ''} yet (unavailable since the directory started), ` +
      'so it cannot list their offerings; retry shortly, or leave those marketplaces out with filter.domains.',
    { extensions: { code: ErrorCode.SUBGRAPH_UNAVAILABLE, serviceName: missing.map((m) => m.name).join(',') } },
  );
}

export function offeringsPage(projection: DirectoryProjection, known: readonly MarketplaceSource[], args: OfferingsArgs) {
  const first = validateFirst(args.first);
  const field: OrderField = args.orderBy?.field ?? 'NAME';
  const direction: Direction = args.orderBy?.direction ?? 'ASC';
  const { domains, test } = predicateOf(args.filter ?? {}, known);
  const after = args.after ? decodeAfter(args.after, field) : undefined;
  const { rows, missing } = projection.offerings(domains);
  if (missing.length) throw notReadYet(missing);
  const matching = rows
    .filter(test)
    .map((row) => ({ row, key: [primaryOf(row, field), row.sortKey, row.id] as SortTuple }))
    .sort((a, b) => compareTuples(a.key, b.key, direction));
  const start = after ? matching.findIndex((m) => compareTuples(m.key, after, direction) > 0) : 0;
  const page = start < 0 ? [] : matching.slice(start, start + first);
  const edges = page.map(({ row, key }) => ({
    cursor: encodeCursor(JSON.stringify([key[0], key[1]]), row.id),
    node: { __typename: row.typename, id: row.id },
  }));
  return {
    edges,
    pageInfo: { hasNextPage: start >= 0 && start + first < matching.length, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: matching.length,
  };
}

/**
 * A list filtered by what the marketplaces list (minMarketplaces, a provider's
 * marketplace) changes with their catalogs: it may be cached for the catalogs'
 * 30 s, not the reference data's 300 s. Apollo Server puts `cacheControl` on
 * the resolver info (the duck typing @apollo/cache-control-types describes).
 */
function followsCatalogs(info: GraphQLResolveInfo): void {
  (info as GraphQLResolveInfo & { cacheControl?: { setCacheHint(hint: { maxAge: number }): void } }).cacheControl?.setCacheHint({ maxAge: 30 });
}

/** Counts over the projection are refused while a marketplace is unread: a low count would read as a fact. */
function requireComplete(projection: DirectoryProjection): void {
  const missing = projection.unread();
  if (missing.length) throw notReadYet(missing);
}

export function directoryResolvers(known: readonly MarketplaceSource[]) {
  return {
    Query: {
      offerings: async (_: unknown, args: OfferingsArgs, ctx: DirectoryContext) => {
        await ctx.fresh();
        return offeringsPage(ctx.projection, known, args);
      },
      agencies: async (_: unknown, args: ListArgs<AgencyFilter>, ctx: DirectoryContext, info: GraphQLResolveInfo) => {
        const f = args.filter ?? {};
        if (f.minMarketplaces !== null && f.minMarketplaces !== undefined) await ctx.fresh();
        const search = searchTest(f.search);
        const min = minMarketplaces(f.minMarketplaces, known);
        if (min !== undefined) {
          requireComplete(ctx.projection);
          followsCatalogs(info);
        }
        const rows = ctx.reference.agencies.filter(
          (a) =>
            (!search || search(a)) &&
            (f.cfoAct === null || f.cfoAct === undefined || a.cfoAct === f.cfoAct) &&
            (min === undefined || ctx.projection.agencyMarketplaceCount(a.code) >= min),
        );
        return namePage(
          rows,
          (a) => a.code,
          (a) => a.name,
          args,
        );
      },
      providers: async (_: unknown, args: ListArgs<ProviderFilter>, ctx: DirectoryContext, info: GraphQLResolveInfo) => {
        const f = args.filter ?? {};
        if ((f.minMarketplaces !== null && f.minMarketplaces !== undefined) || f.domain) await ctx.fresh();
        const search = searchTest(f.search);
        const min = minMarketplaces(f.minMarketplaces, known);
        if (min !== undefined || f.domain) {
          requireComplete(ctx.projection);
          followsCatalogs(info);
        }
        const inDomain = f.domain ? ctx.projection.providersIn(f.domain) : undefined;
        const rows = ctx.reference.providers.filter(
          (p) =>
            (!search || search(p)) &&
            (!f.sector || p.sector === f.sector) &&
            (!inDomain || inDomain.has(p.id)) &&
            (min === undefined || ctx.projection.providerMarketplaceCount(p.id) >= min),
        );
        return namePage(
          rows,
          (p) => p.id,
          (p) => p.name,
          args,
        );
      },
    },
    Offering: {
      __resolveType: (node: { __typename: string }) => node.__typename,
    },
    Agency: {
      __resolveReference: (ref: { code: string }, ctx: DirectoryContext) => ({ ...ctx.reference.agencies.find((a) => a.code === ref.code), code: ref.code }),
      abbreviation: (agency: { abbreviation?: string | null }) => agency.abbreviation ?? '',
      marketplaceCount: async (agency: { code: string }, _: unknown, ctx: DirectoryContext) => {
        await ctx.fresh();
        requireComplete(ctx.projection);
        return ctx.projection.agencyMarketplaceCount(agency.code);
      },
    },
    Provider: {
      __resolveReference: (ref: { id: string }, ctx: DirectoryContext) => ctx.reference.providers.find((p) => p.id === ref.id) ?? { id: ref.id },
      marketplaceCount: async (provider: { id: string }, _: unknown, ctx: DirectoryContext) => {
        await ctx.fresh();
        requireComplete(ctx.projection);
        return ctx.projection.providerMarketplaceCount(provider.id);
      },
    },
  };
}
