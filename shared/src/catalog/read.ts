/**
 * Reads the reference catalog (CSV files in `shared/catalog/`, FIBF standards
 * JSON in each subgraph's `data/fibf/`) into the typed records of `types.ts`.
 *
 * The CSVs are curated and validated upstream, so a bad value here means the
 * files were edited by hand: the readers throw, naming file, row and column.
 * The FIBF JSON files are verbatim copies of GSA/USSM and carry publication
 * quirks; those are normalized where the intent is unambiguous and every
 * judgement call is reported as a `CapabilityAnomaly` instead of an error.
 */
import fs from 'node:fs';
import path from 'node:path';

import { parseCsvRecords, type CsvRow } from './csv';
import { parseSourcesMarkdown, USSM_KEY_PREFIX, type SourceIndex } from './sources';
import {
  QSMO_DOMAINS,
  type AgencyRecord,
  type CapabilityKind,
  type CapabilityRecord,
  type OfferingCustomerRecord,
  type OfferingRecord,
  type ProviderRecord,
  type QsmoDomain,
  type QsmoRecord,
  type Sector,
  type Shelf,
  type SourceRecord,
  type Verification,
} from './types';

// ---------------------------------------------------------------------------
// Paths

export interface CatalogPaths {
  /** Directory holding the catalog CSVs and SOURCES.md. */
  catalogDir: string;
  /** Directory holding each domain's FIBF standards JSON files. */
  fibfDirs: Record<QsmoDomain, string>;
}

const REPO_ROOT = path.resolve(__dirname, '../../..');

export const DEFAULT_CATALOG_PATHS: CatalogPaths = {
  catalogDir: path.resolve(REPO_ROOT, 'shared/catalog'),
  fibfDirs: {
    FINANCIAL_MANAGEMENT: path.resolve(REPO_ROOT, 'subgraphs/financial-management/data/fibf'),
    HUMAN_RESOURCES: path.resolve(REPO_ROOT, 'subgraphs/human-resources/data/fibf'),
    GRANTS_MANAGEMENT: path.resolve(REPO_ROOT, 'subgraphs/grants-management/data/fibf'),
    CYBERSECURITY: path.resolve(REPO_ROOT, 'subgraphs/cybersecurity/data/fibf'),
  },
};

/**
 * The FIBF standards files per domain, named as in GSA/USSM `_data/`. The order
 * decides which entry wins when two files publish one capability code
 * differently: SOC is the CYB base standard, CVD extends CYB.060.
 */
export const FIBF_STANDARD_FILES: Record<QsmoDomain, readonly string[]> = {
  FINANCIAL_MANAGEMENT: ['fm.json'],
  HUMAN_RESOURCES: [
    'hr_acquisition.json',
    'hr_benefits.json',
    'hr_employee.json',
    'hr_epm.json',
    'hr_hca.json',
    'hr_hce.json',
    'hr_hcs.json',
    'hr_labor.json',
    'hr_par.json',
    'hr_retirement.json',
    'hr_td.json',
  ],
  GRANTS_MANAGEMENT: ['grants.json'],
  CYBERSECURITY: ['soc.json', 'cvd.json'],
};

export const CATALOG_CSV_FILES = [
  'agencies.csv',
  'qsmos.csv',
  'providers.csv',
  'offerings.csv',
  'offering_customers.csv',
  'fibf_functions.csv',
  'fibf_activities.csv',
] as const;

export function fibfSourceKey(fileName: string): string {
  return `${USSM_KEY_PREFIX}_data/${fileName}`;
}

// ---------------------------------------------------------------------------
// Validated cell access

export class CatalogDataError extends Error {
  override name = 'CatalogDataError';
}

const SECTORS: readonly Sector[] = ['FEDERAL', 'COMMERCIAL'];
const SHELVES: readonly Shelf[] = ['FEDERAL', 'COMMERCIAL', 'MANDATORY'];
const VERIFICATIONS: readonly Verification[] = ['CONFIRMED', 'UNVERIFIED'];
const FUNCTION_STATUSES = ['ACTIVE', 'RETIRED'] as const;
const FIBF_AREAS = ['FFM', 'HCM', 'GRM', 'CYB'] as const;
type FibfArea = (typeof FIBF_AREAS)[number];

