/**
 * Record readers for the catalog CSVs of agencies, QSMOs, providers and
 * offerings: one function per file, so each file's columns are in one place.
 */
import { QSMO_DESIGNATIONS } from './designations';
import { FIBF_AREA_OF, FIBF_AREAS } from './paths';
import { normalizeFibfId } from './fibf-ids';
import { byColumn, readTable, type Row } from './row';
import {
  QSMO_DOMAINS,
  type AgencyRecord,
  type DesignationRecord,
  type OfferingRecord,
  type ProviderRecord,
  type QsmoDomain,
  type QsmoRecord,
  type Sector,
  type Shelf,
  type SourceRecord,
  type Verification,
} from './types';

/** What every record reader needs: the catalog folder and the resolver of its `source` cells. */
export interface TableContext {
  dir: string;
  sources: (row: Row) => SourceRecord[];
}

const SECTORS: readonly Sector[] = ['FEDERAL', 'COMMERCIAL'];
const SHELVES: readonly Shelf[] = ['FEDERAL', 'COMMERCIAL', 'MANDATORY'];
/** The verification values of providers.csv and offerings.csv. */
export const VERIFICATIONS: readonly Verification[] = ['CONFIRMED', 'UNVERIFIED'];

/** agencies.csv: agencies by CGAC code. */
export function readAgencyRecords({ dir, sources }: TableContext): AgencyRecord[] {
  return readTable(dir, 'agencies.csv', byColumn('code')).map((row) => ({
    code: row.cgac('code'),
    name: row.required('name'),
    abbreviation: row.optional('abbreviation'),
    cfoAct: row.bool('cfo_act'),
    notes: row.optional('notes'),
    sources: sources(row),
  }));
}

/** qsmos.csv: one row per QSMO; each row's FIBF area must be its subgraph's. */
export function readQsmoRecords({ dir, sources }: TableContext): QsmoRecord[] {
  return readTable(dir, 'qsmos.csv', byColumn('domain')).map((row) => {
    const domain = row.oneOf('domain', QSMO_DOMAINS);
    const area = row.oneOf('fibf_service_area', FIBF_AREAS);
    if (area !== FIBF_AREA_OF[domain]) {
      row.fail('fibf_service_area', `${area} is not the FIBF area of ${domain}; the subgraph list gives ${FIBF_AREA_OF[domain]}`);
    }
    const designatedOn = row.optional('designated_on');
    const rowSources = sources(row);
    return {
      domain,
      shortName: row.required('short_name'),
      name: row.required('name'),
      leadAgencyCode: row.cgac('lead_agency_code'),
      leadOffice: row.optional('lead_office'),
      designatedOn,
      marketplaceName: row.optional('marketplace_name'),
      scope: row.list('scope'),
      contactEmail: row.optional('contact_email'),
      website: row.optional('website'),
      fibfServiceArea: area,
      notes: row.optional('notes'),
      sources: rowSources,
      designation: designationOf(row, domain, designatedOn, rowSources),
    };
  });
}

/**
 * The QSMO's phase from designations.ts, held to its row: a formal
 * designation dates from `designated_on`, a pre-designated QSMO has none, and
 * the phase cites only the row's own sources.
 */
function designationOf(row: Row, domain: QsmoDomain, designatedOn: string | null, rowSources: SourceRecord[]): DesignationRecord {
  const entry = QSMO_DESIGNATIONS[domain];
  if (entry.phase === 'DESIGNATED' && entry.since !== designatedOn) {
    row.fail(
      'designated_on',
      `${designatedOn ?? '(empty)'} disagrees with the ${domain} designation date ${entry.since} in shared/catalog/src/designations.ts; correct one of them`,
    );
  }
  if (entry.phase === 'PRE_DESIGNATED' && designatedOn !== null) {
    row.fail('designated_on', `${designatedOn} is set, but shared/catalog/src/designations.ts says ${domain} is only pre-designated; update its phase there`);
  }
  const cited = entry.sourceKeys.map(
    (key) =>
      rowSources.find((s) => s.key === key) ?? row.fail('source', `lacks ${key}, which shared/catalog/src/designations.ts cites for the ${domain} designation`),
  );
  return { phase: entry.phase, since: entry.since, note: entry.note, sources: cited };
}

/** providers.csv: federal shared service providers and commercial vendors. */
export function readProviderRecords({ dir, sources }: TableContext): ProviderRecord[] {
  return readTable(dir, 'providers.csv', byColumn('id')).map((row) => ({
    id: row.required('id'),
    name: row.required('name'),
    abbreviation: row.optional('abbreviation'),
    sector: row.oneOf('sector', SECTORS),
    parentAgencyCode: row.optionalCgac('parent_agency_code'),
    domains: row.listOf('domains', QSMO_DOMAINS),
    legacyDesignatedDomains: row.listOf('legacy_designated_domains', QSMO_DOMAINS),
    website: row.optional('website'),
    verification: row.oneOf('verification', VERIFICATIONS),
    notes: row.optional('notes'),
    sources: sources(row),
  }));
}

/** offerings.csv: marketplace offerings with their provider and FIBF activities. */
export function readOfferingRecords({ dir, sources }: TableContext): OfferingRecord[] {
  return readTable(dir, 'offerings.csv', byColumn('id')).map(
    (row): OfferingRecord => ({
      id: row.required('id'),
      domain: row.oneOf('domain', QSMO_DOMAINS),
      name: row.required('name'),
      category: row.optional('category'),
      shelf: row.oneOf('shelf', SHELVES),
      providerId: row.required('provider_id'),
      partnerIds: row.list('partner_ids'),
      // The CSV ids are already clean (NOTES §7); normalizing keeps them
      // comparable with the tree's codes should a quirk slip back in.
      capabilityCodes: row.list('fibf_activities').map(normalizeFibfId),
      website: row.optional('website'),
      launchedOn: row.optional('launched_on'),
      verification: row.oneOf('verification', VERIFICATIONS),
      notes: row.optional('notes'),
      sources: sources(row),
    }),
  );
}
