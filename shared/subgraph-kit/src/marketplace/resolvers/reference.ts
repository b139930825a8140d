import type { GraphContext } from '../../context';
import { agencyCode, slug } from '@qsmo/service-kit/validation';
import type { AgencyResolvers, ProviderResolvers, QsmoResolvers, QueryResolvers } from '../generated/resolvers-types';

/**
 * Resolvers of the shared reference types. Every subgraph mounts them over its
 * own copy of the reference collections, adding its domain's field to Query,
 * Agency and Provider. The agency and provider lists are the directory's
 * (shared/directory): their filters span every marketplace.
 */
export const referenceQueryResolvers = {
  agency: (_, { code }, ctx) => ctx.loaders.agency.load(agencyCode(code)),
  provider: (_, { id }, ctx) => ctx.loaders.provider.load(slug(id, 'id', 'doi-ibc')),
  qsmos: (_, __, ctx) => ctx.collections.qsmos.find({}).sort({ _id: 1 }).toArray(),
  qsmo: (_, { domain }, ctx) => ctx.loaders.qsmo.load(domain),
} satisfies QueryResolvers;

export const referenceAgencyResolvers = {
  __resolveReference: (ref: { code: string }, ctx: GraphContext) => ctx.loaders.agency.load(ref.code),
  code: (doc) => doc._id,
  // The contract makes abbreviation non-null; the source leaves one agency without one.
  abbreviation: (doc) => doc.abbreviation ?? '',
  ledQsmos: (doc, _, ctx) => ctx.loaders.qsmosByLeadAgency.load(doc._id),
} satisfies AgencyResolvers;

export const referenceProviderResolvers = {
  __resolveReference: (ref: { id: string }, ctx: GraphContext) => ctx.loaders.provider.load(ref.id),
  id: (doc) => doc._id,
  parentAgency: (doc, _, ctx) => (doc.parentAgencyCode ? ctx.loaders.agency.load(doc.parentAgencyCode) : null),
} satisfies ProviderResolvers;

/** Qsmo has no domain part: every subgraph mounts these as they are. */
export const referenceQsmoResolvers = {
  __resolveReference: (ref: { domain: string }, ctx: GraphContext) => ctx.loaders.qsmo.load(ref.domain),
  domain: (doc) => doc._id,
  leadAgency: async (doc, _, ctx) => {
    const agency = await ctx.loaders.agency.load(doc.leadAgencyCode);
    // Seeding checks every lead agency code, so a miss means the reference data is damaged.
    if (!agency) throw new Error(`QSMO ${doc._id} names lead agency ${doc.leadAgencyCode}, which is not in the reference data.`);
    return agency;
  },
} satisfies QsmoResolvers;
