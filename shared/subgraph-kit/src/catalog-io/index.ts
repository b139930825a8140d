import fs from 'node:fs';
import path from 'node:path';
import type { Db } from 'mongodb';
import { CatalogDataError } from '@qsmo/catalog/errors';
import { readCatalog } from '@qsmo/catalog/read';
import { VERIFICATIONS } from '@qsmo/catalog/records';
import type { SourceIndex } from '@qsmo/catalog/sources';
import { CsvError, parseCsvRecords, restoreFormula, toSpreadsheetCsvLine } from '@qsmo/catalog/csv';
import { Row } from '@qsmo/catalog/row';
import type { Shelf, SourceRecord, Verification } from '@qsmo/catalog/types';
import { changedFieldsOf, CatalogStore, type ChangeActor, type OfferingSnapshot } from '../domain/changes';
import { domainCollections, type CustomerLinkDoc } from '../domain/data';
import { referenceCollections } from '../reference/documents';
import { CATALOG_LIMITS, checkListing, listingDoc, mergeSources, offeringDoc, Problems, withListings, type OfferingFields } from '../domain/edits';
import { QSMO_DOMAINS, type QsmoDomain, type SubgraphEntry } from '@qsmo/service-kit/subgraphs';
import type { ReadModel } from '../read-model';

/**
 * Bulk export and import of one marketplace, in the reference catalog's CSV
 * format (shared/catalog/offerings.csv and offering_customers.csv), for a
 * QSMO team that keeps its catalog in a spreadsheet. The export neutralizes
 * every cell a spreadsheet would run as a formula (a leading `'`, see
 * toSpreadsheetCsvLine), and the import removes that quote again. An import is checked
 * whole before anything is written (a bad row is reported by line and
 * column, and then nothing is applied), shown as a difference, and applied
 * through the same audited, versioned writes as the mutations.
 */
export const OFFERING_COLUMNS = [
  'id',
  'domain',
  'name',
  'category',
  'shelf',
  'provider_id',
  'partner_ids',
  'fibf_activities',
  'website',
  'launched_on',
  'verification',
  'source',
  'notes',
] as const;
export const CUSTOMER_COLUMNS = ['offering_id', 'agency_code', 'as_of', 'source', 'customer_as_stated'] as const;
export const OFFERINGS_FILE = 'offerings.csv';
export const CUSTOMERS_FILE = 'offering_customers.csv';

const SHELVES: readonly Shelf[] = ['FEDERAL', 'COMMERCIAL', 'MANDATORY'];

/** Writes the marketplace's offerings and listings to `dir` as offerings.csv and offering_customers.csv; returns the two paths. */
export async function exportCatalog(
  db: Db,
  entry: Pick<SubgraphEntry, 'domain'>,
  dir: string,
): Promise<{ offerings: string; customers: string; count: number }> {
  const c = domainCollections(db);
  const offerings = await c.offerings.find({}).sort({ _id: 1 }).toArray();
  const listings = await c.customerLinks.find({}).sort({ offeringId: 1, agencyCode: 1 }).toArray();
  const keys = (sources: readonly SourceRecord[]) => sources.map((s) => s.key).join(';');
  const offeringLines = offerings.map((o) =>
    toSpreadsheetCsvLine([
      o._id,
      entry.domain,
      o.name,
      o.category,
      o.shelf,
      o.providerId,
      o.partnerIds.join(';'),
      o.capabilityCodes.join(';'),
      o.website,
      o.launchedOn,
      o.verification,
      keys(o.sources),
      o.notes,
    ]),
  );
  const customerLines = listings.map((l) => toSpreadsheetCsvLine([l.offeringId, l.agencyCode, l.asOf, keys(l.sources), l.customerAsStated]));
  fs.mkdirSync(dir, { recursive: true });
  const files = { offerings: path.join(dir, OFFERINGS_FILE), customers: path.join(dir, CUSTOMERS_FILE) };
  fs.writeFileSync(files.offerings, [OFFERING_COLUMNS.join(','), ...offeringLines].join('\n') + '\n');
  fs.writeFileSync(files.customers, [CUSTOMER_COLUMNS.join(','), ...customerLines].join('\n') + '\n');
  return { ...files, count: offerings.length };
}

