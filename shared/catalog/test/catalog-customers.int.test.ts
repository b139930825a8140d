/**
 * Dated customer listings: the reader's typed dates and caveats against the
 * CSV text itself. The CSV is parsed here with plain regular expressions, not
 * the catalog's parser, so a reader bug cannot hide behind the same bug twice.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { CatalogDataError, DEFAULT_CATALOG_PATHS, readCatalog, readOfferingCustomers, type OfferingCustomerRecord } from '@qsmo/catalog';
import { CUSTOMER_LISTING_CAVEATS } from '@qsmo/catalog/customer-caveats';
import { parseStatedOn } from '@qsmo/catalog/stated-on';

const CATALOG_DIR = DEFAULT_CATALOG_PATHS.catalogDir;
const text = (file: string): string => fs.readFileSync(path.join(CATALOG_DIR, file), 'utf8');

interface RawListing {
  offeringId: string;
  agencyCode: string;
  asOf: string;
}

// offering_id, agency_code and as_of are never quoted; a line not starting so is the header
// (or the continuation of a quoted cell).
const rawListings: RawListing[] = [...text('offering_customers.csv').matchAll(/^([a-z0-9-]+),(\d{3}),([^,"\n]*),/gm)].map((m) => ({
  offeringId: m[1]!,
  agencyCode: m[2]!,
  asOf: m[3]!,
}));
const domainOf = new Map(
  [...text('offerings.csv').matchAll(/^([a-z0-9-]+),(FINANCIAL_MANAGEMENT|HUMAN_RESOURCES|GRANTS_MANAGEMENT|CYBERSECURITY|ACQUISITION),/gm)].map((m) => [
    m[1]!,
    m[2]!,
  ]),
);

/** The year the value names (FY2023 -> 2023), read from the text. */
const namedYear = (asOf: string): string => /^(?:FY)?(\d{4})/.exec(asOf)?.[1] ?? 'undated';
/** First day covered, computed from the text: a fiscal year starts 1 October of the year before. */
const firstDay = (asOf: string): string | null => {
  const fy = /^FY(\d{4})$/.exec(asOf);
  if (fy) return `${Number(fy[1]) - 1}-10-01`;
  if (/^\d{4}$/.test(asOf)) return `${asOf}-01-01`;
  if (/^\d{4}-\d{2}$/.test(asOf)) return `${asOf}-01`;
  return asOf === '' ? null : asOf;
};

const countBy = <T>(items: readonly T[], keyOf: (item: T) => string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const item of items) out[keyOf(item)] = (out[keyOf(item)] ?? 0) + 1;
  return out;
};

describe('dated customer listings', () => {
  const records = readOfferingCustomers();

  it('reads every listing of the CSV text, in order', () => {
    expect(records.map((r) => [r.offeringId, r.agencyCode, r.asOf ?? ''])).toEqual(rawListings.map((r) => [r.offeringId, r.agencyCode, r.asOf]));
  });

  it('counts listings per domain and per stated year as the CSV text does', () => {
    const fromText = countBy(rawListings, (r) => `${domainOf.get(r.offeringId) ?? '?'} ${namedYear(r.asOf)}`);
    // The year a value names is the year of the last day it covers (FY2023 ends 2023-09-30).
    const fromReader = countBy(records, (r) => `${domainOf.get(r.offeringId) ?? '?'} ${r.statedOn ? r.statedOn.to.slice(0, 4) : 'undated'}`);
    expect(fromReader).toEqual(fromText);
    expect(countBy(records, (r) => domainOf.get(r.offeringId) ?? '?')).toEqual(countBy(rawListings, (r) => domainOf.get(r.offeringId) ?? '?'));
  });

  it('counts the listings stated since a date as the CSV text does', () => {
    const since = (day: string): number => records.filter((r) => r.statedOn !== null && r.statedOn.from >= day).length;
    const sinceInText = (day: string): number => rawListings.filter((r) => (firstDay(r.asOf) ?? '') >= day && r.asOf !== '').length;
    for (const day of ['2001-01-01', '2005-10-01', '2016-01-01', '2021-06-01', '2022-10-01', '2030-01-01']) {
      expect([day, since(day)]).toEqual([day, sinceInText(day)]);
    }
    // 23 of the 82 dated listings predate 2016 (most FM and HR listings of 2026-12-01 were re-dated by OMB payment-accuracy answers on 2026-12-04).
    expect(since('2016-01-01')).toBe(59);
    expect(records.filter((r) => r.statedOn !== null)).toHaveLength(82);
  });

  it('keeps each value as stated with the days it covers', () => {
    expect(countBy(records, (r) => r.statedOn?.kind ?? 'UNDATED')).toEqual({ UNDATED: 64, FISCAL_YEAR: 54, DATE: 19, MONTH: 7, YEAR: 2 });
    for (const r of records) {
      expect(r.statedOn?.value ?? null).toBe(r.asOf);
      if (r.statedOn) expect(r.statedOn.from <= r.statedOn.to).toBe(true);
    }
    const find = (offeringId: string, agencyCode: string): OfferingCustomerRecord =>
      records.find((r) => r.offeringId === offeringId && r.agencyCode === agencyCode)!;
    expect(find('grm-pms', '075').statedOn).toEqual({ kind: 'FISCAL_YEAR', value: 'FY2023', from: '2022-10-01', to: '2023-09-30' });
    expect(find('cyb-vdp-platform', '070').statedOn).toEqual({ kind: 'MONTH', value: '2021-07', from: '2021-07-01', to: '2021-07-31' });
    expect(find('cyb-mobile-app-vetting', '070').statedOn).toEqual({ kind: 'YEAR', value: '2023', from: '2023-01-01', to: '2023-12-31' });
    expect(find('fm-dot-esc-core-fm', '005').statedOn).toEqual({ kind: 'DATE', value: '2008-03-11', from: '2008-03-11', to: '2008-03-11' });
    expect(find('grm-era', '075').statedOn).toBeNull();
  });
});

