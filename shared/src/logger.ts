/**
 * A small leveled logger writing one line per event to stderr. It matches
 * Apollo's Logger interface, so servers and gateway share it.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message?: unknown, ...rest: unknown[]): void;
  info(message?: unknown, ...rest: unknown[]): void;
  warn(message?: unknown, ...rest: unknown[]): void;
  error(message?: unknown, ...rest: unknown[]): void;
}

export function isLogLevel(value: string): value is LogLevel {
  return value in ORDER;
}

function render(parts: unknown[]): string {
  return parts
    .map((p) => (p instanceof Error ? (p.stack ?? p.message) : typeof p === 'string' ? p : JSON.stringify(p)))
    .join(' ');
}

export function createLogger(service: string, level: LogLevel = 'info'): Logger {
  const threshold = ORDER[level];
  const write = (lvl: Exclude<LogLevel, 'silent'>) => (message?: unknown, ...rest: unknown[]) => {
    if (ORDER[lvl] < threshold) return;
    process.stderr.write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} [${service}] ${render([message, ...rest])}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
