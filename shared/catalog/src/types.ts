/**
 * Typed records of the reference catalog, as read from the CSV and FIBF JSON
 * files kept in the repository. These are the shapes the seed step stores;
 * the GraphQL layer maps them to the public contract.
 */

// The domains are those of the one list of subgraphs.
export { QSMO_DOMAINS, type QsmoDomain } from '@qsmo/service-kit/subgraphs';
import type { QsmoDomain } from '@qsmo/service-kit/subgraphs';

export type Sector = 'FEDERAL' | 'COMMERCIAL';
export type Shelf = 'FEDERAL' | 'COMMERCIAL' | 'MANDATORY';
export type Verification = 'CONFIRMED' | 'UNVERIFIED';
export type CapabilityLevel = 'FUNCTION' | 'ACTIVITY' | 'CAPABILITY';
export type CapabilityKind = 'INPUT' | 'PROCESS' | 'OUTPUT';

/** Where a catalog fact comes from: `key` is the raw source key of the CSV cell. */
export interface SourceRecord {
  key: string;
  title: string;
  url: string | null;
}

export interface AgencyRecord {
  code: string;
  name: string;
  abbreviation: string | null;
  cfoAct: boolean;
  notes: string | null;
  sources: SourceRecord[];
}

export interface QsmoRecord {
  domain: QsmoDomain;
  shortName: string;
  name: string;
  leadAgencyCode: string;
  leadOffice: string | null;
  designatedOn: string | null;
  marketplaceName: string | null;
  scope: string[];
  contactEmail: string | null;
  website: string | null;
  /** FIBF service area prefix: FFM, HCM, GRM, CYB, ACQ. */
  fibfServiceArea: string;
  notes: string | null;
  sources: SourceRecord[];
  /** Where the QSMO stands in OMB's designation process (designations.ts). */
  designation: DesignationRecord;
}

/** A QSMO's designation phase with the sources stating it. */
export interface DesignationRecord {
  phase: 'PRE_DESIGNATED' | 'DESIGNATED';
  /**
   * YYYY-MM-DD: the formal designation date of a designated QSMO; for a
   * pre-designated one, the day its source first stated the phase.
   */
  since: string | null;
  note: string | null;
  sources: SourceRecord[];
}

export interface ProviderRecord {
  id: string;
  name: string;
  abbreviation: string | null;
  sector: Sector;
  parentAgencyCode: string | null;
  domains: QsmoDomain[];
  legacyDesignatedDomains: QsmoDomain[];
  website: string | null;
  verification: Verification;
  notes: string | null;
  sources: SourceRecord[];
}

export interface OfferingRecord {
  id: string;
  domain: QsmoDomain;
  name: string;
  category: string | null;
  shelf: Shelf;
  providerId: string;
  partnerIds: string[];
  /** FIBF activity codes the offering serves, as listed in offerings.csv. */
  capabilityCodes: string[];
  website: string | null;
  launchedOn: string | null;
  verification: Verification;
  notes: string | null;
  sources: SourceRecord[];
}

/**
 * How precisely a source dates a customer listing, so a consumer can tell a
 * day from a whole (fiscal) year instead of reading a made-up day.
 */
export type StatedOnKind = 'DATE' | 'MONTH' | 'YEAR' | 'FISCAL_YEAR';

/**
 * The date of the source behind a customer listing, as that source states it.
 * Listings record what a dated source said, not that the relation holds today
 * (NOTES.md, "Customer listings added 2026-12-01"), so "current" filters need
 * the range a value covers.
 */
export interface StatedOn {
  kind: StatedOnKind;
  /** The value as written in `as_of`: `2005-10-01`, `2021-07`, `2023`, `FY2023`. */
  value: string;
  /** First day covered (`YYYY-MM-DD`): the key for "since" filters and ordering. FY2023 starts 2022-10-01. */
  from: string;
  /** Last day covered (`YYYY-MM-DD`); FY2023 ends 2023-09-30. Equal to `from` for a DATE. */
  to: string;
}

/** An agency a source lists as a customer of an offering, with when and how sure that listing is. */
export interface OfferingCustomerRecord {
  offeringId: string;
  agencyCode: string;
  /** The `as_of` cell verbatim; null when the source is undated. */
  asOf: string | null;
  /** `asOf` read as a typed date; null when the source is undated. */
  statedOn: StatedOn | null;
  customerAsStated: string | null;
  /**
   * What NOTES.md says makes this listing uncertain (a planned start, a reading
   * step, a cancelled move), condensed from it; null when NOTES.md says nothing.
   */
  caveat: string | null;
  sources: SourceRecord[];
}

export interface CapabilityRecord {
  /** FIBF code: function (FFM.030), activity (FFM.030.070) or business capability (GRM.010.010.011). */
  code: string;
  /** Function or activity name; for a business capability, its capability statement. */
  name: string;
  description: string | null;
  level: CapabilityLevel;
  domain: QsmoDomain;
  parentCode: string | null;
  /**
   * FIBF sub-area (HCBRM function area for HCM, SOC/CVD for CYB), when the standard has one.
   * A code published in two sub-areas (CYB.060, CYB.060.030) holds both, `;`-separated as in the CSV.
   */
  subArea: string | null;
  /** FUNCTION only: ACTIVE or RETIRED as published. */
  status: 'ACTIVE' | 'RETIRED' | null;
  /** CAPABILITY only: I, P or O (input, process, output) as published. */
  kind: 'INPUT' | 'PROCESS' | 'OUTPUT' | null;
  /**
   * CAPABILITY only: every kind as published, in order. The HCM standards mark
   * many capabilities with a combination ("I/P", "P/O", "I/P/O"); for those
   * `kind` is null and this list carries the facts.
   */
  kinds?: CapabilityKind[];
  /** CAPABILITY only: the authoritative reference (law, regulation, circular) as published. */
  authoritativeReference: string | null;
  sources: SourceRecord[];
}
