import { z } from 'zod';
import type { LogLevel } from './logger';

/** The levels LOG_LEVEL accepts, in the order the reference lists them. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/**
 * The declared configuration of a service: every environment variable it
 * reads, as a zod schema from the raw string (or undefined) to its typed
 * value, with its description, type and default attached as metadata. The
 * same schema validates at start-up and writes docs/reference/configuration.md,
 * so the reference cannot disagree with the code.
 */

/** Which EnvReader method reads a variable: a reader asking by another kind is a programming error. */
export type VariableKind = 'string' | 'port' | 'positiveInt' | 'nonNegativeInt' | 'boolean' | 'oneOf' | 'mongoUri' | 'databaseName';

/** What the reference says about one variable. */
export interface VariableDoc {
  kind: VariableKind;
  description: string;
  /** Human words for the accepted values ("whole number ≥ 1", "on | off"). */
  type: string;
  /** The default as the reference prints it; absent when unset means "not used". */
  default?: string;
}

/** One variable's schema: from the raw environment string to its value; failures carry the message after the variable's name. */
export type VariableSchema<T = unknown> = z.ZodType<T, string | undefined>;

/** A service's variables by name. */
export type EnvSchema = Readonly<Record<string, VariableSchema>>;

const docs = new WeakMap<z.ZodType, VariableDoc>();

/** The metadata the reference prints for a declared variable. */
export function docOf(schema: z.ZodType): VariableDoc {
  const doc = docs.get(schema);
  if (!doc) throw new Error('A configuration variable was declared without a description: declare it with one of the builders in config-schema.ts.');
  return doc;
}

function variable<T>(doc: VariableDoc, fallback: T, parse: (raw: string) => { value: T } | { problem: string }): VariableSchema<T> {
  const schema = z
    .string()
    .optional()
    .transform((value, ctx): T => {
      const raw = value?.trim();
      if (raw === undefined || raw === '') return fallback;
      const parsed = parse(raw);
      if ('problem' in parsed) {
        ctx.addIssue({ code: 'custom', message: parsed.problem });
        return z.NEVER;
      }
      return parsed.value;
    });
  schema.meta({ description: doc.description });
  docs.set(schema, doc);
  return schema;
}

type Default<T> = { default: T; shown?: string } | { default?: undefined; shown: string };

function shownDefault<T>(d: Default<T> | undefined): string | undefined {
  if (!d) return undefined;
  return d.shown ?? (d.default === undefined ? undefined : String(d.default));
}

