import { ConfigError } from './errors';
import { isLogLevel, type LogLevel } from './logger';
import { docOf, unknownVariableWarnings, type EnvSchema, type NameCheck, type VariableKind, type VariableSchema } from './config-schema';
import { SHARED_SERVICE_VARIABLE_NAMES } from './generated/config-names';

/**
 * Reading and validating environment configuration. Every entry point reads
 * its config once through an EnvReader, which collects all problems so a bad
 * deployment is told everything that is wrong in one message.
 *
 * Given the service's declared schema (config-schema.ts), every value is
 * parsed by the variable's schema, a name the schema does not declare is a
 * programming error, and so is a reader's default that differs from the
 * declared one: the schema, and the reference written from it, stay the truth.
 */
export class EnvReader {
  private readonly problems: string[] = [];
  private readonly read = new Set<string>();
  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly schema?: EnvSchema,
  ) {}

  /** With a schema: the variable's value by its declared schema, the caller's fallback when it declares no default. */
  private declared<T>(name: string, fallback: T, kind: VariableKind): { value: T } | undefined {
    if (!this.schema) return undefined;
    const schema = this.schema[name] as VariableSchema<T | undefined> | undefined;
    if (!schema) throw new Error(`${name} is read but not declared in the service's configuration schema: declare it there with its description and default.`);
    const declaredKind = docOf(schema).kind;
    if (declaredKind !== kind) throw new Error(`${name} is read as ${kind} but declared as ${declaredKind}: keep one.`);
    this.read.add(name);
    const declaredDefault = schema.parse(undefined);
    if (declaredDefault !== undefined && fallback !== undefined && declaredDefault !== fallback) {
      throw new Error(`${name} is read with the default ${String(fallback)} but declared with ${String(declaredDefault)}: keep one.`);
    }
    const result = schema.safeParse(this.env[name]);
    if (!result.success) {
      for (const issue of result.error.issues) this.problems.push(`${name}${issue.message}`);
      return { value: fallback };
    }
    return { value: result.data ?? fallback };
  }

  /** Whether the variable is set (not empty), whatever its kind; it must be declared like any other read. */
  isSet(name: string): boolean {
    if (this.schema && !this.schema[name])
      throw new Error(`${name} is read but not declared in the service's configuration schema: declare it there with its description and default.`);
    this.read.add(name);
    return (this.env[name] ?? '').trim() !== '';
  }

  /** The declared variables no reader has asked for so far (with a schema). */
  unread(): string[] {
    return Object.keys(this.schema ?? {}).filter((name) => !this.read.has(name));
  }

  /** Warnings for set variables the service ignores (see unknownVariableWarnings); none without a schema. */
  warnings(check: NameCheck): string[] {
    return this.schema ? unknownVariableWarnings(this.schema, this.env, check) : [];
  }

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    const declared = this.declared(name, fallback, 'string');
    if (declared) return declared.value;
    const raw = this.env[name];
    return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
  }

  port(name: string, fallback: number): number {
    const declared = this.declared(name, fallback, 'port');
    if (declared) return declared.value;
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      this.problems.push(`${name}="${raw}" is not a TCP port: use a whole number from 0 to 65535 (0 picks a free port).`);
      return fallback;
    }
    return n;
  }

  positiveInt(name: string, fallback: number): number {
    const declared = this.declared(name, fallback, 'positiveInt');
    if (declared) return declared.value;
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) {
      this.problems.push(`${name}="${raw}" must be a positive whole number.`);
      return fallback;
    }
    return n;
  }

  /** A whole number of at least 0 (e.g. a delay that may be switched off). */
  nonNegativeInt(name: string, fallback: number): number {
    const declared = this.declared(name, fallback, 'nonNegativeInt');
    if (declared) return declared.value;
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) {
      this.problems.push(`${name}="${raw}" must be a whole number of 0 or more.`);
      return fallback;
    }
    return n;
  }

  /** Records a problem found by a check that spans several variables. */
  problem(message: string): void {
    this.problems.push(message);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const declared = this.declared(name, fallback, 'oneOf');
    if (declared) return declared.value;
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name}="${raw}" is not one of: ${allowed.join(', ')}.`);
      return fallback;
    }
    return raw as T;
  }

  boolean(name: string, fallback: boolean): boolean {
    const declared = this.declared(name, fallback, 'boolean');
    if (declared) return declared.value;
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
    this.problems.push(`${name}="${raw}" must be true or false.`);
    return fallback;
  }

  logLevel(name = 'LOG_LEVEL', fallback: LogLevel = 'info'): LogLevel {
    const declared = this.declared(name, fallback, 'oneOf');
    if (declared) return declared.value;
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (!isLogLevel(raw)) {
      this.problems.push(`${name}="${raw}" is not one of: debug, info, warn, error, silent.`);
      return fallback;
    }
    return raw;
  }

  mongoUri(name = 'MONGODB_URI'): string | undefined {
    const declared = this.declared(name, undefined, 'mongoUri');
    if (declared) return declared.value;
    const raw = this.string(name);
    if (raw !== undefined && !/^mongodb(\+srv)?:\/\//.test(raw)) {
      this.problems.push(`${name} must be a MongoDB connection string starting with mongodb:// or mongodb+srv://.`);
      return undefined;
    }
    return raw;
  }

  databaseName(name: string, fallback: string): string {
    const declared = this.declared(name, fallback, 'databaseName');
    if (declared) return declared.value;
    const value = this.string(name, fallback);
    if (!/^[A-Za-z0-9_-]{1,63}$/.test(value)) {
      this.problems.push(`${name}="${value}" is not a valid database name: use letters, digits, _ or -, at most 63 characters.`);
      return fallback;
    }
    return value;
  }

  /** Throws one ConfigError listing every problem found so far. */
  done(): void {
    // Two readers may read one variable (MONGODB_URI decides the database and the read model): its problem is told once.
    if (this.problems.length > 0) throw new ConfigError([...new Set(this.problems)]);
  }
}

/**
 * A one-off command's configuration (seeding, catalog import, compose...),
 * read once through its declared schema as a service reads its own: `read`
 * makes the command's settings of it, a bad value throws one ConfigError
 * listing every problem, and the names the command would ignore come back as
 * warnings for it to print on stderr (its stdout may be data). The services'
 * names are not warned about: a developer's shell often holds the stack's.
 */
export function readCommandConfig<T extends object>(
  environment: NodeJS.ProcessEnv,
  schema: EnvSchema,
  check: Omit<NameCheck, 'knownElsewhere'>,
  read: (env: EnvReader) => T,
): T & { warnings: string[] } {
  const env = new EnvReader(environment, schema);
  const config = read(env);
  const warnings = env.warnings({ ...check, knownElsewhere: SHARED_SERVICE_VARIABLE_NAMES });
  env.done();
  return { ...config, warnings };
}

export { REPO_ROOT } from './subgraphs';
