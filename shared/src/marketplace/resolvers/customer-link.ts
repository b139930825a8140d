import type { GraphContext } from '../../context';
import type { CustomerLinkDoc } from '../data';

/** Resolvers of <Domain>CustomerLink: an agency listed as an offering's customer, with its source. */
export function customerLinkResolvers() {
  return {
    agency: (doc: CustomerLinkDoc, _: unknown, ctx: GraphContext) => ctx.loaders.agency.load(doc.agencyCode),
  };
}
