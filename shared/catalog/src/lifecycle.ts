/**
 * The FIBF lifecycle (functions and activities) of one domain, read from the
 * normalized CSVs rather than the JSON, because the CSVs are the curated
 * statement of which functions and activities exist.
 */
import { fibfSubSection, type FibfStandardFile } from './fibf-entries';
import { normalizeFibfId, parentOf } from './fibf-ids';
import { FIBF_AREAS, type FibfArea } from './paths';
import type { TableContext } from './records';
import { byColumn, readTable } from './row';
import type { CapabilityRecord, QsmoDomain } from './types';

const FUNCTION_STATUSES = ['ACTIVE', 'RETIRED'] as const;

/** FUNCTION then ACTIVITY records of the domain; an activity under an unknown function is rejected. */
export function readLifecycle(table: TableContext, domain: QsmoDomain, area: FibfArea, standards: readonly FibfStandardFile[]): CapabilityRecord[] {
  const functions = readFunctions(table, domain, area);
  return [...functions, ...readActivities(table, domain, area, new Set(functions.map((f) => f.code)), standards)];
}

function readFunctions({ dir, sources }: TableContext, domain: QsmoDomain, area: FibfArea): CapabilityRecord[] {
  const records: CapabilityRecord[] = [];
  for (const row of readTable(dir, 'fibf_functions.csv', byColumn('function_id'))) {
    if (row.oneOf('domain', FIBF_AREAS) !== area) continue;
    const code = normalizeFibfId(row.required('function_id'));
    if (parentOf(code) !== area) row.fail('function_id', `${JSON.stringify(code)} is not a ${area} function code`);
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
      sources: sources(row),
    });
  }
  return records;
}

function readActivities(
  { dir, sources: sourcesOf }: TableContext,
  domain: QsmoDomain,
  area: FibfArea,
  functionCodes: ReadonlySet<string>,
  standards: readonly FibfStandardFile[],
): CapabilityRecord[] {
  const subSectionBySource = new Map(standards.map((s) => [s.source, fibfSubSection(s)]));
  const records: CapabilityRecord[] = [];
  for (const row of readTable(dir, 'fibf_activities.csv', byColumn('activity_id'))) {
    if (row.oneOf('domain', FIBF_AREAS) !== area) continue;
    const code = normalizeFibfId(row.required('activity_id'));
    const functionCode = normalizeFibfId(row.required('function_id'));
    if (!functionCodes.has(functionCode)) row.fail('function_id', `unknown function ${functionCode}`);
    if (parentOf(code) !== functionCode) row.fail('activity_id', `${code} is not under function ${functionCode}`);
    const sources = sourcesOf(row);
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
