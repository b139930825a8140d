/**
 * Builds a domain's capability tree: the FUNCTION and ACTIVITY records of the
 * lifecycle CSVs plus the business capabilities of the standards JSON. Pure
 * (no I/O), so the merge and parent rules can be tested on small inputs.
 */
import { AnomalyLog, type CapabilityTree, type EntryPlace } from './anomalies';
import { capabilityEntries, field, FIELD_KEYS, fibfSubSection, parseKinds, type FibfStandardFile, type JsonEntry } from './fibf-entries';
import { collapseWhitespace, normalizeFibfId } from './fibf-ids';
import { indexLifecycle, resolveParent, type LifecycleIndex } from './parents';
import type { CapabilityRecord, QsmoDomain, SourceRecord } from './types';

/** A capability read so far, with what makes two publications of its code the same. */
interface ReadCapability {
  record: CapabilityRecord;
  signature: string;
}

/** State shared by the entries of one domain while its tree is built. */
interface TreeBuild {
  domain: QsmoDomain;
  area: string;
  validId: RegExp;
  index: LifecycleIndex;
  log: AnomalyLog;
  capabilities: Map<string, ReadCapability>;
  resolveSource: (key: string) => SourceRecord;
}

/**
 * Adds the CAPABILITY level to a domain's FUNCTION and ACTIVITY records.
 * Earlier files win a code two files publish differently.
 */
export function buildCapabilityTree(
  domain: QsmoDomain,
  area: string,
  lifecycle: readonly CapabilityRecord[],
  standards: readonly FibfStandardFile[],
  resolveSource: (key: string) => SourceRecord,
): CapabilityTree {
  const build: TreeBuild = {
    domain,
    area,
    validId: new RegExp(`^${area}\\.[A-Z0-9]+(?:-\\d+)?\\.\\d{3}\\.\\d{3}$`),
    index: indexLifecycle(lifecycle),
    log: new AnomalyLog(domain),
    capabilities: new Map(),
    resolveSource,
  };
  for (const file of standards) {
    const subArea = fibfSubSection(file);
    capabilityEntries(file).forEach((entry, position) => readEntry(build, file.source, subArea, entry, position));
  }
  return {
    capabilities: [...lifecycle, ...[...build.capabilities.values()].map((c) => c.record)],
    anomalies: build.log.list,
  };
}

function readEntry(build: TreeBuild, source: string, subArea: string | null, entry: JsonEntry, position: number): void {
  const statement = collapseWhitespace(field(entry, FIELD_KEYS.statement));
  const at: EntryPlace = { source, position, activityLabel: collapseWhitespace(field(entry, FIELD_KEYS.activity)) };
  const rawId = field(entry, FIELD_KEYS.id);
  const code = screenEntry(build, at, entry, rawId, statement);
  if (code === null) return;

  const { kinds, issue } = parseKinds(field(entry, FIELD_KEYS.kind));
  const reference = collapseWhitespace(field(entry, FIELD_KEYS.reference)) || null;
  const signature = JSON.stringify([statement, kinds, reference]);
  const existing = build.capabilities.get(code);
  if (existing) {
    mergeRepeat(build, at, existing, code, signature, { statement, kinds, authoritativeReference: reference });
    return;
  }

  if (rawId !== code) build.log.note(at, 'ID_NORMALIZED', `id ${JSON.stringify(rawId)} read as ${code}`, code);
  if (issue) build.log.note(at, issue.kind, issue.detail, code);
  const parent = resolveParent(build.index, code, at.activityLabel, field(entry, FIELD_KEYS.function));
  if (parent.anomaly) build.log.note(at, parent.anomaly.kind, parent.anomaly.detail, code, parent.code);

  build.capabilities.set(code, {
    signature,
    record: {
      code,
      name: statement,
      description: null,
      level: 'CAPABILITY',
      domain: build.domain,
      parentCode: parent.code,
      subArea,
      status: null,
      kind: kinds.length === 1 ? kinds[0]! : null,
      kinds,
      authoritativeReference: reference,
      sources: [build.resolveSource(source)],
    },
  });
}

/** The entry's normalized code, or null when the entry cannot be a capability (the finding is logged). */
function screenEntry(build: TreeBuild, at: EntryPlace, entry: JsonEntry, rawId: string, statement: string): string | null {
  if (Object.values(entry).every((v) => v == null || collapseWhitespace(String(v)) === '')) {
    build.log.note(at, 'EMPTY_ENTRY', 'entry with every field empty skipped', null);
    return null;
  }
  if (collapseWhitespace(rawId) === '') {
    build.log.note(at, 'MISSING_ID', `entry without Capability ID skipped: ${JSON.stringify(statement)}`, null);
    return null;
  }
  const code = normalizeFibfId(rawId);
  if (!build.validId.test(code)) {
    build.log.note(at, 'INVALID_ID', `id ${JSON.stringify(rawId)} is not a ${build.area} capability code; skipped`, null);
    return null;
  }
  if (statement === '') {
    build.log.note(at, 'EMPTY_STATEMENT', 'entry without capability statement skipped', code);
    return null;
  }
  return code;
}

/** A code published again: the same content adds a source, different content is a conflict that keeps the first. */
function mergeRepeat(build: TreeBuild, at: EntryPlace, existing: ReadCapability, code: string, signature: string, dropped: object): void {
  const sources = existing.record.sources;
  if (existing.signature === signature) {
    if (!sources.some((s) => s.key === at.source)) sources.push(build.resolveSource(at.source));
    return;
  }
  const first = sources[0]?.key ?? '?';
  const detail = `${code} already read from ${first} with different content; kept the first, dropped: ${JSON.stringify(dropped)}`;
  build.log.note(at, 'DUPLICATE_CONFLICT', detail, code);
}
