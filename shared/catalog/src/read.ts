/**
 * Reads the reference catalog (CSV files in `shared/catalog/`, FIBF standards
 * JSON in each subgraph's `data/fibf/`) into the typed records of `types.ts`.
 *
 * The CSVs are curated and validated upstream, so a bad value here means the
 * files were edited by hand: the readers throw, naming file, row and column.
 * The FIBF JSON files are verbatim copies of GSA/USSM and carry publication
 * quirks; those are normalized where the intent is unambiguous and every
 * judgement call is reported as a `CapabilityAnomaly` instead of an error.
 *
 * This module binds the per-file readers to a set of folders; the readers
 * themselves live in the modules re-exported below.
 */
import fs from 'node:fs';
import path from 'node:path';

import type { CapabilityAnomaly, CapabilityTree } from './anomalies';
import { readOfferingCustomerRecords } from './customers';
import { CatalogDataError } from './errors';
import { loadStandardFiles, type FibfStandardFile } from './fibf-entries';
import { readLifecycle } from './lifecycle';
import { CATALOG_CSV_FILES, DEFAULT_CATALOG_PATHS, FIBF_STANDARD_FILES, fibfSourceKey, type CatalogPaths, type FibfArea } from './paths';
import { readAgencyRecords, readOfferingRecords, readProviderRecords, readQsmoRecords, type TableContext } from './records';
import { readTable, type Row } from './row';
import { parseSourcesMarkdown, type SourceIndex } from './sources';
import { buildCapabilityTree } from './tree';
import {
  QSMO_DOMAINS,
  type AgencyRecord,
  type CapabilityRecord,
  type OfferingCustomerRecord,
  type OfferingRecord,
  type ProviderRecord,
  type QsmoDomain,
  type QsmoRecord,
  type SourceRecord,
} from './types';

export { AnomalyLog, type CapabilityAnomaly, type CapabilityAnomalyKind, type CapabilityTree } from './anomalies';
export { CatalogDataError } from './errors';
export { fibfSubSection, type FibfStandardFile } from './fibf-entries';
export { normalizeFibfId } from './fibf-ids';
export { CATALOG_CSV_FILES, DEFAULT_CATALOG_PATHS, FIBF_AREAS, FIBF_STANDARD_FILES, fibfSourceKey, type CatalogPaths, type FibfArea } from './paths';
export { buildCapabilityTree } from './tree';

/** The catalog as one object, so tests and tools can read edited copies through the same code as the seed. */
export interface CatalogReader {
  readonly paths: CatalogPaths;
  readonly sources: SourceIndex;
  resolveSources(cell: string): SourceRecord[];
  readAgencies(): AgencyRecord[];
  readQsmos(): QsmoRecord[];
  readProviders(): ProviderRecord[];
  readOfferings(domain?: QsmoDomain): OfferingRecord[];
  readOfferingCustomers(offeringIds?: ReadonlySet<string>): OfferingCustomerRecord[];
  readCapabilities(domain: QsmoDomain): CapabilityRecord[];
  readCapabilityTree(domain: QsmoDomain): CapabilityTree;
  /** Anomalies met while reading the FIBF standards, for one domain or all. */
  readCapabilityAnomalies(domain?: QsmoDomain): CapabilityAnomaly[];
  /** Source keys used anywhere in the catalog that SOURCES.md does not describe. */
  listUnknownSourceKeys(): string[];
}