/** One offering's part of an import: what it becomes and why. */
export interface ImportStep {
  kind: 'added' | 'changed' | 'retired';
  offeringId: string;
  name: string;
  /** The version the difference was computed from (0 for an added one). */
  fromVersion: number;
  changedFields: string[];
  after: OfferingSnapshot | null;
  sources: SourceRecord[];
  verification: Verification;
}

/** A checked import: its steps, or every problem found (then nothing may be applied). */
export interface ImportPlan {
  steps: ImportStep[];
  problems: string[];
  /** Rows of other QSMOs' offerings, left out (the reference offerings.csv holds every QSMO's). */
  skippedRows: number;
  /** Whether a customers file was read; without one, listings stay as they are. */
  withListings: boolean;
}

/** The files of an import: a folder holding offerings.csv (and optionally offering_customers.csv), or an offerings file. */
export function importFiles(input: string): { offerings: string; customers: string | undefined } {
  const isDir = fs.existsSync(input) && fs.statSync(input).isDirectory();
  const offerings = isDir ? path.join(input, OFFERINGS_FILE) : input;
  const sibling = path.join(path.dirname(offerings), CUSTOMERS_FILE);
  return { offerings, customers: fs.existsSync(sibling) && sibling !== offerings ? sibling : undefined };
}

