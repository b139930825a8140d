/**
 * offering_customers.csv: which agencies a source lists as customers of an
 * offering, and when that source said so.
 */
import type { TableContext } from './records';
import { byColumn, readTable } from './row';
import type { OfferingCustomerRecord } from './types';

/** Every customer listing, in file order. */
export function readOfferingCustomerRecords({ dir, sources }: TableContext): OfferingCustomerRecord[] {
  return readTable(dir, 'offering_customers.csv', byColumn('offering_id', 'agency_code')).map((row) => ({
    offeringId: row.required('offering_id'),
    agencyCode: row.cgac('agency_code'),
    asOf: row.optional('as_of'),
    customerAsStated: row.optional('customer_as_stated'),
    sources: sources(row),
  }));
}
