/**
 * The FIBF standards JSON files: loading them and reading the fields of their
 * Business_Capabilities entries, whose key spellings and I/P/O values vary
 * between standards (and within grants.json).
 */
import fs from 'node:fs';
import path from 'node:path';

import type { CapabilityAnomalyKind } from './anomalies';
import { CatalogDataError } from './errors';
import { collapseWhitespace } from './fibf-ids';
import { fibfSourceKey } from './paths';
import type { CapabilityKind } from './types';

/** One standards file as published, with the source key its capabilities cite. */
export interface FibfStandardFile {
  /** Source key, e.g. `GSA/USSM@919aa42a:_data/grants.json`. */
  source: string;
  /** The parsed JSON document. */
  json: unknown;
}

/** A Business_Capabilities entry before its fields are read. */
export type JsonEntry = Record<string, unknown>;

/** Loads a domain's standards files in order; unreadable JSON names the file. */
export function loadStandardFiles(dir: string, fileNames: readonly string[]): FibfStandardFile[] {
  return fileNames.map((fileName) => {
    const file = path.join(dir, fileName);
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new CatalogDataError(`${file}: ${(err as Error).message}`);
    }
    return { source: fibfSourceKey(fileName), json };
  });
}

function normKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z]/g, '');
}

/** Normalized key spellings of each field an entry may carry. */
export const FIELD_KEYS = {
  id: ['capabilityid'],
  function: ['function'],
  activity: ['activityname'],
  kind: ['inputoutputprocess', 'iinputpprocessooutput'],
  statement: ['businesscapabilitystatement'],
  reference: ['authoritativereference', 'authoritativesource'],
} as const;

/** Field lookup tolerant of the spelling variants between standards (and within grants.json). */
export function field(entry: JsonEntry, names: readonly string[]): string {
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

/** The kinds read from an I/P/O cell, and what had to be judged to read them. */
export interface ParsedKinds {
  kinds: CapabilityKind[];
  issue: { kind: CapabilityAnomalyKind; detail: string } | null;
}

/** Reads an I/P/O cell ("P", "I/P", "i/p/0 "); combinations are facts of the HCM standards, kept in order. */
export function parseKinds(raw: string): ParsedKinds {
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
    if (!kind) unknown.push(token);
    else if (!kinds.includes(kind)) kinds.push(kind);
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

/** The file's Business_Capabilities array; a file without one is not a standard. */
export function capabilityEntries(file: FibfStandardFile): JsonEntry[] {
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