class Row {
  constructor(
    private readonly file: string,
    private readonly line: number,
    private readonly values: CsvRow,
    private readonly id: string,
  ) {}

  fail(column: string, problem: string): never {
    throw new CatalogDataError(`${this.file} row ${this.id} (line ${this.line}), column ${column}: ${problem}`);
  }

  text(column: string): string {
    const value = this.values[column];
    if (value === undefined) this.fail(column, 'column missing');
    return value;
  }

  required(column: string): string {
    const value = this.text(column);
    if (value === '') this.fail(column, 'value required');
    return value;
  }

  optional(column: string): string | null {
    const value = this.text(column);
    return value === '' ? null : value;
  }

  list(column: string): string[] {
    return this.text(column)
      .split(';')
      .map((v) => v.trim())
      .filter((v) => v !== '');
  }

  oneOf<T extends string>(column: string, allowed: readonly T[]): T {
    return this.check(column, this.text(column), allowed);
  }

  listOf<T extends string>(column: string, allowed: readonly T[]): T[] {
    return this.list(column).map((v) => this.check(column, v, allowed));
  }

  bool(column: string): boolean {
    return this.oneOf(column, ['true', 'false'] as const) === 'true';
  }

  cgac(column: string): string {
    const value = this.text(column);
    if (!/^\d{3}$/.test(value)) this.fail(column, `invalid CGAC code ${JSON.stringify(value)}; expected 3 digits`);
    return value;
  }

  optionalCgac(column: string): string | null {
    return this.text(column) === '' ? null : this.cgac(column);
  }

  private check<T extends string>(column: string, value: string, allowed: readonly T[]): T {
    if (!(allowed as readonly string[]).includes(value)) {
      this.fail(column, `invalid value ${JSON.stringify(value)}; expected one of ${allowed.join(', ')}`);
    }
    return value as T;
  }
}

function readTable(dir: string, fileName: string, idOf: (row: CsvRow) => string): Row[] {
  const file = path.join(dir, fileName);
  const records = parseCsvRecords(fs.readFileSync(file, 'utf8'), fileName);
  return records.map((r) => new Row(fileName, r.line, r.values, idOf(r.values) || '?'));
}

const byColumn =
  (...columns: string[]) =>
  (row: CsvRow): string =>
    columns.map((c) => row[c] ?? '').join('/');

// ---------------------------------------------------------------------------
// FIBF identifiers and text

const ZERO_WIDTH = /[\u200b-\u200d\u2060\ufeff]/g;
const DASHES = /[\u2010-\u2015\u2212]/g;

/**
 * Canonical FIBF code, undoing the publication quirks listed in NOTES.md §7:
 * NBSP and other (unicode) spaces inside ids, dash look-alikes, `HCM-A5-2`
 * written for `HCM.A5-2`, trailing dots.
 */
export function normalizeFibfId(raw: string): string {
  return raw
    .replace(ZERO_WIDTH, '')
    .replace(/\s+/g, '')
    .replace(DASHES, '-')
    .replace(/^([A-Za-z]{3})-/, '$1.')
    .replace(/\.+$/, '')
    .toUpperCase();
}

function collapseWhitespace(text: string): string {
  return text.replace(ZERO_WIDTH, '').replace(/\s+/g, ' ').trim();
}

