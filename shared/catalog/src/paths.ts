/**
 * Where the catalog lives. Everything per domain (FIBF folders, standards
 * files, area codes) is derived from the one list of subgraphs, so adding a
 * QSMO there is enough for the reader to find its standards.
 */
import path from 'node:path';

import { packageDirOf, REPO_ROOT, SUBGRAPHS, type QsmoDomain, type Subgraph } from '@qsmo/service-kit/subgraphs';
import { USSM_KEY_PREFIX } from './sources';

/** The folders a reader works on; tests point them at edited copies. */
export interface CatalogPaths {
  /** Directory holding the catalog CSVs and SOURCES.md. */
  catalogDir: string;
  /** Directory holding each domain's FIBF standards JSON files. */
  fibfDirs: Record<QsmoDomain, string>;
}

/** A FIBF service area code as used in the CSVs and capability codes: FFM, HCM, GRM, CYB. */
export type FibfArea = Subgraph['fibfPrefix'];

/** One value per domain, in the order of the subgraph list. */
function perDomain<T>(of: (s: Subgraph) => T): Record<QsmoDomain, T> {
  return Object.fromEntries(SUBGRAPHS.map((s) => [s.domain, of(s)])) as Record<QsmoDomain, T>;
}

/** The FIBF area codes the CSVs may use, one per subgraph. */
export const FIBF_AREAS: readonly FibfArea[] = SUBGRAPHS.map((s) => s.fibfPrefix);

/** The FIBF area code of each domain, so the reader need not trust the CSV alone. */
export const FIBF_AREA_OF: Record<QsmoDomain, FibfArea> = perDomain((s) => s.fibfPrefix);

/** This repository's copy of the catalog and each subgraph's own FIBF folder. */
export const DEFAULT_CATALOG_PATHS: CatalogPaths = {
  catalogDir: path.join(REPO_ROOT, 'shared', 'catalog'),
  fibfDirs: perDomain((s) => path.join(packageDirOf(s), 'data', 'fibf')),
};

/**
 * The FIBF standards files per domain, named as in GSA/USSM `_data/`. The order
 * decides which entry wins when two files publish one capability code
 * differently (SOC is the CYB base standard, CVD extends CYB.060).
 */
export const FIBF_STANDARD_FILES: Record<QsmoDomain, readonly string[]> = perDomain((s) => s.fibfFiles);

/** Every CSV of the catalog, so source keys can be checked across all of them. */
export const CATALOG_CSV_FILES = [
  'agencies.csv',
  'qsmos.csv',
  'providers.csv',
  'offerings.csv',
  'offering_customers.csv',
  'fibf_functions.csv',
  'fibf_activities.csv',
] as const;

/** The source key of a standards file, as SOURCES.md lists it, so capabilities cite the published file. */
export function fibfSourceKey(fileName: string): string {
  return `${USSM_KEY_PREFIX}_data/${fileName}`;
}
