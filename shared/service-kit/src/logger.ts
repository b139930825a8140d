import pino from 'pino';

/**
 * The graph's logger: one event per line on stderr, as JSON lines (pino) for
 * log pipelines, or as readable lines for a developer's terminal. It matches
 * Apollo's Logger interface, so servers and gateway share it; `event` adds
 * the structured fields of a request (trace id, operation, client,
 * duration, outcome) without every caller knowing the format.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** How log lines are written (LOG_FORMAT): JSON lines, or readable lines with the fields as key=value. */
export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

export interface Logger {
  debug(message?: unknown, ...rest: unknown[]): void;
  info(message?: unknown, ...rest: unknown[]): void;
  warn(message?: unknown, ...rest: unknown[]): void;
  error(message?: unknown, ...rest: unknown[]): void;
  /** One event with structured fields; loggers of other shapes (Apollo's, a test's) may lack it. */
  event?(level: Exclude<LogLevel, 'silent'>, fields: Record<string, unknown>, message: string): void;
}

export function isLogLevel(value: string): value is LogLevel {
  return value in ORDER;
}

/**
 * Field names whose values are credentials wherever they appear in an event:
 * tokens, cookies, the gateway's signed identity. Logged as "[redacted]".
 */
export const REDACTED_KEYS: readonly string[] = [
  'authorization',
  'cookie',
  'set-cookie',
  'x-qsmo-identity',
  'token',
  'password',
  'secret',
  'proxy-authorization',
];
const REDACTED = new Set(REDACTED_KEYS);

/** A copy of `value` with every credential-named field (at any depth) replaced: no event ever carries a token. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 5 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = REDACTED.has(key.toLowerCase()) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

function render(parts: unknown[]): string {
  return parts
    .filter((p) => p !== undefined)
    .map((p) => (p instanceof Error ? (p.stack ?? p.message) : typeof p === 'string' ? p : JSON.stringify(redact(p))))
    .join(' ');
}

/** The first Error among a call's arguments: pino's `err` field, with its stack. */
function errorOf(parts: unknown[]): Error | undefined {
  return parts.find((p): p is Error => p instanceof Error);
}

function defaultFormat(): LogFormat {
  const configured = process.env.LOG_FORMAT?.trim();
  if (configured === 'json' || configured === 'pretty') return configured;
  return process.env.NODE_ENV === 'production' ? 'json' : 'pretty';
}

let root: pino.Logger | undefined;
// One synchronous stderr destination per process: lines survive process.exit and never interleave.
function rootLogger(): pino.Logger {
  root ??= pino(
    { level: 'trace', base: undefined, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    pino.destination({ fd: 2, sync: true }),
  );
  return root;
}

const prettyValue = (v: unknown) => (typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v));

/**
 * A logger for one service. LOG_FORMAT picks the format: the services
 * validate it with their configuration (OBSERVABILITY_VARIABLES) and pass
 * it in; a one-off command's logger reads it here, where a value other than
 * json or pretty falls back to the default: JSON with NODE_ENV=production,
 * readable lines otherwise.
 */
export function createLogger(service: string, level: LogLevel = 'info', format: LogFormat = defaultFormat()): Logger {
  const threshold = ORDER[level];
  const enabled = (lvl: Exclude<LogLevel, 'silent'>) => ORDER[lvl] >= threshold;
  const json = format === 'json' ? rootLogger().child({ service }) : undefined;
  const event = (lvl: Exclude<LogLevel, 'silent'>, fields: Record<string, unknown>, message: string) => {
    if (!enabled(lvl)) return;
    const safe = redact(fields) as Record<string, unknown>;
    if (json) {
      json[lvl](safe, message);
      return;
    }
    const extra = Object.entries(safe)
      .filter(([, v]) => v !== undefined && !(v instanceof Error))
      .map(([k, v]) => `${k}=${prettyValue(v)}`);
    const err = Object.values(safe).find((v): v is Error => v instanceof Error);
    process.stderr.write(
      `${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} [${service}] ${[message, ...extra].join(' ')}${err ? `\n${err.stack ?? err.message}` : ''}\n`,
    );
  };
  const write =
    (lvl: Exclude<LogLevel, 'silent'>) =>
    (message?: unknown, ...rest: unknown[]) => {
      if (!enabled(lvl)) return;
      const parts = [message, ...rest];
      if (json) {
        const err = errorOf(parts);
        json[lvl](err ? { err } : {}, render(parts.filter((p) => p !== err)) || (err?.message ?? ''));
        return;
      }
      process.stderr.write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} [${service}] ${render(parts)}\n`);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), event };
}
