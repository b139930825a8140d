import { Supergraph } from '@apollo/federation-internals';
import { brokenOperations, type BrokenOperation, type ClientManifestRecord } from './client-manifests';
import { composeSupergraph, CompositionError, type SubgraphSource } from './compose';
import { diffSubgraphSchemas, InvalidSubgraphSchemaError, type SchemaChange } from './diff';
import { schemaHash, type PublishedState, type SchemaRegistry, type SubgraphVersion } from './store';
import { classifyRemovals, removedCoordinate, type FieldUsageStore, type SafeRemoval, type UsageIndex } from './usage';

/**
 * The check a candidate subgraph schema must pass before it is published:
 * it composes with what is currently published for every other subgraph,
 * and it breaks nothing against the currently published version of itself.
 */
export interface SubgraphCheck {
  name: string;
  url: string;
  hash: string;
  /** The published version it was compared with; absent on a subgraph's first publish. */
  base?: Pick<SubgraphVersion, 'version' | 'hash' | 'url' | 'publisher' | 'publishedAt'>;
  /** Same SDL (by hash) and same URL as the published version: publishing it records nothing. */
  unchanged: boolean;
  breaking: SchemaChange[];
  dangerous: SchemaChange[];
  /** Removed fields no client selected within the usage window (only with usage data): not breaking. */
  safeRemovals: SafeRemoval[];
}

export interface CheckReport {
  /** The supergraph version the others were taken from; absent while the registry is empty. */
  againstSupergraph?: number;
  subgraphs: SubgraphCheck[];
  /** Composition errors in full, with @apollo/composition's messages. */
  compositionErrors: string[];
  /** Problems with the inputs themselves (bad name or URL), each saying what to change. */
  inputErrors: string[];
  /** The composed supergraph, when composition succeeded. */
  supergraphSdl?: string;
  hints: string[];
  /** No input or composition errors and no breaking changes. */
  passed: boolean;
  /** The usage window removals were judged by, when the check had usage data. */
  usage?: Pick<UsageIndex, 'windowDays' | 'recordingSince'>;
  /** Published client operations the new supergraph would refuse (breaking, by client, version and operation). */
  brokenOperations: BrokenOperation[];
}