/** Comparison key for names that differ only in case, punctuation or spacing. */
function nameKey(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

// "CYB.060.030 – Manage ...", "HCM.A5-1.010 Compensation ...", "CYB.090.040 - Penetration Testing".
const LEADING_FIBF_ID =
  /^([A-Za-z]{3}[.\-\u2010-\u2015][A-Z0-9]+(?:[-\u2010-\u2015]\d+)?(?:\.\d{3})*)\.?\s*(?:[-\u2010-\u2015:]\s+)?(.*)$/;

/** Splits a published "CYB.090.040 - Penetration Testing" label into id and name. */
function splitLabel(label: string): { id: string | null; name: string } {
  const text = collapseWhitespace(label);
  const m = LEADING_FIBF_ID.exec(text);
  return m ? { id: normalizeFibfId(m[1]!), name: m[2]!.trim() } : { id: null, name: text };
}

function parentOf(code: string): string | null {
  const i = code.lastIndexOf('.');
  return i > 0 ? code.slice(0, i) : null;
}

// ---------------------------------------------------------------------------
// Capability tree

export type CapabilityAnomalyKind =
  /** A Business_Capabilities entry with every field empty; skipped. */
  | 'EMPTY_ENTRY'
  /** An entry without a Capability ID; skipped (its text is in `detail`). */
  | 'MISSING_ID'
  /** An id not of the form AREA.x.nnn.nnn for this domain; skipped. */
  | 'INVALID_ID'
  /** The published id needed normalizing (spaces, dashes, separators). */
  | 'ID_NORMALIZED'
  /** An entry without a capability statement; skipped. */
  | 'EMPTY_STATEMENT'
  /** The I/P/O value needed more than case/space cleanup (e.g. digit 0 for letter O). */
  | 'KIND_NORMALIZED'
  /** No I/P/O value published; `kind` null, `kinds` empty. */
  | 'MISSING_KIND'
  /** An I/P/O token that cannot be read; left out of `kinds` (raw value in `detail`). */
  | 'UNKNOWN_KIND'
  /** Same code published again with different content; the first is kept, the other is in `detail`. */
  | 'DUPLICATE_CONFLICT'
  /**
   * The activity named by the entry is not the lifecycle activity its code
   * points to, but exactly one lifecycle activity of the domain has that name:
   * the capability keeps its published code and is attached to that activity.
   */
  | 'PARENT_REMAPPED_BY_NAME'
  /** Code parent kept although the entry spells the activity name differently. */
  | 'ACTIVITY_NAME_VARIANT'
  /**
   * The entry's activity is not in the published lifecycle and no activity of
   * that name exists: attached to the function the entry names instead.
   */
  | 'UNRESOLVED_ACTIVITY'
  /** Neither the activity nor the function exists; `parentCode` is left dangling. */
  | 'MISSING_PARENT';

export interface CapabilityAnomaly {
  kind: CapabilityAnomalyKind;
  domain: QsmoDomain;
  /** Source key of the standards file. */
  source: string;
  /** Capability codes concerned (empty for entries without an id). */
  codes: string[];
  /** 0-based positions in the file's Business_Capabilities array. */
  positions: number[];
  /** The entry's "Activity Name" as published, when relevant. */
  publishedActivity: string | null;
  /** The parent the capabilities were attached to, when relevant. */
  parentCode: string | null;
  detail: string;
}

export interface CapabilityTree {
  capabilities: CapabilityRecord[];
  anomalies: CapabilityAnomaly[];
}

export interface FibfStandardFile {
  /** Source key, e.g. `GSA/USSM@919aa42a:_data/grants.json`. */
  source: string;
  /** The parsed JSON document. */
  json: unknown;
}

type JsonEntry = Record<string, unknown>;

function normKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z]/g, '');
}

const FIELD_KEYS = {
  id: ['capabilityid'],
  function: ['function'],
  activity: ['activityname'],
  kind: ['inputoutputprocess', 'iinputpprocessooutput'],
  statement: ['businesscapabilitystatement'],
  reference: ['authoritativereference', 'authoritativesource'],
} as const;

/** Field lookup tolerant of the spelling variants between standards (and within grants.json). */
function field(entry: JsonEntry, names: readonly string[]): string {
  for (const [key, value] of Object.entries(entry)) {
    if (names.includes(normKey(key))) return typeof value === 'string' ? value : value == null ? '' : String(value);
  }
  return '';
}

const KIND_TOKENS: Record<string, CapabilityKind> = {
  I: 'INPUT',
  INPUT: 'INPUT',
  P: 'PROCESS',
  PROCESS: 'PROCESS',
  O: 'OUTPUT',
  OUTPUT: 'OUTPUT',
};

interface ParsedKinds {
  kinds: CapabilityKind[];
  issue: { kind: CapabilityAnomalyKind; detail: string } | null;
}

