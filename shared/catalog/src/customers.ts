/**
 * offering_customers.csv: which agencies a source lists as customers of an
 * offering, and when that source said so. Most FM and HR listings date from
 * 2001-2015, so the date is read into a typed value consumers can filter on.
 */
import { customerListingCaveat } from './customer-caveats';
import type { TableContext } from './records';
import { byColumn, readTable, type Row } from './row';
import { parseStatedOn } from './stated-on';
import type { OfferingCustomerRecord, StatedOn } from './types';

/** Every customer listing, in file order. */
export function readOfferingCustomerRecords({ dir, sources }: TableContext): OfferingCustomerRecord[] {
  return readTable(dir, 'offering_customers.csv', byColumn('offering_id', 'agency_code')).map((row) => {
    const offeringId = row.required('offering_id');
    const agencyCode = row.cgac('agency_code');
    const asOf = row.optional('as_of');
    return {
      offeringId,
      agencyCode,
      asOf,
      statedOn: asOf === null ? null : statedOn(row, asOf),
      customerAsStated: row.optional('customer_as_stated'),
      caveat: customerListingCaveat(offeringId, agencyCode),
      sources: sources(row),
    };
  });
}

function statedOn(row: Row, asOf: string): StatedOn {
  const read = parseStatedOn(asOf);
  return 'problem' in read ? row.fail('as_of', read.problem) : read;
}
