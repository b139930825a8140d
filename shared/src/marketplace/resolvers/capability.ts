import type { GraphContext } from '../../context';
import type { DomainDefinition } from '../definition';
import type { CapabilityDoc } from '../data';

/** Resolvers of <Domain>Capability. */
export function capabilityResolvers(def: DomainDefinition) {
  return {
    __resolveReference: (ref: { code: string }, ctx: GraphContext) => ctx.loaders.capability.load(ref.code),
    code: (doc: CapabilityDoc) => doc._id,
    domain: () => def.domain,
    parent: (doc: CapabilityDoc, _: unknown, ctx: GraphContext) => (doc.parentCode ? ctx.loaders.capability.load(doc.parentCode) : null),
    children: (doc: CapabilityDoc, _: unknown, ctx: GraphContext) => ctx.loaders.capabilityChildren.load(doc._id),
    offerings: (doc: CapabilityDoc, _: unknown, ctx: GraphContext) => ctx.loaders.offeringsByCapability.load(doc._id),
  };
}