describe('as_of formats', () => {
  it('reads the four forms sources use', () => {
    expect(parseStatedOn('2024-02')).toEqual({ kind: 'MONTH', value: '2024-02', from: '2024-02-01', to: '2024-02-29' });
    expect(parseStatedOn('FY2001')).toEqual({ kind: 'FISCAL_YEAR', value: 'FY2001', from: '2000-10-01', to: '2001-09-30' });
    expect(parseStatedOn('2005-10-01')).toMatchObject({ kind: 'DATE', from: '2005-10-01', to: '2005-10-01' });
  });

  it('rejects values that are not dates or not in a known form', () => {
    expect(parseStatedOn('2023-02-29')).toEqual({ problem: '"2023-02-29" is not a calendar day' });
    expect(parseStatedOn('2021-13')).toEqual({ problem: '"2021-13" is not a month' });
    expect(parseStatedOn('Q3 2021')).toEqual({ problem: expect.stringMatching(/^unknown date format "Q3 2021"; write YYYY-MM-DD, YYYY-MM, YYYY or FYYYYY/) });
    expect(parseStatedOn('2021/07/01')).toHaveProperty('problem');
  });

  it('names file, row, line and column of an unreadable as_of', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-customers-'));
    try {
      fs.copyFileSync(path.join(CATALOG_DIR, 'SOURCES.md'), path.join(dir, 'SOURCES.md'));
      fs.writeFileSync(
        path.join(dir, 'offering_customers.csv'),
        text('offering_customers.csv').replace('cyb-vdp-platform,070,2021-07,', 'cyb-vdp-platform,070,July 2021,'),
      );
      const line =
        text('offering_customers.csv')
          .split('\n')
          .findIndex((l) => l.startsWith('cyb-vdp-platform,070,')) + 1;
      const read = (): unknown => readCatalog({ catalogDir: dir }).readOfferingCustomers();
      expect(read).toThrow(CatalogDataError);
      expect(read).toThrow(
        `offering_customers.csv row cyb-vdp-platform/070 (line ${line}), column as_of: unknown date format "July 2021"; write YYYY-MM-DD, YYYY-MM, YYYY or FYYYYY (federal fiscal year)`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('caveats of customer listings', () => {
  const notes = text('NOTES.md').replace(/\s+/g, ' ').toLowerCase();

  it('match exactly one listing each and reach the records', () => {
    for (const c of CUSTOMER_LISTING_CAVEATS) {
      const rows = rawListings.filter((r) => r.offeringId === c.offeringId && r.agencyCode === c.agencyCode);
      expect([c.offeringId, c.agencyCode, rows.length]).toEqual([c.offeringId, c.agencyCode, 1]);
    }
    const withCaveat = readOfferingCustomers().filter((r) => r.caveat !== null);
    expect(withCaveat.map((r) => `${r.offeringId}/${r.agencyCode}`).sort()).toEqual(
      CUSTOMER_LISTING_CAVEATS.map((c) => `${c.offeringId}/${c.agencyCode}`).sort(),
    );
    expect(withCaveat.find((r) => r.agencyCode === '086')?.caveat).toMatch(/^HUD cancelled a further move to ARC in April 2016/);
  });

  it('quote NOTES.md for the listings added 2026-12-01', () => {
    for (const c of CUSTOMER_LISTING_CAVEATS.filter((x) => x.notes.includes('Customer listings added 2026-12-01'))) {
      // A caveat may add what a later update says (IBC/NRC became historical): its first sentence is the quote.
      const first = c.notes.split('; ')[0]!;
      const entry = first.slice(first.lastIndexOf(': ') + 2);
      const quoted = /^.*?\.(?= |$)/.exec(c.caveat)![0].toLowerCase();
      expect([entry, notes.includes(`${entry.toLowerCase()}: ${quoted}`) || notes.includes(quoted)]).toEqual([entry, true]);
    }
    // The one condensed caveat: NOTES §6 calls the MAV listing secondary.
    expect(notes).toContain('mav: u.s. customs and border protection (-> dhs) has used mav since early 2022');
    expect(notes).toMatch(/from 2023 summaries of a cisa statement; secondary/);
  });
});