function whole(raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const n = Number(raw);
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

/**
 * The builders. Each takes the description and the default; a default that
 * depends on other variables (NODE_ENV, say) is left to the reader and only
 * `shown` in the reference. Messages follow the project's rule: say what to change.
 */
export const env = {
  string(description: string, d?: Default<string>): VariableSchema<string | undefined> {
    return variable({ kind: 'string', description, type: 'text', default: shownDefault(d) }, d?.default, (raw) => ({ value: raw }));
  },
  port(description: string, d: Default<number>): VariableSchema<number | undefined> {
    return variable({ kind: 'port', description, type: 'TCP port (0 to 65535; 0 picks a free one)', default: shownDefault(d) }, d.default, (raw) => {
      const n = whole(raw, 0, 65535);
      return n === undefined ? { problem: `="${raw}" is not a TCP port: use a whole number from 0 to 65535 (0 picks a free port).` } : { value: n };
    });
  },
  positiveInt(description: string, d: Default<number>): VariableSchema<number | undefined> {
    return variable({ kind: 'positiveInt', description, type: 'whole number ≥ 1', default: shownDefault(d) }, d.default, (raw) => {
      const n = whole(raw, 1);
      return n === undefined ? { problem: `="${raw}" must be a positive whole number.` } : { value: n };
    });
  },
  nonNegativeInt(description: string, d: Default<number>): VariableSchema<number | undefined> {
    return variable({ kind: 'nonNegativeInt', description, type: 'whole number ≥ 0', default: shownDefault(d) }, d.default, (raw) => {
      const n = whole(raw, 0);
      return n === undefined ? { problem: `="${raw}" must be a whole number of 0 or more.` } : { value: n };
    });
  },
  boolean(description: string, d: Default<boolean>): VariableSchema<boolean | undefined> {
    return variable({ kind: 'boolean', description, type: 'true | false (also 1/0, yes/no, on/off)', default: shownDefault(d) }, d.default, (raw) => {
      const lower = raw.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(lower)) return { value: true };
      if (['0', 'false', 'no', 'off'].includes(lower)) return { value: false };
      return { problem: `="${raw}" must be true or false.` };
    });
  },
  oneOf<T extends string>(description: string, allowed: readonly T[], d: Default<T>): VariableSchema<T | undefined> {
    return variable({ kind: 'oneOf', description, type: allowed.join(' | '), default: shownDefault(d) }, d.default, (raw) =>
      (allowed as readonly string[]).includes(raw) ? { value: raw as T } : { problem: `="${raw}" is not one of: ${allowed.join(', ')}.` },
    );
  },
  logLevel(description = 'How much the service logs.') {
    return env.oneOf(description, LOG_LEVELS, { default: 'info' });
  },
  mongoUri(description: string): VariableSchema<string | undefined> {
    return variable({ kind: 'mongoUri', description, type: 'mongodb:// or mongodb+srv:// connection string' }, undefined, (raw) =>
      /^mongodb(\+srv)?:\/\//.test(raw) ? { value: raw } : { problem: ' must be a MongoDB connection string starting with mongodb:// or mongodb+srv://.' },
    );
  },
  databaseName(description: string, d: Default<string>): VariableSchema<string | undefined> {
    const check = (value: string) => /^[A-Za-z0-9_-]{1,63}$/.test(value);
    return variable(
      { kind: 'databaseName', description, type: 'database name (letters, digits, _ or -; at most 63)', default: shownDefault(d) },
      d.default,
      (raw) => (check(raw) ? { value: raw } : { problem: `="${raw}" is not a valid database name: use letters, digits, _ or -, at most 63 characters.` }),
    );
  },
};

/** Optimal string alignment distance: a swap of neighbours counts one, as typists make them. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** How a service's environment is checked for names it does not know. */
export interface NameCheck {
  /** The service, as warnings name it ("the gateway"). */
  service: string;
  /** Prefixes only this service's settings use: any other name starting so is a mistake. */
  prefixes: readonly string[];
  /** Names other services of the graph read: passed along by a shared environment (the dev stack, compose), never warned about. */
  knownElsewhere?: Iterable<string>;
}

/**
 * Warnings, by name, for variables the service would silently ignore: one
 * with the service's prefix that it does not read, or a close misspelling of
 * one it does (CORS_ORIGIN for CORS_ORIGINS).
 */
export function unknownVariableWarnings(schema: EnvSchema, environment: NodeJS.ProcessEnv, check: NameCheck): string[] {
  const declared = Object.keys(schema);
  const known = new Set([...declared, ...(check.knownElsewhere ?? [])]);
  const warnings: string[] = [];
  for (const name of Object.keys(environment).sort()) {
    if (known.has(name) || environment[name] === undefined) continue;
    const limit = name.length >= 8 ? 2 : 1;
    const close = declared
      .map((candidate) => ({ candidate, distance: editDistance(name, candidate) }))
      .filter((c) => c.distance <= limit)
      .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate));
    if (close.length) {
      warnings.push(`${name} is not a setting of ${check.service} and is ignored: did you mean ${close.map((c) => c.candidate).join(' or ')}?`);
    } else if (check.prefixes.some((prefix) => name.startsWith(prefix))) {
      warnings.push(`${name} is not a setting of ${check.service} and is ignored: see docs/reference/configuration.md for the ones it reads.`);
    }
  }
  return warnings;
}
