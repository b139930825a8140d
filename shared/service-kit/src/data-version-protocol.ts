/**
 * `GET /data-version`, the wire format shared by the marketplace subgraphs
 * that serve it (subgraph kit) and those that follow it: the gateway's
 * response cache (subgraph-changes) and the directory's projection.
 */
export const DATA_VERSION_PATH = '/data-version';

/** The answer of `GET /data-version`. */
export interface DataVersionAnswer {
  /** Opaque: it changes with every catalog write through any replica or tool, and with every seed. */
  version: string;
  /**
   * How long after a change this replica's siblings may still answer from
   * before it (their read model's poll interval; 0 without one). A follower
   * that sees a new version from one replica and then reads data through a
   * Service that spreads it over replicas may get an older answer for that
   * long, so it reads again, or forgets what it read, once this has passed.
   */
  settleMs: number;
}

/** The answer's fields, or undefined when the body is not one (an older subgraph's `{ version }` reads with settleMs 0). */
export function parseDataVersion(body: unknown): DataVersionAnswer | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const { version, settleMs } = body as { version?: unknown; settleMs?: unknown };
  if (typeof version !== 'string') return undefined;
  return { version, settleMs: typeof settleMs === 'number' && Number.isFinite(settleMs) && settleMs > 0 ? settleMs : 0 };
}

/**
 * How long after a change is seen a follower reads again, or forgets again,
 * as a multiple of the replicas' stated lag (settleMs): a replica's read
 * model notices another's write within one poll, and reading its counter
 * takes time too.
 */
export const SETTLE_FACTOR = 2;
