import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../shared/src';
import { readAgencies, readCapabilities, readOfferings, readProviders } from '../../shared/src/catalog';

/** One GraphQL request body of a workload. */
export interface BenchRequest { query: string; variables?: Record<string, unknown>; operationName?: string }

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
  const functions = readCapabilities('GRANTS_MANAGEMENT').filter((c) => c.level === 'FUNCTION').map((c) => c.code);
  // Search strings: words of the offerings' names and categories, and a few that match nothing.
  const words = [...new Set(grants.flatMap((o) => `${o.name} ${o.category ?? ''}`.toLowerCase().split(/[^a-z]+/)).filter((w) => w.length >= 3)), 'zzz', 'payroll'];
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

/** The workloads by name, in the order they run in a round. */
export function workloads(): Workload[] {
  const varied = variedPickers();
  let i = 0;
  const portfolio = operation('agency-portfolio.graphql');
  return [
    { name: 'single', description: 'one subgraph, one fetch (grantsManagement.offerings)', target: 'gateway', next: () => ({ query: SINGLE }) },
    { name: 'direct', description: 'the single query sent straight to the grants-management subgraph: the floor of the gateway\'s overhead', target: 'grants-management', next: () => ({ query: SINGLE }) },
    { name: 'deep', description: 'HHS (075) portfolio across all four QSMOs with providers and customers', target: 'gateway', next: () => ({ query: portfolio, variables: { code: '075' } }) },
    // Round-robin over the operations so every one is in every second of the run, each with random variables.
    { name: 'varied', description: 'every operation of gateway/operations/ with variables drawn from the catalog', target: 'gateway', next: () => varied[i++ % varied.length]!() },
  ];
}
