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
const UPDATE_2026_12_04 = 'NOTES.md, "Update 2026-12-04"';
const LISTINGS_2026_12_04 = `${UPDATE_2026_12_04}, "New customer listings"`;
const ACQUISITION_2026_12_04 = `${UPDATE_2026_12_04}, "The fifth QSMO: Acquisition (GSA)"`;
/** The reading steps of the OMB payment-accuracy listings, which NOTES.md grades confidence M. */
const READING_STEP = (what: string): string => `Reading step (medium confidence): ${what}`;
const HUD_STOP = "HUD cancelled a further move to ARC in April 2016 (HUD OIG, 2017); ARC still kept HUD's FY2016 accounts. Status after that not found.";

/** The listings NOTES.md calls uncertain; nothing here goes beyond what NOTES.md says. */
export const CUSTOMER_LISTING_CAVEATS: readonly CustomerListingCaveat[] = [
  {
    offeringId: 'fm-treasury-arc-core-fm',
    agencyCode: '086',
    caveat: HUD_STOP,
    notes: `${ADDED_2026_12_01}: ARC/HUD (2015)`,
  },
  {
    offeringId: 'fm-treasury-arc-core-fm',
    agencyCode: '011',
    caveat: 'The source describes a start planned for 1 Oct 2005.',
    notes: `${ADDED_2026_12_01}: ARC/EOP and ARC/NARA (2005)`,
  },
  // ARC/NARA was re-dated to FY2024: the 2005 planned start no longer describes the listing's date (NOTES.md, same update).
  {
    offeringId: 'fm-treasury-arc-core-fm',
    agencyCode: '088',
    caveat: READING_STEP(
      'NARA names the Bureau of the Fiscal Service as its financial shared service provider without "ARC"; read as ARC core financial management.',
    ),
    notes: `${LISTINGS_2026_12_04}: reading steps`,
  },
  {
    offeringId: 'fm-treasury-arc-core-fm',
    agencyCode: '065',
    caveat: READING_STEP(
      'FMC names the Bureau of the Fiscal Service as its financial shared service provider without "ARC"; read as ARC core financial management.',
    ),
    notes: `${LISTINGS_2026_12_04}: reading steps`,
  },
  {
    offeringId: 'fm-treasury-arc-core-fm',
    agencyCode: '434',
    caveat: READING_STEP('OGE names "BFS/ARC" in FY2022 and only the Bureau of the Fiscal Service in FY2023-FY2024; dated FY2024.'),
    notes: `${LISTINGS_2026_12_04}: reading steps`,
  },
  {
    offeringId: 'fm-doi-ibc-core-fm',
    agencyCode: '031',
    caveat:
      'The source says "cross-serviced by the Department of the Interior", read here as IBC (then the National Business Center). ' +
      'Historical: NRC has used Treasury ARC for its core financial system since March 2018 (NRC-32, 2024).',
    notes: `${ADDED_2026_12_01}: IBC/NRC (2011); ${LISTINGS_2026_12_04}: NRC-32`,
  },
  {
    offeringId: 'fm-doi-ibc-core-fm',
    agencyCode: '347',
    caveat:
      'DNFSB said for FY2024 that it is moving to DOI/IBC; the later paymentaccuracy.gov text shows the relation in place. ' +
      'That text prints no year: FY2025 is an inference.',
    notes: `${UPDATE_2026_12_04}, "Corrections": DNFSB at IBC`,
  },
  {
    offeringId: 'fm-doi-ibc-core-fm',
    agencyCode: '090',
    caveat: READING_STEP('SSS reports a "partnership with DOI\'s Interior Business Center" for payment integrity; read as IBC core financial management.'),
    notes: `${LISTINGS_2026_12_04}: reading steps`,
  },
  {
    offeringId: 'hr-doi-ibc-payroll-personnel',
    agencyCode: '472',
    caveat: READING_STEP('STB says "the DOI processes payroll"; read as IBC payroll.'),
    notes: `${LISTINGS_2026_12_04}: reading steps`,
  },
  {
    offeringId: 'hr-usda-nfc-payroll-personnel',
    agencyCode: '389',
    caveat: READING_STEP('MSPB follows "NFC guidance"; read as NFC payroll.'),
    notes: `${LISTINGS_2026_12_04}: reading steps`,
  },
  {
    offeringId: 'hr-usda-nfc-payroll-personnel',
    agencyCode: '086',
    caveat: READING_STEP("HUD's human capital office works with NFC on pay errors; read as NFC payroll."),
    notes: `${LISTINGS_2026_12_04}: reading steps`,
  },
  {
    offeringId: 'hr-dod-dfas-civilian-payroll',
    agencyCode: '036',
    caveat: READING_STEP('VA-wide payroll recoveries reported by DFAS; read as DFAS payroll.'),
    notes: `${LISTINGS_2026_12_04}: reading steps`,
  },
  {
    offeringId: 'cyb-mobile-app-vetting',
    agencyCode: '070',
    caveat: 'Secondary: U.S. Customs and Border Protection (DHS) has used MAV since early 2022, per 2023 summaries of a CISA statement.',
    notes: 'NOTES.md §6 offering_customers.csv: MAV',
  },
  {
    offeringId: 'acq-gsa-assisted-acquisition-services',
    agencyCode: '097',
    caveat: "The source gives expected awards (FEDSIM's expected FY2012 awards), not completed ones.",
    notes: `${ACQUISITION_2026_12_04}: Acquisition customers`,
  },
  {
    offeringId: 'acq-gsa-assisted-acquisition-services',
    agencyCode: '068',
    caveat: "FEDSIM then belonged to GSA's Federal Technology Service, before FAS and AAS existed.",
    notes: `${ACQUISITION_2026_12_04}: Acquisition customers`,
  },
  {
    offeringId: 'acq-gsa-assisted-acquisition-services',
    agencyCode: '072',
    caveat: "FEDSIM then belonged to GSA's Federal Technology Service, before FAS and AAS existed.",
    notes: `${ACQUISITION_2026_12_04}: Acquisition customers`,
  },
  {
    offeringId: 'acq-doi-ibc-acquisition-services',
    agencyCode: '097',
    caveat: "Through GovWorks (the former name of IBC's Acquisition Services Directorate) and the NBC Southwest Branch.",
    notes: `${ACQUISITION_2026_12_04}: Acquisition customers`,
  },
  {
    offeringId: 'acq-treasury-arc-procurement-services',
    agencyCode: '086',
    caveat: HUD_STOP,
    notes: `${ACQUISITION_2026_12_04}: Acquisition customers (same caveat as ARC/HUD FM)`,
  },
];

const byListing = new Map(CUSTOMER_LISTING_CAVEATS.map((c) => [`${c.offeringId}/${c.agencyCode}`, c.caveat]));

/** The caveat NOTES.md gives a listing, or null. */
export function customerListingCaveat(offeringId: string, agencyCode: string): string | null {
  return byListing.get(`${offeringId}/${agencyCode}`) ?? null;
}
