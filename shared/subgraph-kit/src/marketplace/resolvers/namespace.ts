import type { Filter } from 'mongodb';
import type { SubgraphEntry } from '@qsmo/service-kit/subgraphs';
import type { MarketplaceResolvers } from '../generated/resolvers-types';
import { marketplaceRoot } from './entities';
import { allOf, paginate, searchFilter } from '@qsmo/service-kit/pagination';
import { agencyCode, fibfCode, slug } from '@qsmo/service-kit/validation';
import { isIsoDay } from '@qsmo/service-kit/dates';
import type { CapabilityDoc, OfferingDoc } from '../../domain/data';
import type { ChangeDoc } from '../../domain/changes';
import type { QsmoDomain } from '@qsmo/service-kit/subgraphs';
import { badUserInput, excerpt } from '@qsmo/service-kit/errors';
import { requireAuditReader } from './catalog-edits';

/** A `since` instant of the audit trail: an ISO date or date-time, compared as UTC ISO text. */
function changesSince(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  // Date.parse rolls an impossible day (2021-02-30) over into the next month, so the day is checked first.
  const ms = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(value) && isIsoDay(value.slice(0, 10)) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms))
    throw badUserInput(`since "${excerpt(value)}" is not an ISO date or date-time: write e.g. "2026-01-31" or "2026-01-31T12:00:00Z".`, 'since');
  return new Date(ms).toISOString();
}

export interface OfferingFilterInput {
  search?: string | null;
  shelf?: string | null;
  providerId?: string | null;
  customerCode?: string | null;
  capabilityCode?: string | null;
  verification?: string | null;
}

/** Translates the public OfferingFilter into a MongoDB filter, validating every id it carries. */
export function offeringFilter(input: OfferingFilterInput | null | undefined): Filter<OfferingDoc> {
  const f = input ?? {};
  const providerId = f.providerId ? slug(f.providerId, 'filter.providerId', 'doi-ibc') : undefined;
  return allOf<OfferingDoc>(
    searchFilter(f.search, ['name', 'category']),
    f.shelf ? { shelf: f.shelf } : undefined,
    f.verification ? { verification: f.verification } : undefined,
    providerId ? { $or: [{ providerId }, { partnerIds: providerId }] } : undefined,
    f.customerCode ? { customerCodes: agencyCode(f.customerCode, 'filter.customerCode') } : undefined,
    f.capabilityCode ? { capabilityPaths: fibfCode(f.capabilityCode, 'filter.capabilityCode') } : undefined,
  );
}

/** The marketplace namespace (Query.<domain>): its QSMO, offerings, FIBF entries and totals. */
export function namespaceResolvers(entry: Pick<SubgraphEntry, 'domain' | 'offeringIdPrefix'>) {
  const domain = entry.domain as QsmoDomain;
  const exampleId = `${entry.offeringIdPrefix}example`;
  return {
    qsmo: async (_, __, ctx) => {
      const qsmo = await ctx.loaders.qsmo.load(entry.domain);
      // Seeding loads every QSMO of the list, so a miss means the reference data is damaged.
      if (!qsmo) throw new Error(`The reference data has no QSMO ${entry.domain}.`);
      return qsmo;
    },
    offering: (_, { id }, ctx) => ctx.loaders.offering.load(slug(id, 'id', exampleId)),
    offerings: (_, args, ctx) => paginate(ctx.collections.offerings, offeringFilter(args.filter), { field: 'sortKey' }, args),
    capability: (_, { code }, ctx) => ctx.loaders.capability.load(fibfCode(code)),
    capabilities: (_, args, ctx) => {
      const filter = allOf<CapabilityDoc>(
        args.level ? { level: args.level } : undefined,
        args.parentCode ? { parentCode: fibfCode(args.parentCode, 'parentCode') } : undefined,
      );
      // FIBF entries read best in code order (FFM.010, FFM.010.010, ...), which is also their id order.
      return paginate(ctx.collections.capabilities, filter, { field: '_id' }, args);
    },
    stats: marketplaceRoot,
    changes: (_, args, ctx) => {
      requireAuditReader(ctx.identity, domain, 'changes');
      const since = changesSince(args.since);
      const filter = allOf<ChangeDoc>({ state: 'committed' }, since ? { at: { $gte: since } } : undefined);
      return paginate(ctx.collections.changes, filter, { field: 'at' }, args);
    },
  } satisfies MarketplaceResolvers;
}
