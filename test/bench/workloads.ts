import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@qsmo/service-kit/config';
import { readAgencies, readCapabilities, readOfferings, readProviders } from '@qsmo/catalog';

/** One GraphQL request body of a workload. */
export interface BenchRequest {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

/**
 * A load the benchmark puts on each gateway. `next` is called for every
 * request, so a workload whose requests vary cannot be served by one cached
 * response; `target` says whether it goes to a gateway or straight to a subgraph.
 */
export interface Workload {
  name: string;
  description: string;
  target: 'gateway' | 'grants-management';
  next(): BenchRequest;
  /** A workload that writes: it builds its own requests per connection and checks what each read answers. */
  writes?: WriteMix;
  /** Concurrent connections this workload always uses, whatever --connections says (the scenario it reproduces fixes them). */
  connections?: number;
}

/** What a write-mix run counted: every read sent after a confirmed write must show it. */
export interface WriteTally {
  writes: number;
  refusedWrites: number;
  checkedReads: number;
  staleReads: number;
  firstStale?: string;
}

/**
 * 1 % mutations (renames of a few Grants offerings, as an editor of the
 * Grants QSMO) among reads of those offerings and the varied mix. A read is
 * checked when it was sent after a rename's answer arrived through the same
 * gateway: it must show that version or a later one (each gateway has its
 * own mix). `credentials` gives the headers of a rename: the editor's token
 * for the project's gateway, the identity the subgraphs trust for a stock
 * gateway that passes it on, so every gateway's renames are real writes.
 */
export interface WriteMix {
  offerings: string[];
  /** Called by the runner once per connection: the request to send next, and what to do with its answer. */
  connection(
    tally: WriteTally,
    credentials: () => Record<string, string>,
  ): { next(): BenchRequest & { headers?: Record<string, string> }; answered(status: number, body: string, headers?: Record<string, string>): void };
}

const RENAME = `mutation BenchRename($input: UpdateGrantsManagementOfferingInput!) { updateGrantsManagementOffering(input: $input) { offering { id version name } userErrors { code currentVersion } } }`;
const READ_ONE = `query BenchOffering($id: ID!) { grantsManagement { offering(id: $id) { id version name } } }`;

function writeMix(varied: (() => BenchRequest)[]): WriteMix {
  const offerings = readOfferings('GRANTS_MANAGEMENT')
    .slice(0, 3)
    .map((o) => o.id);
  // What is known to be written: per offering the latest confirmed version and when its answer arrived.
  const confirmed = new Map<string, number>();
  const known = new Map<string, number>();
  let seq = 0;
  const rnd = random(29);
  return {
    offerings,
    connection(tally, credentials) {
      let pending: { kind: 'write' | 'read' | 'other'; id?: string; atLeast?: number } = { kind: 'other' };
      return {
        next() {
          const id = offerings[Math.floor(rnd() * offerings.length)]!;
          const r = rnd();
          if (r < 0.01) {
            pending = { kind: 'write', id };
            const version = known.get(id) ?? 1;
            return {
              query: RENAME,
              variables: {
                input: {
                  id,
                  version,
                  name: `Bench offering ${id} #${++seq}`,
                  provenance: { sources: [{ title: 'benchmark', url: 'https://example.gov/bench' }], verification: 'UNVERIFIED' },
                },
              },
              headers: credentials(),
            };
          }
          if (r < 0.5) {
            pending = { kind: 'read', id, atLeast: confirmed.get(id) ?? 0 };
            return { query: READ_ONE, variables: { id } };
          }
          pending = { kind: 'other' };
          return varied[Math.floor(rnd() * varied.length)]!();
        },
        answered(status, body, headers = {}) {
          if (pending.kind === 'other' || status !== 200) return;
          let json: any;
          try {
            json = JSON.parse(body);
          } catch {
            return;
          }
          if (pending.kind === 'write') {
            const payload = json?.data?.updateGrantsManagementOffering;
            const version = payload?.offering?.version as number | undefined;
            if (version !== undefined && !payload.userErrors?.length) {
              tally.writes++;
              confirmed.set(pending.id!, Math.max(confirmed.get(pending.id!) ?? 0, version));
              known.set(pending.id!, version);
            } else {
              tally.refusedWrites++;
              const current = payload?.userErrors?.[0]?.currentVersion as number | undefined;
              if (current !== undefined) known.set(pending.id!, current);
            }
            return;
          }
          const version = json?.data?.grantsManagement?.offering?.version as number | undefined;
          if (version === undefined) return;
          known.set(pending.id!, Math.max(known.get(pending.id!) ?? 0, version));
          if (pending.atLeast! > 0) {
            tally.checkedReads++;
            if (version < pending.atLeast!) {
              tally.staleReads++;
              tally.firstStale ??= `${pending.id} read at version ${version} after version ${pending.atLeast} was confirmed (Age ${headers.age ?? 'none'}, ${headers['cache-control'] ?? 'no Cache-Control'})`;
            }
          }
        },
      };
    },
  };
}

const OPERATIONS_DIR = path.join(REPO_ROOT, 'gateway', 'operations');
const operation = (file: string): string => fs.readFileSync(path.join(OPERATIONS_DIR, file), 'utf8');

const SINGLE = `query Single { grantsManagement { offerings(first: 20) { totalCount edges { node { id name shelf verification } } } } }`;

/** Deterministic randomness, so two runs draw the same sequence of variables. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every operation of the library with variables drawn from the real catalog. */
function variedPickers(): (() => BenchRequest)[] {
  const rnd = random(11);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const agencies = readAgencies().map((a) => a.code);
  const providers = readProviders().map((p) => p.id);
  const grants = readOfferings('GRANTS_MANAGEMENT');
  const functions = readCapabilities('GRANTS_MANAGEMENT')
    .filter((c) => c.level === 'FUNCTION')
    .map((c) => c.code);
  // Search strings: words of the offerings' names and categories, and a few that match nothing.
  const words = [
    ...new Set(grants.flatMap((o) => `${o.name} ${o.category ?? ''}`.toLowerCase().split(/[^a-z]+/)).filter((w) => w.length >= 3)),
    'zzz',
    'payroll',
  ];
  const pages = [1, 5, 10, 20, 50, 100];
  const doc = (file: string) => operation(file);
  const portfolio = doc('agency-portfolio.graphql');
  const overview = doc('qsmos-overview.graphql');
  const provider = doc('provider-across-marketplaces.graphql');
  const detail = doc('grants-offering-detail.graphql');
  const coverage = doc('fibf-function-coverage.graphql');
  const totals = doc('marketplace-totals.graphql');
  const adoption = doc('agencies-adoption.graphql');
  const page = doc('grants-offerings-page.graphql');
  return [
    () => ({ query: portfolio, variables: { code: pick(agencies) } }),
    () => ({ query: overview }),
    () => ({ query: provider, variables: { id: pick(providers) } }),
    () => ({ query: detail, variables: { id: pick(grants).id } }),
    () => ({ query: coverage, variables: { code: pick(functions) } }),
    () => ({ query: totals }),
    () => ({ query: adoption, variables: { first: pick(pages), ...(rnd() < 0.5 ? { cfoAct: rnd() < 0.5 } : {}) } }),
    () => ({ query: page, variables: { first: pick(pages), ...(rnd() < 0.7 ? { filter: { search: pick(words) } } : {}) } }),
  ];
}

/**
 * The shape of the community federation benchmark's scenario (one deep
 * nested query, an answer of about 90 KB, every client sending the same
 * request): the first 36 of the 65 offerings of the cross-QSMO catalog (the directory) with
 * its provider, and from its own marketplace (a jump into each of the five
 * subgraphs) its sources, its partners and its FIBF capabilities with their
 * descriptions, parents and grandparents.
 * Real catalog data, no synthetic rows; the subgraphs answer it from their
 * read models, so the gateway's own work is what is measured.
 */
/** About 2 KB of answer each: 36 make about 90 KB. */
const DEEP_LARGE_OFFERINGS = 36;
const DEEP_LARGE = `query BenchDeepLarge { offerings(first: ${DEEP_LARGE_OFFERINGS}) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name domain category shelf verification launchedOn customerCount provider { id name abbreviation sector marketplaceCount } ${[
  'FinancialManagement',
  'HumanResources',
  'GrantsManagement',
  'Cybersecurity',
  'Acquisition',
]
  .map(
    (t) =>
      `... on ${t}Offering { website notes sources { title url } partners { id name abbreviation sector marketplaceCount } capabilities { code name description level parent { code name level parent { code name level } } } }`,
  )
  .join(' ')} } } } }`;

/** The workloads by name, in the order they run in a round. */
export function workloads(): Workload[] {
  const varied = variedPickers();
  let i = 0;
  const portfolio = operation('agency-portfolio.graphql');
  return [
    { name: 'single', description: 'one subgraph, one fetch (grantsManagement.offerings)', target: 'gateway', next: () => ({ query: SINGLE }) },
    {
      name: 'direct',
      description: "the single query sent straight to the grants-management subgraph: the floor of the gateway's overhead",
      target: 'grants-management',
      next: () => ({ query: SINGLE }),
    },
    {
      name: 'deep',
      description: 'HHS (075) portfolio across all four QSMOs with providers and customers',
      target: 'gateway',
      next: () => ({ query: portfolio, variables: { code: '075' } }),
    },
    {
      name: 'deep-large',
      description:
        "the community benchmark's shape: 36 offerings of the cross-QSMO catalog with providers, partners and FIBF capabilities from all five marketplaces (one identical request, answer about 90 KB of JSON, 50 connections)",
      target: 'gateway',
      connections: 50,
      next: () => ({ query: DEEP_LARGE }),
    },
    // Round-robin over the operations so every one is in every second of the run, each with random variables.
    {
      name: 'varied',
      description: 'every operation of gateway/operations/ with variables drawn from the catalog',
      target: 'gateway',
      next: () => varied[i++ % varied.length]!(),
    },
    // Last: its renames change what the other workloads would read.
    {
      name: 'write-mix',
      description: '1 % renames of three Grants offerings through the gateway (editor token), reads of them checked for staleness, the rest the varied mix',
      target: 'gateway',
      next: () => varied[i++ % varied.length]!(),
      writes: writeMix(varied),
    },
  ];
}