/** Reads and checks an import against the database, and computes its difference; writes nothing. */
export async function planImport(db: Db, entry: SubgraphEntry, input: string, sourceIndex: SourceIndex = readCatalog().sources): Promise<ImportPlan> {
  const files = importFiles(input);
  const problems: string[] = [];
  const domain = entry.domain as QsmoDomain;
  const c = domainCollections(db);
  const ref = referenceCollections(db);
  const providers = new Set((await ref.providers.find({}, { projection: { _id: 1 } }).toArray()).map((p) => p._id));
  const agencies = new Set((await ref.agencies.find({}, { projection: { _id: 1 } }).toArray()).map((a) => a._id));
  const codes = new Set((await c.capabilities.find({}, { projection: { _id: 1 } }).toArray()).map((x) => x._id));

  const rows = (file: string): Row[] => {
    const name = path.basename(file);
    try {
      // Undoes the export's formula neutralization, so an exported folder imports back unchanged.
      return parseCsvRecords(fs.readFileSync(file, 'utf8'), name).map((r) => {
        const values = Object.fromEntries(Object.entries(r.values).map(([k, v]) => [k, restoreFormula(v)]));
        return new Row(name, r.line, values, values.id ?? values.offering_id ?? '?');
      });
    } catch (error) {
      if (error instanceof CsvError || (error as NodeJS.ErrnoException).code === 'ENOENT') problems.push((error as Error).message);
      else throw error;
      return [];
    }
  };
  /** Runs one row's checks, keeping its first problem (the Row accessors throw naming line and column). */
  const checked = <T>(_row: Row, read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      if (error instanceof CatalogDataError) problems.push(error.message);
      else throw error;
      return undefined;
    }
  };
  const sourcesOf = (row: Row): SourceRecord[] => {
    const cell = row.text('source');
    if (cell.trim() === '')
      row.fail('source', 'a source is required: give the key of a source in shared/catalog/SOURCES.md, or the URL of the page that states the row');
    return sourceIndex.resolveCell(cell);
  };

  let skippedRows = 0;
  const wanted = new Map<string, { fields: OfferingFields; verification: Verification; sources: SourceRecord[]; line: number }>();
  // Every id the offerings file names, valid or not: a listing of a bad row is not a second problem.
  const named = new Set<string>();
  for (const row of rows(files.offerings)) {
    named.add(checked(row, () => row.text('id')) ?? '');
    const read = checked(row, () => {
      const rowDomain = row.required('domain');
      if (rowDomain !== domain) {
        if ((QSMO_DOMAINS as readonly string[]).includes(rowDomain)) return 'skip' as const;
        row.fail('domain', `invalid value ${JSON.stringify(rowDomain)}; this is the ${entry.area} marketplace (${domain})`);
      }
      const id = row.required('id');
      if (!id.startsWith(entry.offeringIdPrefix)) row.fail('id', `"${id}" is not an id of this marketplace: ids start "${entry.offeringIdPrefix}"`);
      if (wanted.has(id)) row.fail('id', `"${id}" is listed twice (first on line ${wanted.get(id)!.line})`);
      const providerId = row.required('provider_id');
      if (!providers.has(providerId))
        row.fail(
          'provider_id',
          `no provider "${providerId}" in the reference data (providers are maintained in shared/catalog/providers.csv by the graph's maintainers)`,
        );
      const partnerIds = row.list('partner_ids');
      for (const p of partnerIds) if (!providers.has(p)) row.fail('partner_ids', `no provider "${p}" in the reference data`);
      const capabilityCodes = row.list('fibf_activities');
      for (const code of capabilityCodes) if (!codes.has(code)) row.fail('fibf_activities', `"${code}" is not an entry of the ${entry.standard}`);
      const launchedOn = row.optional('launched_on');
      return {
        id,
        fields: {
          name: row.required('name'),
          category: row.optional('category'),
          shelf: row.oneOf('shelf', SHELVES),
          providerId,
          partnerIds,
          capabilityCodes,
          website: row.optional('website'),
          launchedOn,
          notes: row.optional('notes'),
        },
        verification: row.oneOf('verification', VERIFICATIONS),
        sources: sourcesOf(row),
        line: row.line,
      };
    });
    if (read === 'skip') skippedRows++;
    else if (read) wanted.set(read.id, read);
  }

  const wantedListings = new Map<string, CustomerLinkDoc[]>();
  if (files.customers) {
    for (const row of rows(files.customers)) {
      const listing = checked(row, () => {
        const offeringId = row.required('offering_id');
        if (!offeringId.startsWith(entry.offeringIdPrefix)) return undefined;
        if (!named.has(offeringId)) row.fail('offering_id', `"${offeringId}" is not an offering of ${path.basename(files.offerings)}`);
        const agencyCode = row.cgac('agency_code');
        if (!agencies.has(agencyCode))
          row.fail('agency_code', `no agency "${agencyCode}" in the reference data (maintained in shared/catalog/agencies.csv by the graph's maintainers)`);
        const fields = { agencyCode, asOf: row.optional('as_of'), customerAsStated: row.optional('customer_as_stated') };
        const p = new Problems();
        const statedOn = checkListing(fields, p);
        if (p.any) row.fail('as_of', p.list[0]!.message);
        return listingDoc(offeringId, fields, statedOn ?? null, mergeSources([], sourcesOf(row), CATALOG_LIMITS.listingSources));
      });
      if (listing && wanted.has(listing.offeringId)) wantedListings.set(listing.offeringId, [...(wantedListings.get(listing.offeringId) ?? []), listing]);
    }
  }
  const plan: ImportPlan = { steps: [], problems, skippedRows, withListings: files.customers !== undefined };
  if (problems.length > 0) return plan;

  const current = new Map((await c.offerings.find({}).toArray()).map((o) => [o._id, o]));
  const currentListings = new Map<string, CustomerLinkDoc[]>();
  for (const l of await c.customerLinks.find({}).toArray()) currentListings.set(l.offeringId, [...(currentListings.get(l.offeringId) ?? []), l]);
  const store = new CatalogStore({ db });
  for (const [id, w] of wanted) {
    const existing = current.get(id);
    const before: OfferingSnapshot | null = existing ? { offering: existing, listings: currentListings.get(id) ?? [] } : null;
    const oldListings = new Map((before?.listings ?? []).map((l) => [l._id, l]));
    const listings = plan.withListings
      ? (wantedListings.get(id) ?? []).map((l) => {
          const old = oldListings.get(l._id);
          return old
            ? {
                ...l,
                sources: mergeSources(old.sources, l.sources, CATALOG_LIMITS.listingSources),
                ...(old.verification ? { verification: old.verification } : {}),
              }
            : l;
        })
      : (before?.listings ?? []);
    const fromVersion = existing ? (existing.version ?? 1) : (await store.current(id)).version;
    const offering = offeringDoc(id, domain, w.fields, {
      verification: w.verification,
      sources: mergeSources(existing?.sources ?? [], w.sources, CATALOG_LIMITS.offeringSources),
      listings,
      version: fromVersion + 1,
    });
    const after = withListings({ offering, listings }, listings);
    const changed = before ? changedFieldsOf(before, after) : [];
    if (before && changed.length === 0) continue;
    plan.steps.push({
      kind: before ? 'changed' : 'added',
      offeringId: id,
      name: w.fields.name,
      fromVersion,
      changedFields: changed,
      after,
      sources: w.sources,
      verification: w.verification,
    });
  }
  for (const [id, o] of current) {
    if (wanted.has(id)) continue;
    plan.steps.push({
      kind: 'retired',
      offeringId: id,
      name: o.name,
      fromVersion: o.version ?? 1,
      changedFields: [],
      after: null,
      sources: [],
      verification: o.verification,
    });
  }
  plan.steps.sort((a, b) => (a.kind === b.kind ? (a.offeringId < b.offeringId ? -1 : 1) : a.kind < b.kind ? -1 : 1));
  return plan;
}

