export * from './types';
export { CsvError, neutralizeFormula, parseCsv, parseCsvRecords, restoreFormula, toCsvField, toCsvLine, toSpreadsheetCsvLine, type CsvRecord, type CsvRow } from './csv';
export {
  githubBlobUrl,
  parseSourcesMarkdown,
  USSM_COMMIT,
  USSM_KEY_PREFIX,
  USSM_REPO,
  type SourceIndex,
} from './sources';
export {
  buildCapabilityTree,
  CATALOG_CSV_FILES,
  CatalogDataError,
  DEFAULT_CATALOG_PATHS,
  FIBF_AREAS,
  FIBF_STANDARD_FILES,
  fibfSourceKey,
  fibfSubSection,
  listUnknownSourceKeys,
  normalizeFibfId,
  readAgencies,
  readCapabilities,
  readCapabilityAnomalies,
  readCapabilityTree,
  readCatalog,
  readOfferingCustomers,
  readOfferings,
  readProviders,
  readQsmos,
  resolveSources,
  type CapabilityAnomaly,
  type CapabilityAnomalyKind,
  type CapabilityTree,
  type CatalogPaths,
  type CatalogReader,
  type FibfArea,
  type FibfStandardFile,
} from './read';
export { parseStatedOn, STATED_ON_FORMATS } from './stated-on';
export { CUSTOMER_LISTING_CAVEATS, customerListingCaveat, type CustomerListingCaveat } from './customer-caveats';
