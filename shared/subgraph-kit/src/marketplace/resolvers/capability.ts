import type { GraphContext } from '../../context';
import type { SubgraphEntry } from '@qsmo/service-kit/subgraphs';
import type { MarketplaceCapabilityResolvers } from '../generated/resolvers-types';

/** The fields every marketplace's <Domain>Capability (a FIBF entry) resolves alike. */
export function capabilityResolvers(entry: Pick<SubgraphEntry, 'domain'>) {
  return {
    __resolveReference: (ref: { code: string }, ctx: GraphContext) => ctx.loaders.capability.load(ref.code),
    code: (doc) => doc._id,
    domain: () => entry.domain as never,
    parent: (doc, _, ctx) => (doc.parentCode ? ctx.loaders.capability.load(doc.parentCode) : null),
    children: (doc, _, ctx) => ctx.loaders.capabilityChildren.load(doc._id),
    offerings: (doc, _, ctx) => ctx.loaders.offeringsByCapability.load(doc._id),
  } satisfies MarketplaceCapabilityResolvers;
}