function parseKinds(raw: string): ParsedKinds {
  const text = collapseWhitespace(raw);
  if (text === '') return { kinds: [], issue: { kind: 'MISSING_KIND', detail: 'no I/P/O value published' } };
  const kinds: CapabilityKind[] = [];
  const unknown: string[] = [];
  let zeroForO = false;
  for (const token of text.split('/').map((t) => t.trim().toUpperCase())) {
    // "I/P/0" in hr_labor.json: a digit zero typed for the letter O.
    const fixed = token === '0' ? 'O' : token;
    if (fixed !== token) zeroForO = true;
    const kind = KIND_TOKENS[fixed];
    if (kind) {
      if (!kinds.includes(kind)) kinds.push(kind);
    } else {
      unknown.push(token);
    }
  }
  if (unknown.length > 0) {
    return { kinds, issue: { kind: 'UNKNOWN_KIND', detail: `unreadable I/P/O value ${JSON.stringify(raw)}` } };
  }
  if (zeroForO) {
    const read = kinds.map((k) => k[0]).join('/');
    return { kinds, issue: { kind: 'KIND_NORMALIZED', detail: `I/P/O value ${JSON.stringify(raw)} read as ${read} (digit 0 for letter O)` } };
  }
  return { kinds, issue: null };
}

function capabilityEntries(file: FibfStandardFile): JsonEntry[] {
  const doc = file.json;
  const list = doc && typeof doc === 'object' ? (doc as Record<string, unknown>)['Business_Capabilities'] : undefined;
  if (!Array.isArray(list)) {
    throw new CatalogDataError(`${file.source}: Business_Capabilities is not an array`);
  }
  return list.map((entry, i) => {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new CatalogDataError(`${file.source}: Business_Capabilities[${i}] is not an object`);
    }
    return entry as JsonEntry;
  });
}

/** The standard's "Sub-section" (HCBRM area, SOC/CVD), absent for FFM and GRM. */
export function fibfSubSection(file: FibfStandardFile): string | null {
  const doc = file.json;
  const value = doc && typeof doc === 'object' ? (doc as Record<string, unknown>)['Sub-section'] : undefined;
  return typeof value === 'string' && value.trim() !== '' ? collapseWhitespace(value) : null;
}

/**
 * Adds the CAPABILITY level to a domain's FUNCTION and ACTIVITY records.
 * Pure (no I/O), so the merge and parent rules can be tested on small inputs.
 */
