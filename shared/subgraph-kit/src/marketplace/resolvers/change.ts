import type { MarketplaceChangeResolvers } from '../generated/resolvers-types';
import { publicChange } from '../../domain/edits';

/** <Domain>Change: one audit record; before and after as JSON text of what the change made differ, in the public field names. */
export const changeResolvers = {
  id: (doc) => doc._id,
  actor: (doc) => doc.actor.subject,
  actorIssuer: (doc) => doc.actor.issuer,
  // Only committed records are served, and those always have their commit time.
  at: (doc) => doc.at ?? doc.recordedAt,
  before: (doc) => (doc.before ? JSON.stringify(publicChange(doc).before) : null),
  after: (doc) => (doc.after ? JSON.stringify(publicChange(doc).after) : null),
} satisfies MarketplaceChangeResolvers;
