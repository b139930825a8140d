import os from 'node:os';
import { checkAgainst, type CheckOptions, type CheckReport } from './check';
import type { SubgraphSource } from './compose';
import { sha256, type SchemaRegistry, type SubgraphRef, type SubgraphVersion, type SupergraphVersion } from './store';

export interface PublishOptions extends CheckOptions {
  /** Who publishes: recorded with every version. */
  publisher: string;
  /** How many times to re-check and retry after losing a race to a concurrent publish. */
  maxAttempts?: number;
}

export type PublishResult =
  /** New subgraph versions and a new supergraph were recorded. */
  | { status: 'published'; supergraph: SupergraphVersion; subgraphs: SubgraphVersion[]; report: CheckReport }
  /** Every candidate already is the published version (same SDL and URL): nothing recorded. */
  | { status: 'unchanged'; supergraph: SupergraphVersion; subgraphs: SubgraphVersion[]; report: CheckReport }
  /** The check failed: nothing recorded. */
  | { status: 'refused'; report: CheckReport };

/** SCHEMA_PUBLISHER, else the OS user: who a publish is recorded as when --publisher is not given. */
export function defaultPublisher(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.SCHEMA_PUBLISHER?.trim();
  if (fromEnv) return fromEnv;
  try {
    return os.userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Publishes one or more subgraph schemas: checks them against the current
 * state and, when they pass, records their new versions and the new
 * supergraph; otherwise records nothing. Candidates identical to their
 * published version are a no-op. See store.ts for how this stays atomic
 * without transactions.
 */
export async function publishSubgraphs(registry: SchemaRegistry, candidates: SubgraphSource[], options: PublishOptions): Promise<PublishResult> {
  if (candidates.length === 0) throw new Error('Nothing to publish: give at least one subgraph.');
  const publisher = options.publisher.trim() || 'unknown';
  // Subgraph records written by an attempt that lost its race, reused by the next attempt when still the same.
  const written = new Map<string, SubgraphVersion>();
  const discardWritten = async (keep: Set<string> = new Set()) => {
    for (const [name, doc] of written) {
      if (keep.has(name)) continue;
      await registry.discardUnpublishedSubgraphVersion(doc._id);
      written.delete(name);
    }
  };

  const attempts = options.maxAttempts ?? 10;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const state = await registry.publishedState();
    const report = checkAgainst(state, candidates, options);
    const changed = report.subgraphs.filter((s) => !s.unchanged);

    if (changed.length === 0 && state.supergraph) {
      await discardWritten();
      return { status: 'unchanged', supergraph: state.supergraph, subgraphs: candidates.map((c) => state.subgraphs.get(c.name)!), report };
    }
    if (!report.passed || !report.supergraphSdl) {
      await discardWritten();
      return { status: 'refused', report };
    }

    const fresh: SubgraphVersion[] = [];
    for (const check of changed) {
      const reuse = written.get(check.name);
      if (reuse && reuse.hash === check.hash && reuse.url === check.url) {
        fresh.push(reuse);
        continue;
      }
      const candidate = candidates.find((c) => c.name === check.name)!;
      const doc = await registry.insertSubgraphVersion({
        subgraph: check.name,
        sdl: candidate.sdl,
        hash: check.hash,
        url: check.url,
        publisher,
        publishedAt: new Date(),
      });
      written.set(check.name, doc);
      fresh.push(doc);
    }
    await discardWritten(new Set(changed.map((c) => c.name)));

    const refs = new Map<string, SubgraphRef>();
    for (const [name, doc] of state.subgraphs) refs.set(name, { name, version: doc.version, hash: doc.hash, url: doc.url });
    for (const doc of fresh) refs.set(doc.subgraph, { name: doc.subgraph, version: doc.version, hash: doc.hash, url: doc.url });
    const supergraph: Omit<SupergraphVersion, '_id'> = {
      version: (state.supergraph?.version ?? 0) + 1,
      sdl: report.supergraphSdl,
      hash: sha256(report.supergraphSdl),
      subgraphs: [...refs.values()].sort((a, b) => a.name.localeCompare(b.name)),
      changed: fresh.map((d) => d.subgraph),
      publisher,
      publishedAt: new Date(),
    };
    if (await registry.insertSupergraphVersion(supergraph)) {
      const subgraphs = candidates.map((c) => fresh.find((d) => d.subgraph === c.name) ?? state.subgraphs.get(c.name)!);
      return { status: 'published', supergraph: { _id: supergraph.version, ...supergraph }, subgraphs, report };
    }
    // Another publish took this supergraph version first: check again against its result.
  }
  await discardWritten();
  throw new Error(
    `Publishing ${candidates.map((c) => c.name).join(', ')} lost the race to concurrent publishes ${attempts} times; ` +
      'nothing was recorded. Retry the publish.',
  );
}
