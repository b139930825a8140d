/**
 * Which lifecycle record a published business capability hangs under. The
 * code says one thing and the entry's activity name another in parts of
 * soc.json and cvd.json; the rules here decide, and say what they decided.
 */
import type { CapabilityAnomalyKind } from './anomalies';
import { nameKey, parentOf, splitLabel } from './fibf-ids';
import type { CapabilityRecord } from './types';

/** A domain's functions and activities, indexed for parent resolution. */
export interface LifecycleIndex {
  functions: ReadonlySet<string>;
  activities: ReadonlyMap<string, CapabilityRecord>;
  /** Activity codes by name key; a name shared by several activities cannot decide a parent. */
  activitiesByName: ReadonlyMap<string, readonly string[]>;
}

/** The parent chosen, and the finding to report when it is not simply the code's parent. */
export interface ResolvedParent {
  code: string;
  anomaly: { kind: CapabilityAnomalyKind; detail: string } | null;
}

/** Indexes the FUNCTION and ACTIVITY records read from the lifecycle CSVs. */
export function indexLifecycle(lifecycle: readonly CapabilityRecord[]): LifecycleIndex {
  const functions = new Set(lifecycle.filter((r) => r.level === 'FUNCTION').map((r) => r.code));
  const activities = new Map<string, CapabilityRecord>();
  const activitiesByName = new Map<string, string[]>();
  for (const r of lifecycle.filter((x) => x.level === 'ACTIVITY')) {
    activities.set(r.code, r);
    const key = nameKey(r.name);
    activitiesByName.set(key, [...(activitiesByName.get(key) ?? []), r.code]);
  }
  return { functions, activities, activitiesByName };
}

/**
 * The parent is the code's activity unless the entry names a different
 * activity: the name is the more reliable fact, because soc.json's
 * capability table numbers some activities differently from its lifecycle.
 */
export function resolveParent(index: LifecycleIndex, code: string, activityLabel: string, functionLabel: string): ResolvedParent {
  const codeParent = parentOf(code)!;
  const publishedName = splitLabel(activityLabel).name;
  const codeActivity = index.activities.get(codeParent);
  if (codeActivity && (publishedName === '' || nameKey(publishedName) === nameKey(codeActivity.name))) {
    return { code: codeParent, anomaly: null };
  }
  const publishedFunction = splitLabel(functionLabel).id;
  const byName = remapByName(index, codeParent, publishedName, publishedFunction);
  if (byName) return byName;

  if (codeActivity) {
    const detail = `entry names the activity "${publishedName}", the lifecycle "${codeActivity.name}"; code parent kept`;
    return { code: codeParent, anomaly: { kind: 'ACTIVITY_NAME_VARIANT', detail } };
  }
  const functionCode = publishedFunction ?? parentOf(codeParent);
  if (functionCode && index.functions.has(functionCode) && codeParent.startsWith(`${functionCode}.`)) {
    const detail =
      `activity ${codeParent} is not in the published lifecycle and no lifecycle activity is named ` +
      `"${publishedName}"; attached to function ${functionCode}`;
    return { code: functionCode, anomaly: { kind: 'UNRESOLVED_ACTIVITY', detail } };
  }
  return { code: codeParent, anomaly: { kind: 'MISSING_PARENT', detail: `neither activity ${codeParent} nor its function exists` } };
}

/** The one lifecycle activity bearing the published name, when it is not the code's parent. */
function remapByName(index: LifecycleIndex, codeParent: string, publishedName: string, publishedFunction: string | null): ResolvedParent | null {
  const named = publishedName === '' ? [] : (index.activitiesByName.get(nameKey(publishedName)) ?? []);
  if (named.length !== 1 || named[0] === codeParent) return null;
  const target = index.activities.get(named[0]!)!;
  const codeActivity = index.activities.get(codeParent);
  const where = codeActivity ? `code parent ${codeParent} is "${codeActivity.name}" in the lifecycle` : `${codeParent} is not in the lifecycle`;
  const crossFunction =
    publishedFunction && publishedFunction !== target.parentCode
      ? `; the entry names function ${publishedFunction}, the activity belongs to ${target.parentCode}`
      : '';
  return {
    code: target.code,
    anomaly: { kind: 'PARENT_REMAPPED_BY_NAME', detail: `${where}; attached to ${target.code} "${target.name}" by name${crossFunction}` },
  };
}
