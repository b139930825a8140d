import type { Filter } from 'mongodb';
import type { GraphContext } from '../../context';
import { allOf, paginate, searchFilter, type PageArgs } from '../../pagination';
import { agencyCode, fibfCode, slug } from '../../validation';
import type { CapabilityDoc, OfferingDoc } from '../data';

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

/** Resolvers of the domain namespace type (e.g. FinancialManagement), reached from Query. */
export function namespaceResolvers() {
  return {
    qsmo: (_: unknown, __: unknown, ctx: GraphContext, info: { parentType: { name: string } }) =>
      ctx.loaders.qsmo.load(domainOfNamespace(info.parentType.name)),
    offering: (_: unknown, { id }: { id: string }, ctx: GraphContext) => ctx.loaders.offering.load(slug(id, 'id', 'grm-grantsolutions')),
    offerings: (_: unknown, args: PageArgs & { filter?: OfferingFilterInput | null }, ctx: GraphContext) =>
      paginate(ctx.collections.offerings, offeringFilter(args.filter), { field: 'sortKey' }, args),
    capability: (_: unknown, { code }: { code: string }, ctx: GraphContext) => ctx.loaders.capability.load(fibfCode(code)),
    capabilities: (
      _: unknown,
      args: PageArgs & { level?: string | null; parentCode?: string | null },
      ctx: GraphContext,
    ) => {
      const filter = allOf<CapabilityDoc>(
        args.level ? { level: args.level } : undefined,
        args.parentCode ? { parentCode: fibfCode(args.parentCode, 'parentCode') } : undefined,
      );
      // FIBF entries read best in code order (FFM.010, FFM.010.010, ...), which is also their id order.
      return paginate(ctx.collections.capabilities, filter, { field: '_id' }, args);
    },
    stats: () => ({}),
  };
}

/** FinancialManagement -> FINANCIAL_MANAGEMENT. */
export function domainOfNamespace(typeName: string): string {
  return typeName.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}
