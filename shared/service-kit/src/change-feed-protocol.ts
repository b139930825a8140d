/**
 * The change feed's wire format, shared by the marketplace subgraphs that serve it
 * (subgraph kit, domain/change-feed) and the gateway that follows it for subscriptions.
 */
/** Where a marketplace subgraph serves its committed changes to followers (the gateways' live updates). */
export const CHANGE_FEED_PATH = '/catalog-changes';

/** One committed change as the feed gives it: no actor, no before or after, only what a follower needs to name it. */
export interface FeedChange {
  /** The audit record's id, `<offeringId>@<version>`: unique, so a follower that reads a change twice can tell. */
  id: string;
  offeringId: string;
  version: number;
  mutation: string;
  /** Commit time, ISO 8601 UTC. */
  at: string;
  /** The change retired the offering: there is nothing left to read. */
  retired: boolean;
}

/** The answer of `GET /catalog-changes`. */
export interface FeedPage {
  /** The data version the changes were read at: pass it back as `version` to wait for the next change. */
  version: string;
  /** This subgraph's clock when it answered; a follower with no position yet starts from it. */
  now: string;
  /** Committed changes with `at` on or after `since`, in commit order; empty when no `since` was given. */
  changes: FeedChange[];
}

/** How long a follower may ask a read to wait for a change; longer asks are shortened to it. */
export const MAX_FEED_WAIT_MS = 30_000;
/** The most changes one answer carries; a follower reads again from the last one's time. */
export const FEED_PAGE_SIZE = 500;