/** Readers bound to `paths` (default: this repository). Files are re-read on every call. */
export function readCatalog(paths: Partial<CatalogPaths> = {}): CatalogReader {
  const resolved: CatalogPaths = {
    catalogDir: paths.catalogDir ?? DEFAULT_CATALOG_PATHS.catalogDir,
    fibfDirs: { ...DEFAULT_CATALOG_PATHS.fibfDirs, ...paths.fibfDirs },
  };
  const dir = resolved.catalogDir;
  let sourceIndex: SourceIndex | null = null;
  const sources = (): SourceIndex => (sourceIndex ??= parseSourcesMarkdown(fs.readFileSync(path.join(dir, 'SOURCES.md'), 'utf8')));
  const table: TableContext = { dir, sources: (row: Row) => sources().resolveCell(row.text('source')) };

  const readQsmos = (): QsmoRecord[] => readQsmoRecords(table);
  const serviceArea = (domain: QsmoDomain): FibfArea => {
    const qsmo = readQsmos().find((q) => q.domain === domain);
    if (!qsmo) throw new CatalogDataError(`qsmos.csv: no row for domain ${domain}; add one (its fibf_service_area is the subgraph's FIBF prefix)`);
    return qsmo.fibfServiceArea as FibfArea;
  };
  const readStandards = (domain: QsmoDomain): FibfStandardFile[] => loadStandardFiles(resolved.fibfDirs[domain], FIBF_STANDARD_FILES[domain]);
  const readCapabilityTree = (domain: QsmoDomain): CapabilityTree => {
    const area = serviceArea(domain);
    const standards = readStandards(domain);
    const lifecycle = readLifecycle(table, domain, area, standards);
    return buildCapabilityTree(domain, area, lifecycle, standards, (key) => sources().resolve(key));
  };

  return {
    paths: resolved,
    get sources() {
      return sources();
    },
    resolveSources: (cell) => sources().resolveCell(cell),
    readAgencies: () => readAgencyRecords(table),
    readQsmos,
    readProviders: () => readProviderRecords(table),
    readOfferings: (domain) => readOfferingRecords(table).filter((o) => !domain || o.domain === domain),
    readOfferingCustomers: (ids) => readOfferingCustomerRecords(table).filter((c) => !ids || ids.has(c.offeringId)),
    readCapabilities: (domain) => readCapabilityTree(domain).capabilities,
    readCapabilityTree,
    readCapabilityAnomalies: (domain) => (domain ? [domain] : [...QSMO_DOMAINS]).flatMap((d) => readCapabilityTree(d).anomalies),
    listUnknownSourceKeys: () => unknownSourceKeys(dir, sources()),
  };
}

/** Keys of every CSV `source` cell and every standards file that the index does not describe. */
function unknownSourceKeys(dir: string, index: SourceIndex): string[] {
  const keys = new Set<string>();
  for (const file of CATALOG_CSV_FILES) {
    for (const row of readTable(dir, file, () => '')) index.splitCell(row.text('source')).forEach((k) => keys.add(k));
  }
  for (const domain of QSMO_DOMAINS) FIBF_STANDARD_FILES[domain].forEach((f) => keys.add(fibfSourceKey(f)));
  return [...keys].filter((k) => !index.isKnown(k)).sort();
}

// ---------------------------------------------------------------------------
// Default reader over this repository's files

let defaultReader: CatalogReader | null = null;
const catalog = (): CatalogReader => (defaultReader ??= readCatalog());

/** Resolves a `source` cell against this repository's SOURCES.md. */
export const resolveSources = (cell: string): SourceRecord[] => catalog().resolveSources(cell);
/** This repository's agencies. */
export const readAgencies = (): AgencyRecord[] => catalog().readAgencies();
/** This repository's QSMOs. */
export const readQsmos = (): QsmoRecord[] => catalog().readQsmos();
/** This repository's providers. */
export const readProviders = (): ProviderRecord[] => catalog().readProviders();
/** This repository's offerings, optionally of one domain. */
export const readOfferings = (domain?: QsmoDomain): OfferingRecord[] => catalog().readOfferings(domain);
/** This repository's customer listings, optionally of some offerings. */
export const readOfferingCustomers = (offeringIds?: ReadonlySet<string>): OfferingCustomerRecord[] => catalog().readOfferingCustomers(offeringIds);
/** A domain's functions, activities and business capabilities. */
export const readCapabilities = (domain: QsmoDomain): CapabilityRecord[] => catalog().readCapabilities(domain);
/** A domain's capabilities with the anomalies met building them. */
export const readCapabilityTree = (domain: QsmoDomain): CapabilityTree => catalog().readCapabilityTree(domain);
/** The documented anomalies of the published standards. */
export const readCapabilityAnomalies = (domain?: QsmoDomain): CapabilityAnomaly[] => catalog().readCapabilityAnomalies(domain);
/** Source keys this repository's catalog uses without describing them. */
export const listUnknownSourceKeys = (): string[] => catalog().listUnknownSourceKeys();