export function buildCapabilityTree(
  domain: QsmoDomain,
  area: string,
  lifecycle: readonly CapabilityRecord[],
  standards: readonly FibfStandardFile[],
  resolveSource: (key: string) => SourceRecord,
): CapabilityTree {
  const functions = new Set(lifecycle.filter((r) => r.level === 'FUNCTION').map((r) => r.code));
  const activities = new Map<string, CapabilityRecord>();
  const activitiesByName = new Map<string, string[]>();
  for (const r of lifecycle.filter((x) => x.level === 'ACTIVITY')) {
    activities.set(r.code, r);
    const key = nameKey(r.name);
    activitiesByName.set(key, [...(activitiesByName.get(key) ?? []), r.code]);
  }

  const anomalies: CapabilityAnomaly[] = [];
  const capabilities = new Map<string, { record: CapabilityRecord; signature: string }>();
  const validId = new RegExp(`^${area}\\.[A-Z0-9]+(?:-\\d+)?\\.\\d{3}\\.\\d{3}$`);

  for (const file of standards) {
    const subArea = fibfSubSection(file);
    capabilityEntries(file).forEach((entry, position) => {
      const statement = collapseWhitespace(field(entry, FIELD_KEYS.statement));
      const activityLabel = collapseWhitespace(field(entry, FIELD_KEYS.activity));

      // Entries of one file with the same finding are grouped into one anomaly.
      const note = (kind: CapabilityAnomalyKind, detail: string, code: string | null, parentCode: string | null = null): void => {
        const publishedActivity = activityLabel || null;
        const same = anomalies.find(
          (a) =>
            a.kind === kind &&
            a.source === file.source &&
            a.detail === detail &&
            a.parentCode === parentCode &&
            a.publishedActivity === publishedActivity,
        );
        if (same) {
          if (code !== null) same.codes.push(code);
          same.positions.push(position);
          return;
        }
        anomalies.push({
          kind,
          domain,
          source: file.source,
          codes: code === null ? [] : [code],
          positions: [position],
          publishedActivity,
          parentCode,
          detail,
        });
      };

      if (Object.values(entry).every((v) => v == null || collapseWhitespace(String(v)) === '')) {
        note('EMPTY_ENTRY', 'entry with every field empty skipped', null);
        return;
      }
      const rawId = field(entry, FIELD_KEYS.id);
      if (collapseWhitespace(rawId) === '') {
        note('MISSING_ID', `entry without Capability ID skipped: ${JSON.stringify(statement)}`, null);
        return;
      }
      const code = normalizeFibfId(rawId);
      if (!validId.test(code)) {
        note('INVALID_ID', `id ${JSON.stringify(rawId)} is not a ${area} capability code; skipped`, null);
        return;
      }
      if (statement === '') {
        note('EMPTY_STATEMENT', 'entry without capability statement skipped', code);
        return;
      }

      const { kinds, issue } = parseKinds(field(entry, FIELD_KEYS.kind));
      const reference = collapseWhitespace(field(entry, FIELD_KEYS.reference)) || null;
      const signature = JSON.stringify([statement, kinds, reference]);

      const existing = capabilities.get(code);
      if (existing) {
        if (existing.signature === signature) {
          const sources = existing.record.sources;
          if (!sources.some((s) => s.key === file.source)) sources.push(resolveSource(file.source));
        } else {
          const dropped = JSON.stringify({ statement, kinds, authoritativeReference: reference });
          const first = existing.record.sources[0]?.key ?? '?';
          note('DUPLICATE_CONFLICT', `${code} already read from ${first} with different content; kept the first, dropped: ${dropped}`, code);
        }
        return;
      }

      if (rawId !== code) note('ID_NORMALIZED', `id ${JSON.stringify(rawId)} read as ${code}`, code);
      if (issue) note(issue.kind, issue.detail, code);
      const parent = resolveParent(code, activityLabel, field(entry, FIELD_KEYS.function));
      if (parent.anomaly) note(parent.anomaly.kind, parent.anomaly.detail, code, parent.code);

      capabilities.set(code, {
        signature,
        record: {
          code,
          name: statement,
          description: null,
          level: 'CAPABILITY',
          domain,
          parentCode: parent.code,
          subArea,
          status: null,
          kind: kinds.length === 1 ? kinds[0]! : null,
          kinds,
          authoritativeReference: reference,
          sources: [resolveSource(file.source)],
        },
      });
    });
  }

  /**
   * The parent is the code's activity unless the entry names a different
   * activity: the name is the more reliable fact, because soc.json's
   * capability table numbers some activities differently from its lifecycle.
   */
  function resolveParent(
    code: string,
    activityLabel: string,
    functionLabel: string,
  ): { code: string; anomaly: { kind: CapabilityAnomalyKind; detail: string } | null } {
    const codeParent = parentOf(code)!;
    const publishedName = splitLabel(activityLabel).name;
    const codeActivity = activities.get(codeParent);
    if (codeActivity && (publishedName === '' || nameKey(publishedName) === nameKey(codeActivity.name))) {
      return { code: codeParent, anomaly: null };
    }

    const named = publishedName === '' ? [] : (activitiesByName.get(nameKey(publishedName)) ?? []);
    const publishedFunction = splitLabel(functionLabel).id;
    if (named.length === 1 && named[0] !== codeParent) {
      const target = activities.get(named[0]!)!;
      const where = codeActivity
        ? `code parent ${codeParent} is "${codeActivity.name}" in the lifecycle`
        : `${codeParent} is not in the lifecycle`;
      const crossFunction =
        publishedFunction && publishedFunction !== target.parentCode
          ? `; the entry names function ${publishedFunction}, the activity belongs to ${target.parentCode}`
          : '';
      return {
        code: target.code,
        anomaly: {
          kind: 'PARENT_REMAPPED_BY_NAME',
          detail: `${where}; attached to ${target.code} "${target.name}" by name${crossFunction}`,
        },
      };
    }

    if (codeActivity) {
      return {
        code: codeParent,
        anomaly: {
          kind: 'ACTIVITY_NAME_VARIANT',
          detail: `entry names the activity "${publishedName}", the lifecycle "${codeActivity.name}"; code parent kept`,
        },
      };
    }

    const functionCode = publishedFunction ?? parentOf(codeParent);
    if (functionCode && functions.has(functionCode) && codeParent.startsWith(`${functionCode}.`)) {
      return {
        code: functionCode,
        anomaly: {
          kind: 'UNRESOLVED_ACTIVITY',
          detail:
            `activity ${codeParent} is not in the published lifecycle and no lifecycle activity is named ` +
            `"${publishedName}"; attached to function ${functionCode}`,
        },
      };
    }
    return {
      code: codeParent,
      anomaly: { kind: 'MISSING_PARENT', detail: `neither activity ${codeParent} nor its function exists` },
    };
  }

  return {
    capabilities: [...lifecycle, ...[...capabilities.values()].map((c) => c.record)],
    anomalies,
  };
}

