import type { GraphContext } from '../context';
import { allOf, paginate, searchFilter, type PageArgs } from '../pagination';
import { agencyCode, slug } from '../validation';
import type { AgencyDoc, ProviderDoc, QsmoDoc } from './documents';

interface AgencyFilterInput { search?: string | null; cfoAct?: boolean | null }
interface ProviderFilterInput { search?: string | null; sector?: string | null; domain?: string | null }

/**
 * Resolvers of the shared reference types. Every subgraph mounts them over its
 * own copy of the reference collections.
 */
export const referenceResolvers = {
  Query: {
    agency: (_: unknown, { code }: { code: string }, ctx: GraphContext) => ctx.loaders.agency.load(agencyCode(code)),
    agencies: (_: unknown, args: PageArgs & { filter?: AgencyFilterInput | null }, ctx: GraphContext) => {
      const f = args.filter ?? {};
      const filter = allOf<AgencyDoc>(
        searchFilter(f.search, ['name', 'abbreviation']),
        f.cfoAct === null || f.cfoAct === undefined ? undefined : { cfoAct: f.cfoAct },
      );
      return paginate(ctx.collections.agencies, filter, { field: 'sortKey' }, args);
    },
    provider: (_: unknown, { id }: { id: string }, ctx: GraphContext) => ctx.loaders.provider.load(slug(id, 'id', 'doi-ibc')),
    providers: (_: unknown, args: PageArgs & { filter?: ProviderFilterInput | null }, ctx: GraphContext) => {
      const f = args.filter ?? {};
      const filter = allOf<ProviderDoc>(
        searchFilter(f.search, ['name', 'abbreviation']),
        f.sector ? { sector: f.sector } : undefined,
        f.domain ? { domains: f.domain } : undefined,
      );
      return paginate(ctx.collections.providers, filter, { field: 'sortKey' }, args);
    },
    qsmos: (_: unknown, __: unknown, ctx: GraphContext) => ctx.collections.qsmos.find({}).sort({ _id: 1 }).toArray(),
    qsmo: (_: unknown, { domain }: { domain: string }, ctx: GraphContext) => ctx.loaders.qsmo.load(domain),
  },
  Agency: {
    __resolveReference: (ref: { code: string }, ctx: GraphContext) => ctx.loaders.agency.load(ref.code),
    code: (doc: AgencyDoc) => doc._id,
    // The contract makes abbreviation non-null; the source leaves one agency without one.
    abbreviation: (doc: AgencyDoc) => doc.abbreviation ?? '',
  },
  Provider: {
    __resolveReference: (ref: { id: string }, ctx: GraphContext) => ctx.loaders.provider.load(ref.id),
    id: (doc: ProviderDoc) => doc._id,
    parentAgency: (doc: ProviderDoc, _: unknown, ctx: GraphContext) =>
      doc.parentAgencyCode ? ctx.loaders.agency.load(doc.parentAgencyCode) : null,
  },
  Qsmo: {
    __resolveReference: (ref: { domain: string }, ctx: GraphContext) => ctx.loaders.qsmo.load(ref.domain),
    domain: (doc: QsmoDoc) => doc._id,
    leadAgency: (doc: QsmoDoc, _: unknown, ctx: GraphContext) => ctx.loaders.agency.load(doc.leadAgencyCode),
  },
} satisfies Record<string, Record<string, unknown>>;