export interface CheckOptions {
  /** Treat breaking changes as warnings (the local `npm start` registry); composition errors still fail. */
  allowBreaking?: boolean;
  /** Field usage of the coordinates the change removes: unused removals pass, used ones name their clients (see usage.ts). */
  usage?: UsageIndex;
  /** Published client manifests (see client-manifests.ts): an operation of theirs the new supergraph refuses is breaking. */
  clientManifests?: readonly Pick<ClientManifestRecord, 'client' | 'version' | 'operations'>[];
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

function inputProblems(candidate: SubgraphSource): string[] {
  const problems: string[] = [];
  if (!NAME.test(candidate.name)) {
    problems.push(`"${candidate.name}" is not a subgraph name: use lower-case letters, digits and -, e.g. "grants-management".`);
  }
  let url: URL | undefined;
  try {
    url = new URL(candidate.url);
  } catch {
    /* reported below */
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    problems.push(
      `${candidate.name}: routing URL "${candidate.url}" is not an http(s) URL: give the URL the gateway reaches this subgraph at, e.g. http://grants-management:4003/graphql.`,
    );
  }
  return problems;
}

/**
 * Checks candidates against a given published state. Pure apart from the
 * state passed in, so publish can run it again after losing a race.
 */
export function checkAgainst(state: PublishedState, candidates: SubgraphSource[], options: CheckOptions = {}): CheckReport {
  const inputErrors = candidates.flatMap(inputProblems);
  const names = candidates.map((c) => c.name);
  const duplicates = names.filter((n, i) => names.indexOf(n) !== i);
  if (duplicates.length > 0) inputErrors.push(`${[...new Set(duplicates)].join(', ')} given more than once: check each subgraph once per publish.`);

  const subgraphs: SubgraphCheck[] = candidates.map((candidate) => {
    const published = state.subgraphs.get(candidate.name);
    const hash = schemaHash(candidate.sdl);
    const check: SubgraphCheck = {
      name: candidate.name,
      url: candidate.url,
      hash,
      unchanged: published !== undefined && published.hash === hash && published.url === candidate.url,
      breaking: [],
      dangerous: [],
      safeRemovals: [],
    };
    if (published) {
      const { version, url, publisher, publishedAt } = published;
      check.base = { version, hash: published.hash, url, publisher, publishedAt };
      if (published.hash !== hash) {
        try {
          Object.assign(check, diffSubgraphSchemas(published.sdl, candidate.sdl));
          if (options.usage) {
            const { breaking, safe } = classifyRemovals(check.breaking, options.usage);
            check.breaking = breaking;
            check.safeRemovals = safe;
          }
        } catch (error) {
          // An invalid candidate fails composition too, with the same message; nothing to diff.
          if (!(error instanceof InvalidSubgraphSchemaError)) throw error;
        }
      }
    }
    return check;
  });

  // Subgraphs in name order, so the same inputs always give the same supergraph (and hash).
  const sources = new Map<string, SubgraphSource>();
  for (const [name, published] of state.subgraphs) sources.set(name, { name, url: published.url, sdl: published.sdl });
  for (const candidate of candidates) sources.set(candidate.name, candidate);
  const ordered = [...sources.values()].sort((a, b) => a.name.localeCompare(b.name));

  let compositionErrors: string[] = [];
  let supergraphSdl: string | undefined;
  let hints: string[] = [];
  if (inputErrors.length === 0) {
    try {
      ({ supergraphSdl, hints } = composeSupergraph(ordered));
    } catch (error) {
      if (!(error instanceof CompositionError)) throw error;
      compositionErrors = error.errors;
    }
  }
  const broken =
    supergraphSdl && options.clientManifests?.length
      ? brokenOperations(Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema(), options.clientManifests)
      : [];
  const breaking = subgraphs.some((s) => s.breaking.length > 0) || broken.length > 0;
  return {
    againstSupergraph: state.supergraph?.version,
    subgraphs,
    compositionErrors,
    inputErrors,
    supergraphSdl,
    hints,
    brokenOperations: broken,
    ...(options.usage ? { usage: { windowDays: options.usage.windowDays, recordingSince: options.usage.recordingSince } } : {}),
    passed: inputErrors.length === 0 && compositionErrors.length === 0 && (!breaking || options.allowBreaking === true),
  };
}

/** Where a check finds field usage: the registry's store and the window (USAGE_WINDOW_DAYS). */
export interface UsageSource {
  store: FieldUsageStore;
  windowDays: number;
  now?: Date;
}

/**
 * Checks candidates against what the registry publishes now. Writes
 * nothing. With a usage source, the fields the candidates remove are looked
 * up (one query) and judged by their use (see classifyRemovals).
 */
export async function checkSubgraphs(
  registry: SchemaRegistry,
  candidates: SubgraphSource[],
  options: CheckOptions & { usageSource?: UsageSource } = {},
): Promise<CheckReport> {
  const { usageSource, ...rest } = options;
  const state = await registry.publishedState();
  const report = checkAgainst(state, candidates, rest);
  if (!usageSource) return report;
  return checkAgainst(state, candidates, { ...rest, usage: await usageOfRemovals(report, usageSource) });
}

/** The usage of every field a report's candidates remove: what a publish passes as `usage` to be judged as the check was. */
export async function usageOfRemovals(report: CheckReport, source: UsageSource): Promise<UsageIndex> {
  const coordinates = [
    ...new Set(report.subgraphs.flatMap((s) => [...s.breaking, ...s.safeRemovals].map(removedCoordinate).filter((c): c is string => c !== undefined))),
  ];
  return source.store.index(coordinates, source.windowDays, source.now);
}