// ---------------------------------------------------------------------------
// Reader

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
  const sources = (): SourceIndex =>
    (sourceIndex ??= parseSourcesMarkdown(fs.readFileSync(path.join(dir, 'SOURCES.md'), 'utf8')));
  const src = (row: Row): SourceRecord[] => sources().resolveCell(row.text('source'));

  function readAgencies(): AgencyRecord[] {
    return readTable(dir, 'agencies.csv', byColumn('code')).map((row) => ({
      code: row.cgac('code'),
      name: row.required('name'),
      abbreviation: row.optional('abbreviation'),
      cfoAct: row.bool('cfo_act'),
      notes: row.optional('notes'),
      sources: src(row),
    }));
  }

  function readQsmos(): QsmoRecord[] {
    return readTable(dir, 'qsmos.csv', byColumn('domain')).map((row) => ({
      domain: row.oneOf('domain', QSMO_DOMAINS),
      shortName: row.required('short_name'),
      name: row.required('name'),
      leadAgencyCode: row.cgac('lead_agency_code'),
      leadOffice: row.optional('lead_office'),
      designatedOn: row.optional('designated_on'),
      marketplaceName: row.optional('marketplace_name'),
      scope: row.list('scope'),
      contactEmail: row.optional('contact_email'),
      website: row.optional('website'),
      fibfServiceArea: row.oneOf('fibf_service_area', FIBF_AREAS),
      notes: row.optional('notes'),
      sources: src(row),
    }));
  }

  function readProviders(): ProviderRecord[] {
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
      sources: src(row),
    }));
  }

  function readOfferings(domain?: QsmoDomain): OfferingRecord[] {
    const all = readTable(dir, 'offerings.csv', byColumn('id')).map(
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
        sources: src(row),
      }),
    );
    return domain ? all.filter((o) => o.domain === domain) : all;
  }

  function readOfferingCustomers(offeringIds?: ReadonlySet<string>): OfferingCustomerRecord[] {
    const all = readTable(dir, 'offering_customers.csv', byColumn('offering_id', 'agency_code')).map((row) => ({
      offeringId: row.required('offering_id'),
      agencyCode: row.cgac('agency_code'),
      asOf: row.optional('as_of'),
      customerAsStated: row.optional('customer_as_stated'),
      sources: src(row),
    }));
    return offeringIds ? all.filter((c) => offeringIds.has(c.offeringId)) : all;
  }

  function serviceArea(domain: QsmoDomain): FibfArea {
    const qsmo = readQsmos().find((q) => q.domain === domain);
    if (!qsmo) throw new CatalogDataError(`qsmos.csv: no row for domain ${domain}`);
    return qsmo.fibfServiceArea as FibfArea;
  }

  function readStandards(domain: QsmoDomain): FibfStandardFile[] {
    return FIBF_STANDARD_FILES[domain].map((fileName) => {
      const file = path.join(resolved.fibfDirs[domain], fileName);
      let json: unknown;
      try {
        json = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (err) {
        throw new CatalogDataError(`${file}: ${(err as Error).message}`);
      }
      return { source: fibfSourceKey(fileName), json };
    });
  }

  function readLifecycle(domain: QsmoDomain, area: FibfArea, standards: FibfStandardFile[]): CapabilityRecord[] {
    const subSectionBySource = new Map(standards.map((s) => [s.source, fibfSubSection(s)]));
    const records: CapabilityRecord[] = [];
    const functionCodes = new Set<string>();

    for (const row of readTable(dir, 'fibf_functions.csv', byColumn('function_id'))) {
      if (row.oneOf('domain', FIBF_AREAS) !== area) continue;
      const code = normalizeFibfId(row.required('function_id'));
      if (parentOf(code) !== area) row.fail('function_id', `${JSON.stringify(code)} is not a ${area} function code`);
      functionCodes.add(code);
      records.push({
        code,
        name: row.required('function_name'),
        description: row.optional('description'),
        level: 'FUNCTION',
        domain,
        parentCode: null,
        subArea: row.optional('sub_area'),
        status: row.oneOf('status', FUNCTION_STATUSES),
        kind: null,
        authoritativeReference: null,
        sources: src(row),
      });
    }

    for (const row of readTable(dir, 'fibf_activities.csv', byColumn('activity_id'))) {
      if (row.oneOf('domain', FIBF_AREAS) !== area) continue;
      const code = normalizeFibfId(row.required('activity_id'));
      const functionCode = normalizeFibfId(row.required('function_id'));
      if (!functionCodes.has(functionCode)) row.fail('function_id', `unknown function ${functionCode}`);
      if (parentOf(code) !== functionCode) row.fail('activity_id', `${code} is not under function ${functionCode}`);
      const sources = src(row);
      // The activities CSV has no sub-area column; the standards file(s) the
      // activity was read from carry it (SOC and/or CVD for CYB.060.030).
      const subAreas = [...new Set(sources.map((s) => subSectionBySource.get(s.key)).filter((s): s is string => !!s))];
      records.push({
        code,
        name: row.required('activity_name'),
        description: row.optional('description'),
        level: 'ACTIVITY',
        domain,
        parentCode: functionCode,
        subArea: subAreas.length > 0 ? subAreas.join(';') : null,
        status: null,
        kind: null,
        authoritativeReference: null,
        sources,
      });
    }
    return records;
  }

  function readCapabilityTree(domain: QsmoDomain): CapabilityTree {
    const area = serviceArea(domain);
    const standards = readStandards(domain);
    return buildCapabilityTree(domain, area, readLifecycle(domain, area, standards), standards, (key) => sources().resolve(key));
  }

  function listUnknownSourceKeys(): string[] {
    const index = sources();
    const keys = new Set<string>();
    for (const t of CATALOG_CSV_FILES) {
      for (const row of readTable(dir, t, () => '')) index.splitCell(row.text('source')).forEach((k) => keys.add(k));
    }
    for (const domain of QSMO_DOMAINS) FIBF_STANDARD_FILES[domain].forEach((f) => keys.add(fibfSourceKey(f)));
    return [...keys].filter((k) => !index.isKnown(k)).sort();
  }

  return {
    paths: resolved,
    get sources() {
      return sources();
    },
    resolveSources: (cell) => sources().resolveCell(cell),
    readAgencies,
    readQsmos,
    readProviders,
    readOfferings,
    readOfferingCustomers,
    readCapabilities: (domain) => readCapabilityTree(domain).capabilities,
    readCapabilityTree,
    readCapabilityAnomalies: (domain) =>
      (domain ? [domain] : [...QSMO_DOMAINS]).flatMap((d) => readCapabilityTree(d).anomalies),
    listUnknownSourceKeys,
  };
}