/** The difference as a team reads it: one line per offering, then the totals. */
export function describePlan(plan: ImportPlan): string {
  const sign = { added: '+', changed: '~', retired: '-' } as const;
  const lines = plan.steps.map(
    (s) => `${sign[s.kind]} ${s.kind.padEnd(7)} ${s.offeringId} (${s.name})${s.changedFields.length ? `: ${s.changedFields.join(', ')}` : ''}`,
  );
  const count = (k: ImportStep['kind']) => plan.steps.filter((s) => s.kind === k).length;
  lines.push(
    `${count('added')} added, ${count('changed')} changed, ${count('retired')} retired${plan.skippedRows ? ` (${plan.skippedRows} rows of other QSMOs left out)` : ''}` +
      (plan.withListings ? '' : `; no ${CUSTOMERS_FILE} next to the file, so customer listings are left as they are`),
  );
  return lines.join('\n');
}

/**
 * Applies a checked plan as audited changes, one per offering, each from the
 * version the plan was computed from: an offering someone changed since the
 * dry run is refused (reported, not overwritten) and the rest go ahead.
 * A retirement names the import file as its source.
 */
export async function applyImport(
  db: Db,
  plan: ImportPlan,
  actor: ChangeActor,
  fileSource: SourceRecord,
  readModel?: ReadModel,
): Promise<{ applied: number; refused: string[] }> {
  if (plan.problems.length > 0) throw new Error('The import has problems; nothing is applied.');
  const store = new CatalogStore({ db, readModel });
  const refused: string[] = [];
  let applied = 0;
  for (const step of plan.steps) {
    const result = await store.write({
      offeringId: step.offeringId,
      expectedVersion: step.kind === 'added' ? 'new' : step.fromVersion,
      mutation: 'catalog:import',
      actor,
      sources: step.sources.length ? step.sources : [fileSource],
      verification: step.verification,
      compute: (_before, version) => (step.after ? { offering: { ...step.after.offering, version }, listings: step.after.listings } : null),
    });
    if ('error' in result) refused.push(`${step.offeringId}: ${result.error.message}`);
    else applied++;
  }
  return { applied, refused };
}
