/**
 * The marketplace mechanics every QSMO subgraph builds its resolvers from:
 * each subgraph's src/resolvers/<Type>.ts spreads these and adds what only its
 * QSMO has. Domain decisions stay in the subgraph; these are the shared parts.
 */
export { offeringResolvers, present } from './resolvers/offering';
export { capabilityResolvers } from './resolvers/capability';
export { customerLinkResolvers } from './resolvers/customer-link';
export { namespaceResolvers, offeringFilter, type OfferingFilterInput } from './resolvers/namespace';
export { statsResolvers } from './resolvers/stats';
export { agencyDomainOf, providerDomainOf, marketplaceRoot, agencyDomainResolvers, providerDomainResolvers } from './resolvers/entities';
export { referenceQueryResolvers, referenceAgencyResolvers, referenceProviderResolvers, referenceQsmoResolvers } from './resolvers/reference';
export { catalogMutations, catalogMutationResolvers, requireAuditReader } from './resolvers/catalog-edits';
export { changeResolvers } from './resolvers/change';