// ---------------------------------------------------------------------------
// Default reader over this repository's files

let defaultReader: CatalogReader | null = null;
const catalog = (): CatalogReader => (defaultReader ??= readCatalog());

export const resolveSources = (cell: string): SourceRecord[] => catalog().resolveSources(cell);
export const readAgencies = (): AgencyRecord[] => catalog().readAgencies();
export const readQsmos = (): QsmoRecord[] => catalog().readQsmos();
export const readProviders = (): ProviderRecord[] => catalog().readProviders();
export const readOfferings = (domain?: QsmoDomain): OfferingRecord[] => catalog().readOfferings(domain);
export const readOfferingCustomers = (offeringIds?: ReadonlySet<string>): OfferingCustomerRecord[] =>
  catalog().readOfferingCustomers(offeringIds);
export const readCapabilities = (domain: QsmoDomain): CapabilityRecord[] => catalog().readCapabilities(domain);
export const readCapabilityTree = (domain: QsmoDomain): CapabilityTree => catalog().readCapabilityTree(domain);
export const readCapabilityAnomalies = (domain?: QsmoDomain): CapabilityAnomaly[] =>
  catalog().readCapabilityAnomalies(domain);
export const listUnknownSourceKeys = (): string[] => catalog().listUnknownSourceKeys();
