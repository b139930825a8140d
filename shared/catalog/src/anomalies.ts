/**
 * The judgement calls made while reading the FIBF standards. They are reported,
 * not thrown, because the files are verbatim GSA/USSM publications that the
 * project must take as they are; tests assert the exact list.
 */
import type { CapabilityRecord, QsmoDomain } from './types';

/** What was found in a published entry and how it was handled. */
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

/** One finding, grouping the entries of one file that share it, so reports stay readable. */
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

/** A domain's capability records with the findings made while building them. */
export interface CapabilityTree {
  capabilities: CapabilityRecord[];
  anomalies: CapabilityAnomaly[];
}

/** Where in the standards an entry was read, for grouping its findings. */
export interface EntryPlace {
  source: string;
  position: number;
  /** The entry's "Activity Name" label, collapsed; '' when none. */
  activityLabel: string;
}

/** Collects findings in reading order, merging those of one file with identical detail and parent. */
export class AnomalyLog {
  readonly list: CapabilityAnomaly[] = [];

  constructor(private readonly domain: QsmoDomain) {}

  note(at: EntryPlace, kind: CapabilityAnomalyKind, detail: string, code: string | null, parentCode: string | null = null): void {
    const publishedActivity = at.activityLabel || null;
    const same = this.list.find(
      (a) => a.kind === kind && a.source === at.source && a.detail === detail && a.parentCode === parentCode && a.publishedActivity === publishedActivity,
    );
    if (same) {
      if (code !== null) same.codes.push(code);
      same.positions.push(at.position);
      return;
    }
    this.list.push({
      kind,
      domain: this.domain,
      source: at.source,
      codes: code === null ? [] : [code],
      positions: [at.position],
      publishedActivity,
      parentCode,
      detail,
    });
  }
}
