import type { FormattedExecutionResult } from 'graphql';

/**
 * Answers whose `data` was already serialized, by the data object itself:
 * when several callers are sent one shared answer (inbound deduplication),
 * its JSON is written once and each response body is built around that text
 * instead of walking 90 KB again per caller. Weakly held, so an answer's text
 * goes with the answer.
 */
const serialized = new WeakMap<object, string>();

/** Serializes `data` once for every response that will carry this very object. */
export function serializeOnce(data: object): void {
  if (!serialized.has(data)) serialized.set(data, JSON.stringify(data));
}

/**
 * Apollo Server's stringifyResult: its default's output exactly
 * (JSON.stringify and a newline: same fields, same order, undefined fields
 * left out), with `data` taken from serializeOnce when it was serialized there.
 */
export function stringifyResult(value: FormattedExecutionResult): string {
  const data = value.data;
  const known = data !== null && typeof data === 'object' ? serialized.get(data) : undefined;
  if (known === undefined) return `${JSON.stringify(value)}\n`;
  const parts: string[] = [];
  for (const [key, field] of Object.entries(value)) {
    const text = key === 'data' ? known : JSON.stringify(field);
    if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${parts.join(',')}}\n`;
}
