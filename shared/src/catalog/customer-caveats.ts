/**
 * Caveats on single customer listings. offering_customers.csv has no notes
 * column, yet NOTES.md says some listings are uncertain; without this table
 * those words would never reach a reader of the graph. Each text is quoted or
 * condensed from NOTES.md, and a test checks every entry matches a row.
 */

/** One listing's caveat and the NOTES.md passage it comes from. */
export interface CustomerListingCaveat {
  offeringId: string;
  agencyCode: string;
  caveat: string;
  /** The NOTES.md section and entry stating it, so the text can be checked against its source. */
  notes: string;
}

const ADDED_2026_12_01 = 'NOTES.md, "Customer listings added 2026-12-01"';

/** The listings NOTES.md calls uncertain; nothing here goes beyond what NOTES.md says. */
export const CUSTOMER_LISTING_CAVEATS: readonly CustomerListingCaveat[] = [
  {
    offeringId: 'fm-treasury-arc-core-fm',
    agencyCode: '086',
    caveat: "HUD cancelled a further move to ARC in April 2016 (HUD OIG, 2017); ARC still kept HUD's FY2016 accounts. Status after that not found.",
    notes: `${ADDED_2026_12_01}: ARC/HUD (2015)`,
  },
  {
    offeringId: 'fm-treasury-arc-core-fm',
    agencyCode: '011',
    caveat: 'The source describes a start planned for 1 Oct 2005.',
    notes: `${ADDED_2026_12_01}: ARC/EOP and ARC/NARA (2005)`,
  },
  {
    offeringId: 'fm-treasury-arc-core-fm',
    agencyCode: '088',
    caveat: 'The source describes a start planned for 1 Oct 2005.',
    notes: `${ADDED_2026_12_01}: ARC/EOP and ARC/NARA (2005)`,
  },
  {
    offeringId: 'fm-doi-ibc-core-fm',
    agencyCode: '031',
    caveat: 'The source says "cross-serviced by the Department of the Interior", read here as IBC (then the National Business Center).',
    notes: `${ADDED_2026_12_01}: IBC/NRC (2011)`,
  },
  {
    offeringId: 'cyb-mobile-app-vetting',
    agencyCode: '070',
    caveat:
      'Secondary: U.S. Customs and Border Protection (DHS) has used MAV since early 2022, per 2023 summaries of a CISA statement.',
    notes: 'NOTES.md §6 offering_customers.csv: MAV',
  },
];

const byListing = new Map(CUSTOMER_LISTING_CAVEATS.map((c) => [`${c.offeringId}/${c.agencyCode}`, c.caveat]));

/** The caveat NOTES.md gives a listing, or null. */
export function customerListingCaveat(offeringId: string, agencyCode: string): string | null {
  return byListing.get(`${offeringId}/${agencyCode}`) ?? null;
}
